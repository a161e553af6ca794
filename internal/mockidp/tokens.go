package mockidp

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// tokenResponse is the RFC 6749 §5.1 body, with the JSON types of contract
// §5: expires_in is whole seconds, never a float or nanoseconds.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// supportedScopes are the scopes the mock grants; others are ignored
// (contract §4).
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
// (contract §10).
func (s *Server) userTokens(app *App, ses *session, scope, nonce, code string, now time.Time, refresh bool) (*tokenResponse, error) {
	u, ok := s.findUser(ses.UserID)
	if !ok {
		return nil, errInvalidGrant("The user of this grant no longer exists in the fixtures.")
	}
	m, _ := u.membership(ses.OrgID)
	aud := []string{app.ClientID} // always an array: a string breaks the Go SDK (contract §7)
	atLife := s.life.AccessToken
	if p, ok := s.faults.take("at.exp_short", app.ClientID); ok {
		atLife = paramDuration(p)
	}

	at := map[string]any{
		"iss": s.issuer, "aud": aud, "client_id": app.ClientID,
		"sub": u.ID, "oid": ses.OrgID, "sid": ses.ID, "jti": s.ids.New("tkn_"),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(atLife).Unix(),
		"scope": scope, "scopes": strings.Fields(scope),
	}
	if len(m.Roles) > 0 {
		at["roles"] = m.Roles
	}
	if len(m.Permissions) > 0 {
		at["permissions"] = m.Permissions
	}
	s.addExternalIDs(at, ses.OrgID, u)
	for k, v := range u.Claims {
		at[k] = v
	}
	if s.opts.Canary != "" {
		at["skmock_canary"] = s.opts.Canary
	}
	s.applyAccessTokenModes(at, app.ClientID)
	access, err := s.signWithModes(at, app, false)
	if err != nil {
		return nil, err
	}

	verified := true
	if u.EmailVerified != nil {
		verified = *u.EmailVerified
	}
	idt := map[string]any{
		"iss": s.issuer, "aud": aud, "azp": app.ClientID, "client_id": app.ClientID,
		"sub": u.ID, "sid": ses.ID, "oid": ses.OrgID, "amr": []string{ses.ConnID},
		"iat": now.Unix(), "exp": now.Add(s.life.IDToken).Unix(), "auth_time": ses.AuthTime.Unix(),
		"at_hash": halfHash(access), "email": u.Email, "email_verified": verified,
	}
	if nonce != "" {
		idt["nonce"] = nonce
	}
	if code != "" {
		idt["c_hash"] = halfHash(code)
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
	delete(idt, "xuid") // the ID token carries xoid only (contract §7)
	for k, v := range u.Claims {
		idt[k] = v
	}
	if s.opts.Canary != "" {
		idt["skmock_canary"] = s.opts.Canary
	}
	s.applyIDTokenModes(idt, app.ClientID, now, refresh)
	id, err := s.signWithModes(idt, app, true)
	if err != nil {
		return nil, err
	}
	s.idTokens.Add(1)
	s.rotateForModes(false)
	if s.faults.on("at.same_as_id_token", app.ClientID) {
		access = id
	}
	return &tokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(atLife / time.Second),
		IDToken: id, Scope: scope,
	}, nil
}

func (s *Server) addExternalIDs(claims map[string]any, orgID string, u User) {
	if o := s.dir.orgs[orgID]; o != nil && o.ExternalID != "" {
		claims["xoid"] = o.ExternalID
	}
	if u.ExternalID != "" {
		claims["xuid"] = u.ExternalID
	}
}

// clientToken signs a client_credentials token (contract §7): the client is
// its own subject; no sid, and aud only when the app has an audience.
func (s *Server) clientToken(app *App, scope string, now time.Time) (*tokenResponse, error) {
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
	access, err := s.keys.sign(claims)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(s.life.M2MToken / time.Second), Scope: scope}, nil
}

// halfHash is at_hash / c_hash: base64url of the left half of the SHA-256
// of the value (OIDC Core §3.1.3.6, for RS256).
func halfHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
