package mockidp

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
)

// handleLogout handles GET (and POST) /oidc/logout, RP-Initiated Logout 1.0
// as docs/scalekit-contract.md §12 orders it: check the hint, end the IdP session for every
// app, then redirect only to a registered post-logout URI.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.logoutError(w, "The logout request could not be read.")
		return
	}
	clientID := r.Form.Get("client_id")
	hint := r.Form.Get("id_token_hint")
	if hint == "" && s.drills.RequireIDTokenHint(clientID) {
		s.logoutError(w, "id_token_hint is required: send the ID token the app received (logout.require_id_token_hint).")
		return
	}
	sid := ""
	if hint != "" {
		// An expired hint is still good for logout (RP-Initiated Logout §4).
		// Only an ID token of this environment is a hint: an access token
		// also verifies, but carries a scope and no at_hash.
		claims, err := s.keys.Verify(hint, s.issuer)
		_, hasAtHash := claims["at_hash"]
		_, hasScope := claims["scope"]
		if err != nil || !hasAtHash || hasScope {
			s.logoutError(w, "The id_token_hint is not an ID token of this environment.")
			return
		}
		azp, _ := claims["azp"].(string)
		if clientID != "" && azp != "" && clientID != azp {
			s.logoutError(w, "client_id does not match the id_token_hint.")
			return
		}
		if azp != "" {
			clientID = azp
		}
		sid, _ = claims["sid"].(string)
	}
	app := s.dir.Client(clientID)
	if clientID != "" && app == nil {
		s.logoutError(w, "No app with this client_id exists in this environment.")
		return
	}

	if ses := s.currentSession(r, s.now()); ses != nil && s.store.EndSession(ses.ID, store.EndLogout) {
		s.sessionsEnded(ses.ID)
	}
	if sid != "" && s.store.EndSession(sid, store.EndLogout) {
		s.sessionsEnded(sid)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})

	target := r.Form.Get("post_logout_redirect_uri")
	switch {
	case target == "":
		renderPage(w, http.StatusOK, messagePage, messageData{Issuer: s.issuer, Title: "Signed out",
			Message: "You are signed out of every app of this environment."})
	case !s.postLogoutAllowed(app, target):
		// An exact match is the default (docs/scalekit-contract.md §12).
		s.drills.PostLogoutRefused(clientID)
		renderPage(w, http.StatusBadRequest, messagePage, messageData{Issuer: s.issuer, Title: "Signed out",
			Code: "invalid_request", Message: "You are signed out, but the app's post_logout_redirect_uri is not registered, so you were not sent back to it.",
			Hint: "Register it in the fixtures file (apps[].post_logout_redirect_uris) or with --post-logout-redirect-uri."})
	default:
		redirectWithParams(w, target, url.Values{"state": {s.drills.LogoutState(r.Form.Get("state"), clientID)}})
	}
}

// postLogoutAllowed matches target exactly against the app's registered
// post-logout URIs, or against every app's when the request names none.
func (s *Server) postLogoutAllowed(app *fixture.App, target string) bool {
	if app != nil {
		return slices.Contains(app.PostLogoutRedirectURIs, target)
	}
	for _, a := range s.dir.Apps() {
		if slices.Contains(a.PostLogoutRedirectURIs, target) {
			return true
		}
	}
	return false
}

func (s *Server) logoutError(w http.ResponseWriter, msg string) {
	renderPage(w, http.StatusBadRequest, messagePage, messageData{Issuer: s.issuer, Title: "Sign-out cannot continue",
		Code: "invalid_request", Message: msg, Hint: "The app's logout link is wrong: check how it builds the /oidc/logout URL."})
}

// logoutOutagePage answers an outage of the end-session endpoint as the
// browser sees it: a page. The IdP session lives on.
func (s *Server) logoutOutagePage(w http.ResponseWriter, status int, m fault.Mode) {
	renderPage(w, status, messagePage, messageData{Issuer: s.issuer, Title: "Sign-out failed",
		Code: "server_error", Message: "The end-session endpoint answered " + strconv.Itoa(status) + " (" + string(m) + ")."})
}
