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

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// handleToken handles POST /oauth/token (docs/scalekit-contract.md §5): the code, refresh
// and client_credentials grants, with RFC 6749 §5.2 errors.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		wire.WriteJSON(w, http.StatusMethodNotAllowed, wire.InvalidRequest("The token endpoint takes POST."))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.writeTokenError(w, wire.InvalidRequest("Send the request as application/x-www-form-urlencoded."), false)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeTokenError(w, wire.InvalidRequest("The form body could not be read."), false)
		return
	}
	form := r.PostForm
	s.plane.token(r, form)
	for name, v := range form {
		if len(v) > 1 {
			s.writeTokenError(w, wire.InvalidRequest("The parameter "+name+" is repeated."), false)
			return
		}
	}
	app, basic, e := s.authenticateClient(r, form)
	if e != nil {
		s.writeTokenError(w, e, basic)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == wire.GrantRefresh {
		s.plane.refresh()
	}
	if refusal, answered := s.drills.TokenRequest(w, r, app.ClientID, grantType, basic); answered {
		return
	} else if refusal != nil {
		s.writeTokenError(w, refusal, basic)
		return
	}
	var resp *wire.TokenResponse
	switch {
	case grantType == "":
		e = wire.InvalidRequest("grant_type is required.")
	case grantType != wire.GrantCode && grantType != wire.GrantRefresh && grantType != wire.GrantClientCreds:
		e = &wire.Error{Code: "unsupported_grant_type", Description: "Use authorization_code, refresh_token or client_credentials."}
	case !app.Allows(grantType):
		e = &wire.Error{Code: "unauthorized_client", Description: "This app may not use the " + grantType + " grant."}
	case grantType == wire.GrantCode:
		resp, e = s.codeGrant(app, form)
	case grantType == wire.GrantRefresh:
		resp, e = s.refreshGrant(app, form)
	default:
		resp, e = s.clientCredentialsGrant(app, form)
	}
	if e != nil {
		s.writeTokenError(w, e, basic)
		return
	}
	wire.WriteJSON(w, http.StatusOK, s.drills.TokenResponse(resp, app.ClientID, grantType))
}

func (s *Server) codeGrant(app *fixture.App, form url.Values) (*wire.TokenResponse, *wire.Error) {
	code := form.Get("code")
	if code == "" {
		return nil, wire.InvalidRequest("code is required.")
	}
	now := s.now()
	c := s.store.TakeCode(code)
	if c == nil {
		// A code redeemed twice was stolen or replayed: a drill may revoke
		// what the first redemption issued too (RFC 6749 §4.1.2). The
		// replay fails either way.
		s.drills.CodeReplay(app.ClientID, func() bool { return s.store.RevokeRedeemed(code) })
	}
	switch {
	case c == nil:
		return nil, wire.InvalidGrant("The code is unknown or was already used.")
	case !now.Before(c.Expires):
		return nil, wire.InvalidGrant("The code has expired.")
	case c.ClientID != app.ClientID:
		return nil, wire.InvalidGrant("The code was issued to another client.")
	case form.Get("redirect_uri") != c.RedirectURI:
		return nil, wire.InvalidGrant("redirect_uri differs from the one sent to the authorize endpoint.")
	}
	if e := checkVerifier(c.Challenge, form.Get("code_verifier")); e != nil {
		return nil, e
	}
	ses := s.store.SessionByID(c.SessionID, now, s.life.SessionIdle)
	if ses == nil {
		return nil, wire.InvalidGrant("The user's session has ended.")
	}
	s.store.UsedBy(ses.ID, app.ClientID)
	scope := grantedScope(c.Scope)
	resp, err := s.userTokens(app, ses, scope, c.Nonce, code, now, false)
	if err != nil {
		return nil, asOAuthError(err)
	}
	// Refresh tokens come only with offline_access (docs/scalekit-contract.md §10).
	if slices.Contains(strings.Fields(scope), "offline_access") && app.Allows(wire.GrantRefresh) {
		resp.RefreshToken = s.secret()
		s.store.AddRefresh(resp.RefreshToken, &store.RefreshGrant{Grant: store.Grant{ClientID: app.ClientID, Scope: scope, SessionID: ses.ID}})
	}
	s.store.MarkRedeemed(code, ses.ID, resp.RefreshToken, c.Expires)
	s.persist()
	return resp, nil
}

