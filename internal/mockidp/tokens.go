package mockidp

import (
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// supportedScopes are the scopes the mock grants; others are ignored
// (docs/scalekit-contract.md §4).
var supportedScopes = []string{"openid", "profile", "email", "offline_access"}

// grantedScope keeps the supported scopes of a request, once each, in the
// order asked.
func grantedScope(requested string) string {
	var out []string
	for _, sc := range strings.Fields(requested) {
		if slices.Contains(supportedScopes, sc) && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// userTokens signs an access token and an ID token for a session and
// returns the response body (without the refresh token, which the caller
// decides). code is set for the code grant and adds c_hash; nonce is set
// only when the authorize request sent one, and never on refresh
// (docs/scalekit-contract.md §10).
func (s *Server) userTokens(app *fixture.App, ses *store.Session, scope, nonce, code string, now time.Time, refresh bool) (*wire.TokenResponse, error) {
	u, err := s.tenant.User(ses.UserID)
	if err != nil {
		return nil, wire.InvalidGrant("The user of this grant no longer exists in this environment.")
	}
	// roles and permissions are the membership's as it is now: a change
	// through the management API shows in the next token.
	m, _ := u.Membership(ses.OrgID)
	perms := s.tenant.Permissions(m)
	aud := []string{app.ClientID} // always an array: a string breaks the Go SDK (docs/scalekit-contract.md §7)
	atLife := s.drills.AccessTokenLife(app.ClientID, s.life.AccessToken)

	at := map[string]any{
		"iss": s.issuer, "aud": aud, "client_id": app.ClientID,
		"sub": u.ID, "oid": ses.OrgID, "sid": ses.ID, "jti": s.ids.New("tkn_"),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(atLife).Unix(),
		"scope": scope, "scopes": strings.Fields(scope),
	}
	if ses.OrgID == "" {
		delete(at, "oid") // a user of no organization
	}
	if len(m.Roles) > 0 {
		at["roles"] = m.Roles
	}
	if len(perms) > 0 {
		at["permissions"] = perms
	}
	s.addExternalIDs(at, ses.OrgID, u)
	for k, v := range u.Claims {
		at[k] = v
	}
	if s.opts.Canary != "" {
		at["skmock_canary"] = s.opts.Canary
	}
	s.drills.AccessTokenClaims(at, app.ClientID)
	access, err := s.sign(at, app, fault.AccessToken)
	if err != nil {
		return nil, err
	}

	verified := u.EmailVerified
	idt := map[string]any{
		"iss": s.issuer, "aud": aud, "azp": app.ClientID, "client_id": app.ClientID,
		"sub": u.ID, "sid": ses.ID, "oid": ses.OrgID, "amr": []string{ses.ConnID},
		"iat": now.Unix(), "exp": now.Add(s.life.IDToken).Unix(), "auth_time": ses.AuthTime.Unix(),
		"at_hash": fault.HalfHash(access), "email": u.Email, "email_verified": verified,
	}
	if ses.OrgID == "" {
		delete(idt, "oid")
	}
	if nonce != "" {
		idt["nonce"] = nonce
	}
	if code != "" {
		idt["c_hash"] = fault.HalfHash(code)
	}
	for k, v := range map[string]string{
		"name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName,
		"preferred_username": u.PreferredUsername, "locale": u.Locale, "picture": u.Picture,
		"phone_number": u.PhoneNumber,
	} {
		if v != "" {
			idt[k] = v
		}
	}
	if u.PhoneNumberVerified != nil {
		idt["phone_number_verified"] = *u.PhoneNumberVerified
	}
	s.addExternalIDs(idt, ses.OrgID, u)
	delete(idt, "xuid") // the ID token carries xoid only (docs/scalekit-contract.md §7)
	for k, v := range u.Claims {
		idt[k] = v
	}
	if s.opts.Canary != "" {
		idt["skmock_canary"] = s.opts.Canary
	}
	s.drills.IDTokenClaims(idt, app.ClientID, now, refresh)
	id, err := s.sign(idt, app, fault.IDToken)
	if err != nil {
		return nil, err
	}
	s.drills.IDTokenSigned()
	if s.drills.SameAsIDToken(app.ClientID) {
		access = id
	}
	return &wire.TokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(atLife / time.Second),
		IDToken: id, Scope: scope,
	}, nil
}

func (s *Server) addExternalIDs(claims map[string]any, orgID string, u tenant.User) {
	if o, err := s.tenant.Org(orgID); err == nil && o.ExternalID != "" {
		claims["xoid"] = o.ExternalID
	}
	if u.ExternalID != "" {
		claims["xuid"] = u.ExternalID
	}
}

// clientToken signs a client_credentials token (docs/scalekit-contract.md §7): the client is
// its own subject; no sid, and aud only when the app has an audience.
func (s *Server) clientToken(app *fixture.App, scope string, now time.Time) (*wire.TokenResponse, error) {
	claims := map[string]any{
		"iss": s.issuer, "client_id": app.ClientID, "sub": app.ClientID, "jti": s.ids.New("tkn_"),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(s.life.M2MToken).Unix(),
		"scope": scope, "scopes": strings.Fields(scope),
	}
	if app.Organization != "" {
		claims["oid"] = app.Organization
	}
	if s.opts.Canary != "" {
		claims["skmock_canary"] = s.opts.Canary
	}
	if len(app.Audience) > 0 {
		claims["aud"] = app.Audience
	}
	access, err := s.keys.Sign(claims)
	if err != nil {
		return nil, err
	}
	return &wire.TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(s.life.M2MToken / time.Second), Scope: scope}, nil
}

// sign signs a user's token with the environment's key, unless a drill
// signs it its own way.
func (s *Server) sign(claims map[string]any, app *fixture.App, t fault.Token) (string, error) {
	if tok, signed, err := s.drills.Sign(claims, app.ClientID, app.ClientSecret, t); signed {
		return tok, err
	}
	return s.keys.Sign(claims)
}
