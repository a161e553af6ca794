package mockidp

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// handleLogout handles GET (and POST) /oidc/logout, RP-Initiated Logout 1.0
// as contract §12 orders it: check the hint, end the IdP session for every
// app, then redirect only to a registered post-logout URI.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.logoutError(w, "The logout request could not be read.")
		return
	}
	clientID := r.Form.Get("client_id")
	// logout.status: an outage; the IdP session lives on.
	if p, ok := s.faults.take("logout.status", clientID); ok {
		status := paramStatus(p)
		renderPage(w, status, messagePage, messageData{Issuer: s.issuer, Title: "Sign-out failed",
			Code: "server_error", Message: "The end-session endpoint answered " + strconv.Itoa(status) + " (logout.status)."})
		return
	}
	hint := r.Form.Get("id_token_hint")
	if hint == "" && s.faults.on("logout.require_id_token_hint", clientID) {
		s.logoutError(w, "id_token_hint is required: send the ID token the app received (logout.require_id_token_hint).")
		return
	}
	sid := ""
	if hint != "" {
		// An expired hint is still good for logout (RP-Initiated Logout §4).
		claims, err := s.keys.verify(hint, s.issuer)
		if err != nil {
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
	app := s.dir.clients[clientID]
	if clientID != "" && app == nil {
		s.logoutError(w, "No app with this client_id exists in this environment.")
		return
	}

	if ses := s.currentSession(r, s.now()); ses != nil {
		s.store.endSession(ses.ID)
	}
	if sid != "" {
		s.store.endSession(sid)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})

	target := r.Form.Get("post_logout_redirect_uri")
	switch {
	case target == "":
		renderPage(w, http.StatusOK, messagePage, messageData{Issuer: s.issuer, Title: "Signed out",
			Message: "You are signed out of every app of this environment."})
	case !s.postLogoutAllowed(app, target):
		// logout.exact_post_logout_redirect_uri: an exact match is the
		// default (contract §12), so the mode changes nothing. It is kept
		// for the scenario names, and only uses up its count here.
		s.faults.on("logout.exact_post_logout_redirect_uri", clientID)
		renderPage(w, http.StatusBadRequest, messagePage, messageData{Issuer: s.issuer, Title: "Signed out",
			Code: "invalid_request", Message: "You are signed out, but the app's post_logout_redirect_uri is not registered, so you were not sent back to it.",
			Hint: "Register it in the fixtures file (apps[].post_logout_redirect_uris) or with --post-logout-redirect-uri."})
	default:
		state := r.Form.Get("state")
		if s.faults.on("logout.drop_state", clientID) {
			state = ""
		}
		if s.faults.on("logout.change_state", clientID) {
			state = "state-the-app-never-sent"
		}
		redirectWithParams(w, target, url.Values{"state": {state}})
	}
}

// postLogoutAllowed matches target exactly against the app's registered
// post-logout URIs, or against every app's when the request names none.
func (s *Server) postLogoutAllowed(app *App, target string) bool {
	if app != nil {
		return slices.Contains(app.PostLogoutRedirectURIs, target)
	}
	for _, a := range s.dir.apps {
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
