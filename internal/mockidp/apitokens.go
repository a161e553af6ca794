package mockidp

import (
	"bytes"
	"sync"

	"github.com/skctl/skctl/internal/mockidp/store"
)

// apiTokens remembers the bearer tokens the management API has verified,
// so that an SDK's calls, which all carry the same client_credentials
// token, pay for the RS256 signature check (and the JWS and JSON parsing)
// once rather than on every call: it was 40% of the mock's own time on a
// GetOrganization, and kept it below 0.8 of a bare connect-go handler
// (scripts/bench-mgmt.sh). An entry holds only the claims the signature
// vouched for; expiry and the client are still checked on every call. The
// entries are dropped whenever the published keys change (a rotation, a
// retired key's overlap ending), so a token of a key no longer published
// is refused at once, as before.
type apiTokens struct {
	keys   *store.Keyring
	issuer string

	mu   sync.Mutex
	jwks []byte // the /keys document the entries were verified under
	seen map[string]apiClaims
}

// apiClaims are the claims of a verified token that authorizeAPI reads.
type apiClaims struct {
	exp         float64
	client, sub string
}

// maxAPITokens bounds apiTokens: past it, it starts again empty.
const maxAPITokens = 1024

// verify checks a token's signature and issuer, or finds it checked under
// the keys published now.
func (c *apiTokens) verify(token string) (apiClaims, error) {
	jwks, err := c.keys.JWKS()
	if err != nil {
		return apiClaims{}, err
	}
	c.mu.Lock()
	if !bytes.Equal(c.jwks, jwks) {
		c.jwks, c.seen = jwks, nil
	}
	v, ok := c.seen[token]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	claims, err := c.keys.Verify(token, c.issuer)
	if err != nil {
		return apiClaims{}, err
	}
	v.exp, _ = claims["exp"].(float64)
	v.client, _ = claims["client_id"].(string)
	v.sub, _ = claims["sub"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(c.jwks, jwks) { // the keys changed meanwhile
		return v, nil
	}
	if c.seen == nil || len(c.seen) >= maxAPITokens {
		c.seen = map[string]apiClaims{}
	}
	c.seen[token] = v
	return v, nil
}
