package webapp

import (
	"sync"
	"time"
)

// verifyCache remembers verified access tokens until they expire, so the
// middleware verifies RSA once per token rather than once per request.
// It is keyed by the token itself (the map hashes it); an entry holds only
// what was derived from a successful verification.
type verifyCache struct {
	mu sync.Mutex
	m  map[string]cachedUser
}

type cachedUser struct {
	user    *User
	expires time.Time
}

// maxCachedTokens bounds the cache; past it, expired entries are dropped,
// and if none has expired the cache starts over (a flood of valid tokens
// costs verifications, never memory).
const maxCachedTokens = 10000

func (c *verifyCache) init() { c.m = map[string]cachedUser{} }

func (c *verifyCache) get(token string, now time.Time) *User {
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.user
}

func (c *verifyCache) put(token string, u *User, expires time.Time, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTokens {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedTokens {
			clear(c.m)
		}
	}
	c.m[token] = cachedUser{u, expires}
}