// pkceVerifier is RFC 7636 §4.1: 43 to 128 unreserved characters.
var pkceVerifier = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// checkVerifier checks code_verifier against the code's S256 challenge. A
// verifier for a code that had no challenge is refused too (RFC 9700
// §2.1.1), so an attacker cannot strip PKCE from a flow.
func checkVerifier(challenge, verifier string) *wire.Error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return wire.InvalidGrant("code_verifier was sent, but the authorization request had no code_challenge.")
	case verifier == "":
		return wire.InvalidGrant("code_verifier is required: the authorization request had a code_challenge.")
	case !pkceVerifier.MatchString(verifier):
		return wire.InvalidGrant("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return wire.InvalidGrant("code_verifier does not match the code_challenge.")
	}
	return nil
}

func (s *Server) refreshGrant(app *fixture.App, form url.Values) (*wire.TokenResponse, *wire.Error) {
	old := form.Get("refresh_token")
	if old == "" {
		return nil, wire.InvalidRequest("refresh_token is required.")
	}
	asked := strings.Fields(form.Get("scope"))
	now := s.now()
	next := s.secret()
	keepOld := s.drills.KeepRefreshToken(app.ClientID)
	if keepOld {
		next = old // the "rotation" keeps the token, and the answer has none (E3)
	}
	var scope string
	ses, e := s.store.RotateRefresh(old, next, now, s.life.SessionIdle, func(g *store.RefreshGrant, ses *store.Session) *wire.Error {
		switch {
		case g.ClientID != app.ClientID:
			return wire.InvalidGrant("The refresh token was issued to another client.")
		case ses == nil:
			return wire.InvalidGrant("The user's session has ended: sign in again.")
		}
		scope = g.Scope
		if len(asked) > 0 {
			granted := strings.Fields(g.Scope)
			for _, sc := range asked {
				if !slices.Contains(granted, sc) {
					return &wire.Error{Code: "invalid_scope", Description: "The scope " + sc + " was not granted originally."}
				}
			}
			scope = strings.Join(asked, " ")
		}
		return nil
	})
	if e != nil {
		if grace, use, on := s.drills.ReuseDetection(app.ClientID); on && s.store.RevokeFamily(old, now, grace, use) {
			s.persist()
			return nil, wire.InvalidGrant("The refresh token was already used, so every refresh token of its family is revoked: sign in again (refresh.reuse_detection).")
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
	s.persist()
	return resp, nil
}

func (s *Server) clientCredentialsGrant(app *fixture.App, form url.Values) (*wire.TokenResponse, *wire.Error) {
	scopes := app.Scopes
	if asked := strings.Fields(form.Get("scope")); len(asked) > 0 {
		for _, sc := range asked {
			if !slices.Contains(app.Scopes, sc) && sc != "openid" {
				return nil, &wire.Error{Code: "invalid_scope", Description: "The scope " + sc + " is not granted to this client."}
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

// asOAuthError passes an *wire.Error through and turns anything else (a
// signing failure) into server_error.
func asOAuthError(err error) *wire.Error {
	if e, ok := err.(*wire.Error); ok {
		return e
	}
	return &wire.Error{Code: "server_error", Description: "The mock could not sign the token."}
}

// persist saves the state before a grant is answered, when the
// environment keeps it in a directory: a crash right after the answer must
// not revive the code or refresh token the grant spent, nor forget the
// refresh token it issued, nor the user a sign-up made whom the tokens
// name. Other changes (sessions touched, pages, last logins) are saved on
// the background tick.
func (s *Server) persist() {
	if s.opts.StateDir == "" {
		return
	}
	if err := s.tenant.Persist(s.opts.StateDir); err != nil {
		s.log.Error("saving state", "err", err)
	}
	if err := s.store.Persist(s.opts.StateDir); err != nil {
		s.log.Error("saving state", "err", err)
	}
	// The sign-up and user.login a grant follows were queued for their
	// webhooks when they happened; they are durable from here.
	if err := s.persistWebhooks(); err != nil {
		s.log.Error("saving state", "err", err)
	}
}
