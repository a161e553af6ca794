package mockidp

import (
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// maxFormBytes caps every form the mock reads; real requests are far
// smaller.
const maxFormBytes = 64 << 10

// handleAuthorize handles GET and POST /oauth/authorize (docs/scalekit-contract.md §4). With
// a live IdP session it answers with a code at once (single sign-on across
// the environment's apps); otherwise it signs in the login_hint or
// --auto-login user, or shows the sign-in page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The authorization request could not be read.", "Send the parameters as a query string (GET) or a form (POST).")
		return
	}
	s.plane.authorize(r, r.Form)
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
	if !req.Prompts("login") && !req.Prompts("create") {
		if ses := s.currentSession(r, now); ses != nil && req.RoutesTo(ses) && s.hintAllows(req, ses) {
			if u, err := s.tenant.User(ses.UserID); err == nil && req.Prompts("select_account") && len(u.Memberships) > 1 {
				s.showLogin(w, req, app, &u, "", "")
				return
			}
			s.issueCode(w, req, ses, now)
			return
		}
	}
	if req.Prompts("none") {
		s.redirectError(w, req, &wire.Error{Code: "login_required", Description: "The user is not signed in."})
		return
	}
	for _, email := range []string{req.LoginHint, s.autoLogin} {
		if u, err := s.tenant.UserByEmail(email); err == nil && email != "" {
			s.signIn(w, r, req, u, req.OrgID, now)
			return
		}
	}
	s.showLogin(w, req, app, nil, req.LoginHint, "")
}

// currentSession returns the browser's live IdP session, or nil.
func (s *Server) currentSession(r *http.Request, now time.Time) *store.Session {
	c, err := r.Cookie(s.cookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	return s.store.SessionByCookie(c.Value, now, s.life.SessionIdle)
}

// hintAllows reports whether a live session may answer a request: a
// login_hint naming another seeded user asks for that user, as CI runs
// that switch users by hint expect.
func (s *Server) hintAllows(req store.AuthRequest, ses *store.Session) bool {
	if req.LoginHint == "" {
		return true
	}
	u, err := s.tenant.UserByEmail(req.LoginHint)
	return err != nil || u.ID == ses.UserID
}

// signIn starts an IdP session for the user, sets its cookie and answers
// with a code. orgID is the organization asked for; a user who is not a
// member of it (or whose invitation to it expired) signs in to their
// first organization, through that organization's connection, so that
// oid and amr agree, or to none when they are a member of none. The
// tenant records the sign-in: the last login, and an invitation to orgID
// accepted.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, req store.AuthRequest, u tenant.User, orgID string, now time.Time) {
	s.issueCode(w, req, s.startSession(w, r, req, u, orgID, now), now)
}

// startSession starts the browser's IdP session for a sign-in (signIn)
// and sets its cookie. A request without a client (an invitation accepted
// on the mock's own page) starts a session no app has used yet.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, req store.AuthRequest, u tenant.User, orgID string, now time.Time) *store.Session {
	connID := req.ConnID
	if landed := u.SignInOrg(orgID); landed != orgID {
		orgID = landed
		if req.OrgID != "" {
			connID = "" // the requested organization's connection no longer applies
		}
	}
	if connID == "" {
		connID = s.connectionFor(orgID)
	}
	var clients []string
	if req.ClientID != "" {
		clients = []string{req.ClientID}
	}
	ses := &store.Session{
		ID: s.ids.New("ses_"), UserID: u.ID, OrgID: orgID, ConnID: connID,
		AuthTime: now, LastSeen: now, Expires: now.Add(s.life.SessionAbsolute),
		UserAgent: r.UserAgent(), IP: clientIP(r), Clients: clients,
	}
	cookie := ids.Token()
	s.store.AddSession(cookie, ses)
	s.tenant.SignedIn(u.ID, orgID)
	s.sessionStarted(ses)
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: cookie, Path: "/", Expires: ses.Expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return ses
}

// issueCode redirects to the app with a new single-use code bound to the
// client, redirect URI, nonce and PKCE challenge (docs/scalekit-contract.md §5).
func (s *Server) issueCode(w http.ResponseWriter, req store.AuthRequest, ses *store.Session, now time.Time) {
	if e := s.drills.AuthorizeError(req.ClientID); e != nil {
		s.redirectError(w, req, e)
		return
	}
	code := s.drills.Code(s.secret(), req.ClientID)
	nonce, challenge := s.drills.InjectedLogin(req.Nonce, req.Challenge, req.ClientID)
	s.store.AddCode(code, &store.AuthCode{
		Grant:       store.Grant{ClientID: req.ClientID, Scope: req.Scope, SessionID: ses.ID},
		RedirectURI: req.RedirectURI,
		Nonce:       nonce,
		Challenge:   challenge,
		Expires:     now.Add(s.life.Code),
	})
	q := url.Values{"code": {code}, "state": {req.State}}
	s.drills.CallbackParams(q, req.ClientID)
	redirectWithParams(w, req.RedirectURI, q)
}

// redirectError sends an error back to the app with the original state
// (RFC 6749 §4.1.2.1).
func (s *Server) redirectError(w http.ResponseWriter, req store.AuthRequest, e *wire.Error) {
	e = s.withCanary(e)
	redirectWithParams(w, req.RedirectURI, url.Values{
		"error": {e.Code}, "error_description": {e.Description}, "state": {req.State},
	})
}

// clientIP is the address a request came from, for the session's device:
// the mock serves loopback and CI, behind no proxy it should believe.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
