package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// scimType is an error's detail code (RFC 7644 §3.12, Table 9).
type scimType string

const (
	invalidFilter scimType = "invalidFilter"
	tooMany       scimType = "tooMany"
	uniqueness    scimType = "uniqueness"
	mutabilityErr scimType = "mutability"
	invalidSyntax scimType = "invalidSyntax"
	invalidPath   scimType = "invalidPath"
	noTarget      scimType = "noTarget"
	invalidValue  scimType = "invalidValue"
)

// Error is an answer of RFC 7644 §3.12: an HTTP status, a scimType for a
// 400 or 409, and a detail that says what to do.
type Error struct {
	Status int
	Type   scimType
	Detail string
}

func (e *Error) Error() string { return e.Detail }

func errorf(status int, typ scimType, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(typ scimType, format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, typ, format, args...)
}

// writeError answers with an error in the SCIM error schema.
func writeError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"schemas": []string{errorSchema}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.Type != "" {
		body["scimType"] = e.Type
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
	}
	writeJSON(w, e.Status, body)
}

// writeJSON answers with a SCIM document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<token>" reads as written; SCIM is not HTML
	b := []byte(`{"schemas":["` + errorSchema + `"],"status":"500","detail":"the mock could not encode its answer"}`)
	if err := enc.Encode(v); err == nil { // the mock's own documents always encode
		b = buf.Bytes()
	} else {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// fromTenant turns a tenant error into a SCIM one that says what to do.
func fromTenant(k *kind, err error) *Error {
	var nf *tenant.NotFoundError
	var cf *tenant.ConflictError
	var iv *tenant.InvalidError
	switch {
	case errors.As(err, &nf) && nf.Kind == "directory":
		// The token was checked against the directory a moment ago: it has
		// just been deleted.
		return errorf(http.StatusNotFound, "", "directory %s no longer exists: it was deleted; its IdP's pushes have nowhere to go", nf.ID)
	case errors.As(err, &nf):
		return errorf(http.StatusNotFound, "", "%s %s is not in this directory: it was deleted, or made in another directory; GET %s lists the ones there are", k.name, nf.ID, k.endpoint)
	case errors.As(err, &cf):
		return errorf(http.StatusConflict, uniqueness, "%s %q is already taken by another %s of this directory: GET %s?filter=%s eq %q finds it; change that one with PUT or PATCH rather than creating a second",
			cf.Field, cf.Value, k.name, k.endpoint, cf.Field, cf.Value)
	case errors.As(err, &iv):
		return badRequest(invalidValue, "%s %s", iv.Field, iv.Reason)
	}
	return errorf(http.StatusInternalServerError, "", "the mock failed: %v", err)
}
