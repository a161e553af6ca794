package mockidp

import (
	"net/http"

	"github.com/skctl/skctl/internal/mockidp/observe"
	"github.com/skctl/skctl/internal/mockidp/scim"
)

// scimCounter counts the requests of every directory's SCIM endpoint.
const scimCounter observe.Counter = "scim.requests"

// serveSCIM answers a directory's SCIM endpoint, where an organization's
// IdP pushes users and groups: counted, with the net.* modes applied as
// on every other route. The handler is a few fields over the environment,
// made per request so that the server keeps no SCIM state of its own.
func (s *Server) serveSCIM(w http.ResponseWriter, r *http.Request) {
	s.plane.counts.Add(scimCounter)
	h := &scim.Handler{Tenant: s.tenant, Issuer: s.issuer}
	if s.opts.StateDir != "" {
		// The tenant and the webhooks its change queued, as every door
		// that changes the tenant saves them: a push answered survives a
		// crash, and so does its webhook.
		h.Persist = s.persistTenant
	}
	s.withFaults(w, s.plane.record(r, nil), nil, h.ServeHTTP)
}
