package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// zitadelStore is this project's own in-memory storage for zitadel/oidc's
// op package: one web client, one user, opaque access tokens, refresh
// tokens rotated on use, and the profile in userinfo only. It is only
// what the op needs for the code, refresh and userinfo flows; the rest
// refuses.
type zitadelStore struct {
	client *zitadelClient
	user   zitadelUser
	key    *rsa.PrivateKey
	// accessTTL is the access tokens' lifetime.
	accessTTL time.Duration

	mu       sync.Mutex
	requests map[string]*zitadelAuthRequest // by ID
	codes    map[string]string              // code → request ID
	access   map[string]*zitadelToken       // by token ID
	refresh  map[string]*zitadelToken       // by refresh token
}

type zitadelUser struct{ id, name, email string }

// zitadelToken is a grant: what an access or refresh token stands for.
type zitadelToken struct {
	subject, clientID string
	scopes, amr       []string
	audience          []string
	authTime, expires time.Time
}

func newZitadelStore(c *zitadelClient, u zitadelUser, accessTTL time.Duration) (*zitadelStore, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &zitadelStore{client: c, user: u, key: key, accessTTL: accessTTL,
		requests: map[string]*zitadelAuthRequest{}, codes: map[string]string{},
		access: map[string]*zitadelToken{}, refresh: map[string]*zitadelToken{}}, nil
}

// id is a new random ID or token.
func (s *zitadelStore) id(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// approve marks an auth request signed in by the store's user, as a
// login page would.
func (s *zitadelStore) approve(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if ok {
		r.subject, r.authTime = s.user.id, time.Now()
	}
	return ok
}

var errZitadelNotFound = errors.New("not found")

// AuthStorage.

func (s *zitadelStore) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar := &zitadelAuthRequest{id: s.id("ar_"), req: *r}
	s.requests[ar.id] = ar
	return ar, nil
}

func (s *zitadelStore) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errZitadelNotFound
}

func (s *zitadelStore) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[s.codes[code]]; ok {
		return r, nil
	}
	return nil, errZitadelNotFound
}

func (s *zitadelStore) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *zitadelStore) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// grantOf is the grant a token request stands for.
func (s *zitadelStore) grantOf(r op.TokenRequest) *zitadelToken {
	g := &zitadelToken{subject: r.GetSubject(), audience: r.GetAudience(), scopes: r.GetScopes(),
		expires: time.Now().Add(s.accessTTL), clientID: s.client.id}
	switch r := r.(type) {
	case *zitadelAuthRequest:
		g.amr, g.authTime = r.GetAMR(), r.authTime
	case *zitadelRefreshRequest:
		g.amr, g.authTime = r.amr, r.authTime
	}
	return g
}

func (s *zitadelStore) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grantOf(r)
	id := s.id("at_")
	s.access[id] = g
	return id, g.expires, nil
}

func (s *zitadelStore) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current) // rotated: single use
	}
	g := s.grantOf(r)
	id, rt := s.id("at_"), s.id("rt_")
	s.access[id] = g
	s.refresh[rt] = g
	return id, rt, g.expires, nil
}

func (s *zitadelStore) TokenRequestByRefreshToken(_ context.Context, rt string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[rt]
	if !ok {
		return nil, op.ErrInvalidRefreshToken
	}
	return &zitadelRefreshRequest{zitadelToken: *g}, nil
}

func (s *zitadelStore) TerminateSession(context.Context, string, string) error { return nil }

func (s *zitadelStore) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithDescription("revocation is not supported")
}

func (s *zitadelStore) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *zitadelStore) SigningKey(context.Context) (op.SigningKey, error) {
	return zitadelSigningKey{s.key}, nil
}

func (s *zitadelStore) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *zitadelStore) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{zitadelPublicKey{&s.key.PublicKey}}, nil
}

// OPStorage.

func (s *zitadelStore) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errZitadelNotFound
	}
	return s.client, nil
}

func (s *zitadelStore) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || subtle.ConstantTimeCompare([]byte(secret), []byte(s.client.secret)) != 1 {
		return errors.New("wrong client ID or secret")
	}
	return nil
}

// SetUserinfoFromScopes fills nothing, as the op advises; its caller
// copies the result over the ID token's claims, sub included, so
// SetUserinfoFromRequest puts the sub back, and only the sub: name and
// email stay out of the ID token.
func (s *zitadelStore) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *zitadelStore) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	info.Subject = r.GetSubject()
	return nil
}

func (s *zitadelStore) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	g, ok := s.access[tokenID]
	s.mu.Unlock()
	if !ok || g.subject != subject || !time.Now().Before(g.expires) {
		return errors.New("token invalid or expired")
	}
	info.Subject = subject
	if slices.Contains(g.scopes, oidc.ScopeProfile) {
		info.Name = s.user.name
	}
	if slices.Contains(g.scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = s.user.email, true
	}
	return nil
}

