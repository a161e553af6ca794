package mockidp

import (
	"net/http"
)

// handlePortal answers an admin portal link (generatePortalLink) with a
// page for its organization, once: the link is single-use. Scalekit's
// portal itself (SSO, SCIM and domain set-up) is not emulated yet; the
// page says what the link is for.
func (s *Server) handlePortal(w http.ResponseWriter, r *http.Request) {
	v := s.api.OpenPortal(r.URL.Path, r.Method == http.MethodHead)
	status := http.StatusOK
	if v.Problem != "" {
		status = http.StatusNotFound
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		return
	}
	data := messageData{Issuer: s.issuer, Title: "Admin portal", Message: v.Problem}
	if v.Problem == "" {
		data.Title = "Admin portal · " + v.OrgName
		data.Message = "This is where the IT admin of " + v.OrgName + " (" + v.OrgID + ") would set up single sign-on, directory sync and domains in Scalekit's admin portal."
		data.Hint = "skctl mock-idp does not emulate the portal's settings yet: use the management API (connections, directories, domains) to set them up."
	}
	renderPage(w, status, messagePage, data)
}
