package mockidp

import (
	"net/http"
	"net/url"
	"time"
)

// idpInitiatedLifetime is how long an idp_initiated_login token lives
// (undocumented by Scalekit; docs/scalekit-contract.md §9).
const idpInitiatedLifetime = 5 * time.Minute

// handleIdPInitiated handles /__mock/idp-initiated?client_id=…&email=…
// [&organization_id=…][&relay_state=…]: it sends the browser to the app's
// Initiate login URL with a signed idp_initiated_login token, as Scalekit
// does when a user starts at their IdP (docs/scalekit-contract.md §14). The app then starts
// an ordinary authorization request with the token's values.
func (s *Server) handleIdPInitiated(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := s.dir.Client(q.Get("client_id"))
	if app == nil || app.InitiateLoginURI == "" {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "No app with this client_id has an initiate_login_uri.", "Set apps[].initiate_login_uri in the fixtures file.")
		return
	}
	u, err := s.tenant.UserByEmail(q.Get("email"))
	if err != nil || q.Get("email") == "" {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "No user with this email in this environment.", "Pass email= of a user of the fixtures or one the management API created.")
		return
	}
	org := u.SignInOrg(q.Get("organization_id"))
	now := s.now()
	claims := map[string]any{
		"iss": s.issuer, "aud": []string{app.ClientID}, "iat": now.Unix(), "exp": now.Add(idpInitiatedLifetime).Unix(),
		"organization_id": org, "connection_id": s.connectionFor(org), "login_hint": u.Email,
		"relay_state": nil,
	}
	if rs := q.Get("relay_state"); rs != "" {
		claims["relay_state"] = rs
	}
	token, err := s.keys.Sign(claims)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "server_error", "The token could not be signed.", "")
		return
	}
	redirectWithParams(w, app.InitiateLoginURI, url.Values{"idp_initiated_login": {token}})
}