func (s *zitadelStore) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection")
}

func (s *zitadelStore) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *zitadelStore) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errZitadelNotFound
}

func (s *zitadelStore) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile grant")
}

func (s *zitadelStore) Health(context.Context) error { return nil }

// ClientCredentials refuses every web client, as the op's example does:
// client_credentials is for service accounts. It makes the op advertise
// the grant, so a client that trusts the advertisement is refused.
func (s *zitadelStore) ClientCredentials(context.Context, string, string) (op.Client, error) {
	return nil, errors.New("client_credentials is for service accounts, not web clients")
}

func (s *zitadelStore) ClientCredentialsTokenRequest(context.Context, string, []string) (op.TokenRequest, error) {
	return nil, errors.New("client_credentials is for service accounts, not web clients")
}

// zitadelAuthRequest is one authorization request in flight.
type zitadelAuthRequest struct {
	id       string
	req      oidc.AuthRequest
	subject  string // set once signed in
	authTime time.Time
}

func (r *zitadelAuthRequest) GetID() string                      { return r.id }
func (r *zitadelAuthRequest) GetACR() string                     { return "" }
func (r *zitadelAuthRequest) GetAMR() []string                   { return []string{"pwd"} }
func (r *zitadelAuthRequest) GetAudience() []string              { return []string{r.req.ClientID} }
func (r *zitadelAuthRequest) GetAuthTime() time.Time             { return r.authTime }
func (r *zitadelAuthRequest) GetClientID() string                { return r.req.ClientID }
func (r *zitadelAuthRequest) GetNonce() string                   { return r.req.Nonce }
func (r *zitadelAuthRequest) GetRedirectURI() string             { return r.req.RedirectURI }
func (r *zitadelAuthRequest) GetResponseType() oidc.ResponseType { return r.req.ResponseType }
func (r *zitadelAuthRequest) GetResponseMode() oidc.ResponseMode { return r.req.ResponseMode }
func (r *zitadelAuthRequest) GetScopes() []string                { return r.req.Scopes }
func (r *zitadelAuthRequest) GetState() string                   { return r.req.State }
func (r *zitadelAuthRequest) GetSubject() string                 { return r.subject }
func (r *zitadelAuthRequest) Done() bool                         { return r.subject != "" }
func (r *zitadelAuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.req.CodeChallenge, Method: r.req.CodeChallengeMethod}
}

// zitadelRefreshRequest is the grant behind a refresh token.
type zitadelRefreshRequest struct{ zitadelToken }

func (r *zitadelRefreshRequest) GetAMR() []string            { return r.amr }
func (r *zitadelRefreshRequest) GetAudience() []string       { return r.audience }
func (r *zitadelRefreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r *zitadelRefreshRequest) GetClientID() string         { return r.clientID }
func (r *zitadelRefreshRequest) GetScopes() []string         { return r.scopes }
func (r *zitadelRefreshRequest) GetSubject() string          { return r.subject }
func (r *zitadelRefreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// zitadelClient is a confidential web client with opaque access tokens
// and the profile out of its ID tokens.
type zitadelClient struct {
	id, secret, redirectURI, postLogoutURI, loginURL string
}

func (c *zitadelClient) GetID() string                       { return c.id }
func (c *zitadelClient) RedirectURIs() []string              { return []string{c.redirectURI} }
func (c *zitadelClient) PostLogoutRedirectURIs() []string    { return []string{c.postLogoutURI} }
func (c *zitadelClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *zitadelClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *zitadelClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *zitadelClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *zitadelClient) LoginURL(id string) string            { return c.loginURL + "?id=" + id }
func (c *zitadelClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *zitadelClient) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *zitadelClient) DevMode() bool                        { return true } // http on loopback
func (c *zitadelClient) IsScopeAllowed(string) bool           { return false }
func (c *zitadelClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *zitadelClient) ClockSkew() time.Duration             { return 0 }
func (c *zitadelClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *zitadelClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// zitadelSigningKey signs; zitadelPublicKey is its half in the key set.
type zitadelSigningKey struct{ key *rsa.PrivateKey }

const zitadelKeyID = "zitadel-test-key"

func (k zitadelSigningKey) ID() string                                  { return zitadelKeyID }
func (k zitadelSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k zitadelSigningKey) Key() any                                    { return k.key }

type zitadelPublicKey struct{ key *rsa.PublicKey }

func (k zitadelPublicKey) ID() string                         { return zitadelKeyID }
func (k zitadelPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k zitadelPublicKey) Use() string                        { return "sig" }
func (k zitadelPublicKey) Key() any                           { return k.key }
