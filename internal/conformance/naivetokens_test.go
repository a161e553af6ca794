package conformance_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The naive app's outcomes of a token check or an IdP call.
var (
	errTokenExpired = errors.New("token expired")                 // refresh
	errInvalidToken = errors.New("token invalid")                 // sign out
	errIdPDown      = errors.New("the identity provider is down") // 503, keep the session
)

// maxIdPAnswer bounds what the app reads of an answer of the IdP.
const maxIdPAnswer = 1 << 20

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	Error        string `json:"error"`
}

// exchange posts a grant to the token endpoint, authenticating with
// client_secret_post. invalid_grant and invalid_client are
// errInvalidToken (the session ends); no answer, a 5xx or a 429 is
// errIdPDown.
func (a *naiveApp) exchange(ctx context.Context, form url.Values) (*tokenResponse, error) {
	form.Set("client_id", a.clientID)
	form.Set("client_secret", a.secret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.env+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.idp.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token endpoint: %w", errIdPDown)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIdPAnswer))
	if err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, fmt.Errorf("token endpoint answered %d: %w", resp.StatusCode, errIdPDown)
	}
	var tr tokenResponse
	if json.Unmarshal(body, &tr) != nil {
		return nil, fmt.Errorf("token endpoint: the answer is not JSON: %w", errInvalidToken)
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("token endpoint refused the grant (%s): %w", tr.Error, errInvalidToken)
	case !strings.EqualFold(tr.TokenType, "bearer") || tr.AccessToken == "" || (tr.IDToken == "" && form.Get("grant_type") == "authorization_code"):
		return nil, fmt.Errorf("token endpoint: the answer lacks the tokens: %w", errInvalidToken)
	}
	return &tr, nil
}

// idClaims are the ID token's claims the app checks and shows.
type idClaims struct {
	Iss   string          `json:"iss"`
	Sub   string          `json:"sub"`
	Aud   json.RawMessage `json:"aud"`
	Exp   *float64        `json:"exp"`
	Iat   *float64        `json:"iat"`
	Name  string          `json:"name"`
	Email string          `json:"email"`
}

// decodeIDToken decodes the ID token's payload, never checking its
// signature (mistake 3).
func decodeIDToken(raw string) (*idClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the payload is not base64url")
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errors.New("the payload is not JSON")
	}
	return &c, nil
}

// checkIDToken decodes the ID token and checks its claims, but no nonce
// (mistake 2).
func (a *naiveApp) checkIDToken(raw string) (*idClaims, error) {
	c, err := decodeIDToken(raw)
	switch {
	case err != nil:
		return nil, err
	case c.Iss != a.env:
		return nil, errors.New("another issuer")
	case !audienceHas(c.Aud, a.clientID):
		return nil, errors.New("another audience")
	case c.Exp == nil || int64(*c.Exp) <= a.now().Unix():
		return nil, errors.New("expired")
	case c.Iat == nil:
		return nil, errors.New("no iat")
	case c.Sub == "":
		return nil, errors.New("no sub")
	}
	return c, nil
}

// checkRefreshedIDToken checks a refresh's new ID token as at sign-in,
// and that it names the same issuer and user as the session's (which may
// have expired since, so only decoded).
func (a *naiveApp) checkRefreshedIDToken(oldRaw, newRaw string) error {
	next, err := a.checkIDToken(newRaw)
	if err != nil {
		return fmt.Errorf("refreshed ID token: %v: %w", err, errInvalidToken)
	}
	old, err := decodeIDToken(oldRaw)
	if err != nil || old.Iss != next.Iss || old.Sub != next.Sub {
		return fmt.Errorf("refreshed ID token: another issuer or user: %w", errInvalidToken)
	}
	return nil
}

// audienceHas reports whether aud (a string or an array) holds id.
func audienceHas(aud json.RawMessage, id string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == id
	}
	var many []string
	return json.Unmarshal(aud, &many) == nil && slices.Contains(many, id)
}

func displayName(c *idClaims) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	}
	return c.Sub
}

// atExtra are the access-token claims beyond the registered ones the app
// reads: an ID token posing as an access token has no jti, and carries a
// nonce when the login sent one.
type atExtra struct {
	Nonce *string `json:"nonce"`
}

// verifyAccess verifies an access token: RS256 with the cached key set's
// key of its kid (an unknown kid is invalid, with no new fetch: mistake
// 5), iss, aud containing the client ID, exp with no leeway, and a jti and
// no nonce, so that an ID token cannot pose as one.
func (a *naiveApp) verifyAccess(ctx context.Context, raw string) (*jwt.Claims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, fmt.Errorf("access token malformed: %w", errInvalidToken)
	}
	keys, err := a.keySet(ctx)
	if err != nil {
		return nil, err
	}
	found := keys.Key(tok.Headers[0].KeyID)
	if len(found) == 0 {
		return nil, fmt.Errorf("access token: unknown kid: %w", errInvalidToken)
	}
	var c jwt.Claims
	var extra atExtra
	if err := tok.Claims(found[0].Key, &c, &extra); err != nil {
		return nil, fmt.Errorf("access token signature: %w", errInvalidToken)
	}
	if c.Expiry == nil || c.ID == "" || extra.Nonce != nil {
		return nil, fmt.Errorf("access token: not an access token: %w", errInvalidToken)
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: a.env, AnyAudience: jwt.Audience{a.clientID}, Time: a.now()}, 0)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return nil, errTokenExpired
	case err != nil:
		return nil, fmt.Errorf("access token claims: %w", errInvalidToken)
	}
	return &c, nil
}

// keySet returns the key set, fetched at the first call that finds none
// and kept for the app's life (mistake 5). A failed fetch is not kept: the
// next check tries again. Keys that do not parse are skipped.
func (a *naiveApp) keySet(ctx context.Context) (*jose.JSONWebKeySet, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys != nil {
		return a.keys, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.env+"/keys", nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.idp.Do(req)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", errIdPDown)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIdPAnswer))
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(body, &doc) != nil {
		return nil, fmt.Errorf("key set answered %d: %w", resp.StatusCode, errIdPDown)
	}
	set := &jose.JSONWebKeySet{}
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) == nil && k.Valid() && k.IsPublic() {
			set.Keys = append(set.Keys, k)
		}
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("key set holds no usable key: %w", errIdPDown)
	}
	a.keys = set
	return set, nil
}
