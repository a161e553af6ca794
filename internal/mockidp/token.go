package mockidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// handleToken handles POST /oauth/token (contract §5): the code, refresh
// and client_credentials grants, with RFC 6749 §5.2 errors.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errInvalidRequest("The token endpoint takes POST."))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.writeTokenError(w, errInvalidRequest("Send the request as application/x-www-form-urlencoded."), false)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeTokenError(w, errInvalidRequest("The form body could not be read."), false)
		return
	}
	s.annotateToken(r)
	form := r.PostForm
	for name, v := range form {
		if len(v) > 1 {
			s.writeTokenError(w, errInvalidRequest("The parameter "+name+" is repeated."), false)
			return
		}
	}
	app, basic, e := s.authenticateClient(r, form)
	if e != nil {
		s.writeTokenError(w, e, basic)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == grantRefresh {
		s.counts.refresh.Add(1)
	}
	if s.tokenFault(w, r, app.ClientID, grantType, basic) {
		return
	}
	var resp *tokenResponse
	switch {
	case grantType == "":
		e = errInvalidRequest("grant_type is required.")
	case grantType != grantCode && grantType != grantRefresh && grantType != grantClientCreds:
		e = &oauthError{"unsupported_grant_type", "Use authorization_code, refresh_token or client_credentials."}
	case !app.allows(grantType):
		e = &oauthError{"unauthorized_client", "This app may not use the " + grantType + " grant."}
	case grantType == grantCode:
		resp, e = s.codeGrant(app, form)
	case grantType == grantRefresh:
		resp, e = s.refreshGrant(app, form)
	default:
		resp, e = s.clientCredentialsGrant(app, form)
	}
	if e != nil {
		s.writeTokenError(w, e, basic)
		return
	}
	writeJSON(w, http.StatusOK, s.shapeTokenResponse(resp, app.ClientID, grantType))
}

func (s *Server) codeGrant(app *App, form url.Values) (*tokenResponse, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required.")
	}
	now := s.now()
	c := s.store.takeCode(code)
	if c == nil {
		// A code redeemed twice was stolen or replayed: with
		// code.single_use, what the first redemption issued is revoked too
		// (RFC 6749 §4.1.2). The replay fails either way.
		if _, on := s.faults.peek("code.single_use"); on && s.store.revokeRedeemed(code) {
			s.faults.on("code.single_use", app.ClientID)
		}
	}
	switch {
	case c == nil:
		return nil, errInvalidGrant("The code is unknown or was already used.")
	case !now.Before(c.Expires):
		return nil, errInvalidGrant("The code has expired.")
	case c.ClientID != app.ClientID:
		return nil, errInvalidGrant("The code was issued to another client.")
	case form.Get("redirect_uri") != c.RedirectURI:
		return nil, errInvalidGrant("redirect_uri differs from the one sent to the authorize endpoint.")
	}
	if e := checkVerifier(c.Challenge, form.Get("code_verifier")); e != nil {
		return nil, e
	}
	ses := s.store.sessionByID(c.SessionID, now, s.life.SessionIdle)
	if ses == nil {
		return nil, errInvalidGrant("The user's session has ended.")
	}
	scope := grantedScope(c.Scope)
	resp, err := s.userTokens(app, ses, scope, c.Nonce, code, now, false)
	if err != nil {
		return nil, asOAuthError(err)
	}
	// Refresh tokens come only with offline_access (contract §10).
	if slices.Contains(strings.Fields(scope), "offline_access") && app.allows(grantRefresh) {
		resp.RefreshToken = s.secret()
		s.store.addRefresh(resp.RefreshToken, &refreshGrant{grant{ClientID: app.ClientID, Scope: scope, SessionID: ses.ID}})
	}
	s.store.markRedeemed(code, resp.RefreshToken, c.Expires)
	return resp, nil
}

