package mgmt

import (
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	errdetailspb "github.com/skctl/skctl/internal/scalekitpb/errdetails"
)

// withInfo makes a gRPC error with the ErrorInfo detail Scalekit attaches
// to every error: its error_code is the status's name in capitals
// (UNAUTHENTICATED, NOT_FOUND, …), which Node exposes as errorCode, and a
// bad request carries its field violations.
func withInfo(code connect.Code, msg string, violations []*errdetailspb.ValidationErrorInfo_FieldViolation) *connect.Error {
	e := connect.NewError(code, errors.New(msg))
	info := &errdetailspb.ErrorInfo{ErrorCode: strings.ToUpper(code.String())}
	if len(violations) > 0 {
		info.ValidationErrorInfo = &errdetailspb.ValidationErrorInfo{FieldViolations: violations}
	}
	if d, err := connect.NewErrorDetail(info); err == nil {
		e.AddDetail(d)
	}
	return e
}

// invalid is InvalidArgument for one field of the request, named by its
// proto path (user.email), saying what to send instead.
func invalid(field, description string) *connect.Error {
	return withInfo(connect.CodeInvalidArgument, field+": "+description,
		[]*errdetailspb.ValidationErrorInfo_FieldViolation{{Field: field, Description: description}})
}

// required is invalid for a missing field.
func required(field string) *connect.Error {
	return invalid(field, "is required")
}

// fromTenant maps the tenant's errors to the status codes Scalekit
// answers them with; the SDKs turn those into their exception classes
// (Node: ScalekitNotFoundException, ScalekitConflictException,
// ScalekitBadRequestException).
func fromTenant(err error) error {
	if err == nil {
		return nil
	}
	if ce := (*connect.Error)(nil); errors.As(err, &ce) {
		return ce // already a status: a request check (required, invalid) passed through a look-up
	}
	var (
		nf  *tenant.NotFoundError
		cf  *tenant.ConflictError
		inv *tenant.InvalidError
		st  *tenant.StateError
	)
	switch {
	case errors.As(err, &nf):
		return withInfo(connect.CodeNotFound, fmt.Sprintf("%s %s not found", nf.Kind, nf.ID), nil)
	case errors.As(err, &cf):
		return withInfo(connect.CodeAlreadyExists, fmt.Sprintf("%s %q is already in use", cf.Field, cf.Value),
			[]*errdetailspb.ValidationErrorInfo_FieldViolation{{Field: cf.Field, Description: "already in use"}})
	case errors.As(err, &inv):
		return invalid(inv.Field, inv.Reason)
	case errors.As(err, &st):
		return withInfo(connect.CodeFailedPrecondition, st.Error(), nil)
	}
	return withInfo(connect.CodeInternal, "skctl mock-idp: "+err.Error(), nil)
}
