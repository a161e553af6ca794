package mgmt

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
)

// ErrForbidden is what Deps.Authorize returns for a valid token of a
// client that may not manage the environment (an organization's M2M
// client): PermissionDenied rather than Unauthenticated, so that an SDK
// does not fetch another token of the same client and retry.
var ErrForbidden = errors.New("this client may not use the management API: only the environment's own clients (skc_…) may; organization M2M clients (m2morg_…) call your APIs, not Scalekit's")

// ErrExpired is what Deps.Authorize returns for an expired token.
var ErrExpired = errors.New("Token expired")

type clientKey struct{}

// clientOf is the client a call was authorized for.
func clientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

type refusalKey struct{}

// WithRefusal marks a call to be refused with a gRPC status code before
// it runs: how the grpc.unavailable and grpc.resource_exhausted drills,
// which are decided at the HTTP layer, answer in the caller's protocol.
func WithRefusal(ctx context.Context, code int) context.Context {
	return context.WithValue(ctx, refusalKey{}, connect.Code(code))
}

// authInterceptor answers a call without a valid bearer token of this
// environment Unauthenticated, with the ErrorInfo Scalekit sends. The
// Node SDK sends its first call without a token and fetches one only on
// that answer (code 16); any other answer and no call would ever
// succeed.
func (a *API) authInterceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if code, ok := ctx.Value(refusalKey{}).(connect.Code); ok {
				return nil, withInfo(code, "skctl mock-idp drill: "+refusalReason(code), nil)
			}
			scheme, token, _ := strings.Cut(req.Header().Get("Authorization"), " ")
			token = strings.TrimSpace(token)
			if !strings.EqualFold(scheme, "Bearer") || token == "" {
				return nil, withInfo(connect.CodeUnauthenticated, "Token empty", nil)
			}
			client, err := a.d.Authorize(token)
			switch {
			case errors.Is(err, ErrForbidden):
				return nil, withInfo(connect.CodePermissionDenied, err.Error(), nil)
			case errors.Is(err, ErrExpired):
				return nil, withInfo(connect.CodeUnauthenticated, "Token expired", nil)
			case err != nil:
				return nil, withInfo(connect.CodeUnauthenticated, "Token invalid: get a new one from /oauth/token with grant_type=client_credentials", nil)
			}
			return next(context.WithValue(ctx, clientKey{}, client), req)
		}
	}
}

func refusalReason(code connect.Code) string {
	switch code {
	case connect.CodeUnavailable:
		return "the service is unavailable (grpc.unavailable)"
	case connect.CodeResourceExhausted:
		return "rate limit exceeded (grpc.resource_exhausted)"
	}
	return code.String()
}
