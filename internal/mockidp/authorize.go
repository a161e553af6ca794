package mockidp

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxFormBytes caps every form the mock reads; real requests are far
// smaller.
const maxFormBytes = 64 << 10

// handleAuthorize handles GET and POST /oauth/authorize (contract §4). With
// a live IdP session it answers with a code at once (single sign-on across
// the environment's apps); otherwise it signs in the login_hint or
// --auto-login user, or shows the sign-in page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The authorization request could not be read.", "Send the parameters as a query string (GET) or a form (POST).")
		return
	}
	s.annotateAuthorize(r)
	req, app, pageErr, redirectErr := s.parseAuthRequest(r.Form)
	switch {
	case pageErr != nil:
		hint := "Register the app's redirect URI in the fixtures file (apps[].redirect_uris) or with --redirect-uri."
		if pageErr.Code == "invalid_client" {
			hint = "Check SCALEKIT_CLIENT_ID: the apps of this environment are listed in its fixtures file."
		}
		s.errorPage(w, http.StatusBadRequest, pageErr.Code, pageErr.Description, hint)
		return
	case redirectErr != nil:
		s.redirectError(w, req, redirectErr)
		return
	}
	now := s.now()
	if !req.prompts("login") && !req.prompts("create") {
		if ses := s.currentSession(r, now); ses != nil && req.routesTo(ses) && s.hintAllows(req, ses) {
			if u, ok := s.findUser(ses.UserID); ok && req.prompts("select_account") && len(u.Memberships) > 1 {
				s.showLogin(w, req, app, &u, "", "")
				return
			}
			s.issueCode(w, req, ses, now)
			return
		}
	}
	if req.prompts("none") {
		s.redirectError(w, req, &oauthError{"login_required", "The user is not signed in."})
		return
	}
	for _, email := range []string{req.LoginHint, s.autoLogin} {
		if u, ok := s.findUserByEmail(email); ok && email != "" {
			s.signIn(w, req, u, req.OrgID, now)
			return
		}
	}
	s.showLogin(w, req, app, nil, req.LoginHint, "")
}

// routesTo reports whether the session satisfies the request's routing: a
// request for another organization or connection needs a new sign-in
// through it, as with Scalekit, where each connection authenticates anew.
func (r *authRequest) routesTo(ses *session) bool {
	return (r.OrgID == "" || r.OrgID == ses.OrgID) && (r.ConnID == "" || r.ConnID == ses.ConnID)
}

// currentSession returns the browser's live IdP session, or nil.
func (s *Server) currentSession(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(s.cookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	return s.store.sessionByCookie(c.Value, now, s.life.SessionIdle)
}

// hintAllows reports whether a live session may answer a request: a
// login_hint naming another seeded user asks for that user, as CI runs
// that switch users by hint expect.
func (s *Server) hintAllows(req authRequest, ses *session) bool {
	if req.LoginHint == "" {
		return true
	}
	u, ok := s.findUserByEmail(req.LoginHint)
	return !ok || u.ID == ses.UserID
}

// signIn starts an IdP session for the user, sets its cookie and answers
// with a code. orgID is the organization asked for; a user who is not a
// member of it signs in to their first organization, through that
// organization's connection, so that oid and amr agree.
func (s *Server) signIn(w http.ResponseWriter, req authRequest, u User, orgID string, now time.Time) {
	connID := req.ConnID
	if _, ok := u.membership(orgID); !ok && len(u.Memberships) > 0 {
		orgID = u.Memberships[0].Organization
		if req.OrgID != "" {
			connID = "" // the requested organization's connection no longer applies
		}
	}
	if connID == "" {
		connID = s.dir.orgs[orgID].firstConnection().ID
	}
	ses := &session{
		ID: s.ids.New("ses_"), UserID: u.ID, OrgID: orgID, ConnID: connID,
		AuthTime: now, LastSeen: now, Expires: now.Add(s.life.SessionAbsolute),
	}
	cookie := randomToken()
	s.store.addSession(cookie, ses)
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: cookie, Path: "/", Expires: ses.Expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	s.issueCode(w, req, ses, now)
}

// issueCode redirects to the app with a new single-use code bound to the
// client, redirect URI, nonce and PKCE challenge (contract §5).
func (s *Server) issueCode(w http.ResponseWriter, req authRequest, ses *session, now time.Time) {
	if p, ok := s.faults.take("authz.error", req.ClientID); ok {
		code, desc, hasDesc := strings.Cut(p, "&desc=")
		if !hasDesc {
			desc = `<script>alert("skctl")</script>`
		}
		s.redirectError(w, req, &oauthError{code, desc})
		return
	}
	code := s.secret()
	if s.faults.on("authz.huge_code", req.ClientID) {
		code = strings.Repeat(code, 16<<10/len(code))
	}
	nonce, challenge := req.Nonce, req.Challenge
	if s.faults.on("authz.code_injection", req.ClientID) {
		nonce, challenge = injectedLogin(challenge)
	}
	s.store.addCode(code, &authCode{
		grant:       grant{ClientID: req.ClientID, Scope: req.Scope, SessionID: ses.ID},
		RedirectURI: req.RedirectURI,
		Nonce:       nonce,
		Challenge:   challenge,
		Expires:     now.Add(s.life.Code),
	})
	redirectWithParams(w, req.RedirectURI, s.callbackParams(req, code))
}

// injectedLogin is the nonce and PKCE challenge of the login an attacker
// ran for authz.code_injection, whose code lands in the victim's callback
// (A3, C4): another nonce, and another challenge when the victim's login
// sent one. A login without PKCE gets a code without a challenge, as the
// attacker's own login would have, so that the exchange succeeds and only
// the RP's nonce check can catch the swap.
func injectedLogin(challenge string) (nonce, injected string) {
	nonce = "nonce-of-another-login-" + randomSuffix()
	if challenge != "" {
		sum := sha256.Sum256([]byte(randomToken())) // a verifier the RP never saw
		injected = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return nonce, injected
}

// callbackParams are the parameters of the redirect back to the app, with
// the authz.* modes applied. RFC 9207's iss is sent only when discovery
// says so (discovery.iss_param_supported): Scalekit does not send it.
func (s *Server) callbackParams(req authRequest, code string) url.Values {
	on := func(m string) bool { return s.faults.on(m, req.ClientID) }
	q := url.Values{"code": {code}, "state": {req.State}}
	if _, ok := s.faults.peek("discovery.iss_param_supported"); ok && !on("authz.iss_missing") {
		q.Set("iss", s.issuer)
	}
	if on("authz.iss_wrong") {
		q.Set("iss", "https://evil.example")
	}
	if on("authz.no_code") {
		q.Del("code")
	}
	if on("authz.no_state") {
		q.Del("state")
	}
	if on("authz.wrong_state") {
		q.Set("state", "state-the-app-never-sent")
	}
	if on("authz.duplicate_params") {
		q["code"] = []string{code, randomToken()}
		q["state"] = []string{req.State, "second-state"}
	}
	return q
}

// redirectError sends an error back to the app with the original state
// (RFC 6749 §4.1.2.1).
func (s *Server) redirectError(w http.ResponseWriter, req authRequest, e *oauthError) {
	e = s.withCanary(e)
	redirectWithParams(w, req.RedirectURI, url.Values{
		"error": {e.Code}, "error_description": {e.Description}, "state": {req.State},
	})
}
