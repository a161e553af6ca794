package webapp

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// verifyCache remembers verified access tokens until they expire, so the
// middleware verifies RSA once per token rather than once per request.
// It is keyed by the token itself (the map hashes it); an entry holds only
// what was derived from a successful verification.
type verifyCache struct {
	mu    sync.Mutex
	m     map[string]cachedUser
	bytes int // the tokens' bytes, bounded by maxVerifyCacheBytes
}

// maxVerifyCacheBytes bounds the verified-token cache: tokens may be up to
// maxTokenBytes each.
const maxVerifyCacheBytes = 32 << 20

type cachedUser struct {
	user    *User
	expires time.Time
}

// maxCachedTokens bounds the cache; past it, expired entries are dropped,
// and if none has expired the cache starts over (a flood of valid tokens
// costs verifications, never memory).
const maxCachedTokens = 10000

func (c *verifyCache) init() { c.m = map[string]cachedUser{} }

// get returns the entry of token, or nil when there is none or it has
// expired.
func (c *verifyCache) get(token string, now time.Time) *cachedUser {
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return &e
}

func (c *verifyCache) put(token string, u *User, expires time.Time, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[token]; ok {
		return
	}
	if len(c.m) >= maxCachedTokens || c.bytes+len(token) > maxVerifyCacheBytes {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
				c.bytes -= len(k)
			}
		}
		if len(c.m) >= maxCachedTokens || c.bytes+len(token) > maxVerifyCacheBytes {
			clear(c.m)
			c.bytes = 0
		}
	}
	c.m[token] = cachedUser{u, expires}
	c.bytes += len(token)
}

// sessionCache remembers, per Cookie header, the tokens readSession found
// in it, so that a session cookie is parsed, decrypted (AES-GCM) and
// unmarshalled once rather than on every request: for a 3 KB session
// cookie those steps cost several times what the dashboard page does.
// What readSession returns depends only on the Cookie header, the cookie
// keys and the time (the cookie's issued-at, which codec.Fresh checks on
// every hit), so a hit returns what a full read would. Only successful
// reads are kept, and only of requests with one Cookie line. The decrypted
// tokens it holds are no more exposed than the cookie keys, which live in
// the same memory and decrypt every cookie.
type sessionCache struct {
	mu    sync.Mutex
	m     map[string]*cachedSession
	bytes int // the keys' and tokens' bytes, bounded by maxSessionCacheBytes
}

// cachedSession is one cookie's read. Its tokens never change once
// stored: requests share them. user is the verified user of its access
// token once a request has found it in the verify cache (tokens.verified
// points here).
type cachedSession struct {
	tokens tokens
	// from and until (Unix ns) are when the cookie passes the codec's age
	// checks (FreshWindow): compared as integers on every hit.
	from, until int64
	user        atomic.Pointer[cachedUser]
}

// fresh reports whether the entry's cookie passes the age checks at now.
func (e *cachedSession) fresh(now time.Time) bool {
	n := now.UnixNano()
	return e.from <= n && n <= e.until
}

// maxSessionCacheBytes bounds the session cache; a put past it, or past
// maxCachedTokens entries, starts the cache over. Junk cookies added to a
// valid session make new keys, so they cost the full read they cost
// without the cache, and never more memory than this.
const maxSessionCacheBytes = 32 << 20

func (c *sessionCache) init() { c.m = map[string]*cachedSession{} }

// get returns the entry of header, or nil.
func (c *sessionCache) get(header string) *cachedSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[header]
}

func (c *sessionCache) remove(header string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[header]; ok {
		delete(c.m, header)
		c.bytes -= e.size(header)
	}
}

func (c *sessionCache) put(header string, t tokens, from, until time.Time) {
	e := &cachedSession{tokens: t, from: from.UnixNano(), until: until.UnixNano()}
	e.tokens.verified = &e.user
	n := e.size(header)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[header]; ok {
		c.bytes -= old.size(header)
	}
	if len(c.m) >= maxCachedTokens || c.bytes+n > maxSessionCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	c.m[strings.Clone(header)] = e
	c.bytes += n
}

func (e *cachedSession) size(header string) int {
	return len(header) + len(e.tokens.Access) + len(e.tokens.Refresh) + len(e.tokens.ID)
}
