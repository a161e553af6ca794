package mockidp

import (
	"net/http"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/observe"
	"github.com/skctl/skctl/internal/mockidp/rest"
)

// restPrefix is where Scalekit's REST API lives: the google.api.http
// bindings of the management API (/api/v1/organizations, …).
const restPrefix = "/api/v1/"

// restRoot is restPrefix's first segment, which no scenario environment
// may be named: /api/… always goes to the REST API.
const restRoot = "api"

// restCounter counts every request under /api/v1/ as it arrives; a call
// routed to a procedure is also counted under the procedure's own
// counter, as a gRPC call of it is.
const restCounter observe.Counter = "rest.requests"

// isRESTPath reports whether the REST API answers a path. SCIM lives
// under /api/v1/directories/{id}/scim/v2/ and is not the management
// API's: such a path is never the REST API's, whatever routes it.
func isRESTPath(path string) bool {
	return strings.HasPrefix(path, restPrefix) && !strings.Contains(path, "/scim/v2")
}

// newRESTAPI serves the management API's services over REST, through the
// same handlers (and so the same auth and store) as gRPC.
func (s *Server) newRESTAPI() (*rest.Handler, error) {
	return rest.New(rest.Config{
		Handler:  s.api,
		Services: s.api.Services(),
		Reached:  func(procedure string) { s.plane.counts.Add(grpcCounter(procedure)) },
	})
}

// serveREST answers a REST call with the drills the gRPC calls have: the
// net.* modes, and the grpc.* ones (grpc.unavailable answers 503 with
// code 14, grpc.resource_exhausted 429 with code 8).
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	s.withAPIDrills(w, r, restCounter, s.rest)
}
