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
	return connect.NewUnaryHandler(procedure,
		func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			return nil, withInfo(connect.CodeUnimplemented,
				fmt.Sprintf("%s is not emulated by skctl mock-idp, which serves organizations, users and memberships, sessions, domains, connections, directories and passwordless (docs/management-api.md lists them)", procedure), nil)
		}, a.opts)
}