// pkceVerifier is RFC 7636 §4.1: 43 to 128 unreserved characters.
var pkceVerifier = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// checkVerifier checks code_verifier against the code's S256 challenge. A
// verifier for a code that had no challenge is refused too (RFC 9700
// §2.1.1), so an attacker cannot strip PKCE from a flow.
func checkVerifier(challenge, verifier string) *oauthError {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return errInvalidGrant("code_verifier was sent, but the authorization request had no code_challenge.")
	case verifier == "":
		return errInvalidGrant("code_verifier is required: the authorization request had a code_challenge.")
	case !pkceVerifier.MatchString(verifier):
		return errInvalidGrant("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return errInvalidGrant("code_verifier does not match the code_challenge.")
	}
	return nil
}

func (s *Server) refreshGrant(app *App, form url.Values) (*tokenResponse, *oauthError) {
	old := form.Get("refresh_token")
	if old == "" {
		return nil, errInvalidRequest("refresh_token is required.")
	}
	asked := strings.Fields(form.Get("scope"))
	now := s.now()
	next := s.secret()
	keepOld := s.faults.on("refresh.no_new_refresh_token", app.ClientID)
	if keepOld {
		next = old // the "rotation" keeps the token, and the answer has none (E3)
	}
	var scope string
	ses, e := s.store.rotateRefresh(old, next, now, s.life.SessionIdle, func(g *refreshGrant, ses *session) *oauthError {
		switch {
		case g.ClientID != app.ClientID:
			return errInvalidGrant("The refresh token was issued to another client.")
		case ses == nil:
			return errInvalidGrant("The user's session has ended: sign in again.")
		}
		scope = g.Scope
		if len(asked) > 0 {
			granted := strings.Fields(g.Scope)
			for _, sc := range asked {
				if !slices.Contains(granted, sc) {
					return &oauthError{"invalid_scope", "The scope " + sc + " was not granted originally."}
				}
			}
			scope = strings.Join(asked, " ")
		}
		return nil
	})
	if e != nil {
		if s.reuseDetected(old, app.ClientID) {
			return nil, errInvalidGrant("The refresh token was already used, so every refresh token of its family is revoked: sign in again (refresh.reuse_detection).")
		}
		return nil, e
	}
	resp, err := s.userTokens(app, ses, scope, "", "", now, true)
	if err != nil {
		return nil, asOAuthError(err)
	}
	if !keepOld {
		resp.RefreshToken = next
	}
	return resp, nil
}

// reuseDetected applies refresh.reuse_detection to a refresh token the
// store refused: when it is a rotated-out token, its family is revoked
// (RFC 9700 §4.14.2). By default a replay fails alone (contract §10).
func (s *Server) reuseDetected(token, client string) bool {
	if _, ok := s.faults.peek("refresh.reuse_detection"); !ok {
		return false
	}
	grace, _ := s.faults.peek("refresh.reuse_detection")
	return s.store.revokeFamily(token, s.now(), paramDuration(grace), func() bool { return s.faults.on("refresh.reuse_detection", client) })
}

func (s *Server) clientCredentialsGrant(app *App, form url.Values) (*tokenResponse, *oauthError) {
	scopes := app.Scopes
	if asked := strings.Fields(form.Get("scope")); len(asked) > 0 {
		for _, sc := range asked {
			if !slices.Contains(app.Scopes, sc) && sc != "openid" {
				return nil, &oauthError{"invalid_scope", "The scope " + sc + " is not granted to this client."}
			}
		}
		scopes = asked
	}
	scope := strings.Join(scopes, " ")
	if scope == "" {
		scope = "openid"
	}
	resp, err := s.clientToken(app, scope, s.now())
	if err != nil {
		return nil, asOAuthError(err)
	}
	return resp, nil
}

// asOAuthError passes an *oauthError through and turns anything else (a
// signing failure) into server_error.
func asOAuthError(err error) *oauthError {
	if e, ok := err.(*oauthError); ok {
		return e
	}
	return &oauthError{"server_error", "The mock could not sign the token."}
}
