package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errSessionRevoked is a session cookie whose session was signed out: on
// this replica, or on another one that told this one (G3).
var errSessionRevoked = errors.New("signed out: the session was revoked at sign-out")

// revokeMargin is added to the cookie's maximum age when a session is
// revoked: a cookie's issued-at may lie this far ahead of our clock and
// still be read (session.maxFuture).
const revokeMargin = 5 * time.Minute

// revokedSet is the sessions signed out, by session key, until their
// last cookie could expire. The middleware looks every session up here,
// in memory, on every request: never a call to the shared store. It is
// fed by this process's sign-outs and by the other replicas'.
type revokedSet struct {
	// n is the number of entries: while it is 0, the hot path takes no
	// lock.
	n         atomic.Int64
	mu        sync.RWMutex
	m         map[[32]byte]time.Time
	lastSweep time.Time
}

func (s *revokedSet) init() { s.m = map[[32]byte]time.Time{} }

// has reports whether the session of key is revoked at now.
func (s *revokedSet) has(key [32]byte, now time.Time) bool {
	if s.n.Load() == 0 {
		return false
	}
	s.mu.RLock()
	until, ok := s.m[key]
	s.mu.RUnlock()
	return ok && now.Before(until)
}

// add revokes the session of key until until, sweeping the entries past
// at most once a minute.
func (s *revokedSet) add(key [32]byte, until, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= time.Minute {
		s.lastSweep = now
		for k, u := range s.m {
			if !now.Before(u) {
				delete(s.m, k)
			}
		}
	}
	if u, ok := s.m[key]; !ok || until.After(u) {
		s.m[key] = until
	}
	s.n.Store(int64(len(s.m)))
}

// sessionKey is what a revocation names a session by: the random
// session ID the cookie got at sign-in (kept across refreshes), or, for
// a cookie made before there were session IDs, the IdP session (sid) of
// its tokens. It is a hash, so neither reaches the shared store. ok is
// false when the cookie names no session at all.
func sessionKey(t *tokens) (key [32]byte, ok bool) {
	if t.Session != "" {
		return sha256.Sum256([]byte("session " + t.Session)), true
	}
	for _, tok := range []string{t.Access, t.ID} {
		var c struct {
			SID string `json:"sid"`
		}
		if parts := strings.Split(tok, "."); len(parts) == 3 && decodeSegment(parts[1], &c) == nil && c.SID != "" {
			return sha256.Sum256([]byte("sid " + c.SID)), true
		}
	}
	return key, false
}

// revokeSession revokes the session of t, here and on every replica,
// until its last cookie could have expired: a cookie of it copied before
// the sign-out is refused from now on, and cannot be refreshed into a
// new one.
func (a *App) revokeSession(ctx context.Context, t *tokens) {
	id := requestID(ctx)
	if !t.revocable {
		a.log.Info("session not revoked: its cookie names no session", "request_id", id)
		return
	}
	now := a.now()
	until := now.Add(a.maxAge + revokeMargin)
	a.revoked.add(t.key, until, now)
	a.metrics.Revoked()
	if a.shared != nil {
		a.shared.Revoke(ctx, hex.EncodeToString(t.key[:]), until)
	}
	a.log.Info("session revoked", "request_id", id)
}

// revokedElsewhere receives another replica's revocation.
func (a *App) revokedElsewhere(key string, until time.Time) {
	var k [32]byte
	if b, err := hex.DecodeString(key); err == nil && len(b) == len(k) {
		copy(k[:], b)
		a.revoked.add(k, until, a.now())
	}
}
