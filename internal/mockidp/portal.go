package mockidp

import (
	"net/http"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/mgmt"
	"github.com/skctl/skctl/internal/mockidp/portal"
)

// The admin portal (docs/admin-portal.md): an app embeds
// generatePortalLink's {env}/magicLink/<id> in an iframe, and an IT admin
// of the organization sets up its domains, single sign-on and SCIM
// there. Opening the link (once, within a minute) starts a session of up
// to six hours, named by a token in the path: /magicLink/<id>/s/<token>.
// Every action is the tenant change the management API makes, so it has
// the same events, and the page posts Scalekit's browser events to the
// page that embeds it.

// handlePortal handles every method under /magicLink/: GET and HEAD of a
// link and of its session's page, POST of the session's actions.
func (s *Server) handlePortal(w http.ResponseWriter, r *http.Request) {
	rt, ok := portal.ParsePath(strings.TrimPrefix(r.URL.Path, mgmt.PortalPath))
	if !ok {
		s.portalMessage(w, http.StatusNotFound, "", "Admin portal", "There is no admin portal page at this address.",
			"Admin portal links look like "+s.issuer+mgmt.PortalPath+"<id>: ask the app for a new one.", portal.LoadFailure)
		return
	}
	allow := "GET, HEAD"
	if rt.Action != "" {
		allow = "POST"
	}
	if !methodAllowed(r.Method, allow) {
		w.Header().Set("Allow", allow)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case rt.Token == "":
		s.openPortalLink(w, r, rt.LinkID)
	case rt.Action == "":
		s.servePortalPage(w, r, rt)
	default:
		s.servePortalAction(w, r, rt)
	}
}

// openPortalLink handles GET /magicLink/<id>: it spends the link, starts
// a session and sends the browser to the session's page. A HEAD (a link
// preview, a prefetch) only looks: it must not spend a single-use link.
func (s *Server) openPortalLink(w http.ResponseWriter, r *http.Request, linkID string) {
	if r.Method == http.MethodHead {
		status := http.StatusOK
		if s.api.OpenPortal(mgmt.PortalPath+linkID, true).Problem != "" {
			status = http.StatusNotFound
		}
		s.portalHeaders(w.Header(), "")
		w.WriteHeader(status)
		return
	}
	v := s.api.OpenPortal(mgmt.PortalPath+linkID, false)
	if v.Problem != "" {
		s.portalMessage(w, http.StatusNotFound, v.OrgID, "Admin portal link cannot be opened", v.Problem, "", portal.LoadFailure)
		return
	}
	token := s.portals.Start(linkID, v.OrgID, s.now())
	s.portalRedirect(w, r, linkID, token)
}

// portalURL is a session's page.
func (s *Server) portalURL(linkID, token string) string {
	return s.issuer + mgmt.PortalPath + portal.SessionPath(linkID, token)
}

// portalRedirect sends the browser to a session's page with a 303, so
// that a reload of the page after an action does not post it again
// (POST-redirect-GET), and the link itself is not loaded twice.
func (s *Server) portalRedirect(w http.ResponseWriter, r *http.Request, linkID, token string) {
	s.portalHeaders(w.Header(), "")
	http.Redirect(w, r, s.portalURL(linkID, token), http.StatusSeeOther)
}

// portalEnded answers a session that is over, or never was.
func (s *Server) portalEnded(w http.ResponseWriter) {
	s.portalMessage(w, http.StatusNotFound, "", "Admin portal session ended",
		"This admin portal session has ended: a session lasts up to six hours from the opening of its link, and a restart of the mock ends it.",
		"Ask the app for a new link: apps make them with generatePortalLink.", portal.SessionExpiry)
}

// portalLogPath is a path as the request logs show it: an admin portal
// session's token, its only credential, replaced. The portal may be a
// scenario environment's, under /<name>.
func portalLogPath(path string) string {
	i := strings.Index(path, mgmt.PortalPath)
	if i < 0 {
		return path
	}
	i += len(mgmt.PortalPath)
	return path[:i] + portal.Redacted(path[i:])
}

// recordPortal records a portal request in the request log
// (/__mock/requests?log=1) under its redacted path, and returns the
// request as it is, with the log entry in its context.
func (s *Server) recordPortal(r *http.Request) *http.Request {
	shown := r.WithContext(r.Context())
	u := *r.URL
	u.Path, u.RawPath = portalLogPath(u.Path), ""
	shown.URL = &u
	return r.WithContext(s.plane.record(shown, nil).Context())
}
