package mgmt

import (
	"context"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
)

// unimplemented answers a procedure the mock does not serve with
// Unimplemented naming it, after the same auth as every call, so that an
// SDK sees what it would of a method Scalekit lacks: Node's
// ScalekitNotImplementedException, Go's connect.CodeUnimplemented. The
// request is read as Empty: protobuf skips fields it does not know, so
// any request decodes, and connect-go answers in the caller's protocol.
func (a *API) unimplemented(procedure string) http.Handler {
	named := procedure
	if len(named) > maxNamedProcedure { // a path is the client's to choose
		named = named[:maxNamedProcedure] + "…"
	}
	return connect.NewUnaryHandler(procedure,
		func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			return nil, withInfo(connect.CodeUnimplemented,
				fmt.Sprintf("%s is not emulated by skctl mock-idp, which serves organizations, users and memberships, sessions, domains, connections, directories and passwordless (docs/management-api.md lists them)", named), nil)
		}, a.opts)
}

// maxNamedProcedure bounds the procedure name an Unimplemented answer
// repeats.
const maxNamedProcedure = 200
