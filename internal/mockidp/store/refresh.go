package store

import (
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// The refresh-token side of the store: rotation, the families that
// refresh.reuse_detection revokes, and the codes code.single_use tracks.

// refreshFamily is one chain of refresh tokens, each rotated out for the
// next (RFC 9700 §4.14.2), from its first rotation on. It remembers the
// rotated-out tokens, so that refresh.reuse_detection can tell a replay of
// one of them and revoke the token that descends from it. Memory stays
// bounded: a family keeps its last maxRetiredPerFamily tokens, and goes
// when the sweep drops its IdP session.
type refreshFamily struct {
	SessionID string   `json:"session_id"`
	Live      string   `json:"live"`    // tokenKey of the current token
	Retired   []string `json:"retired"` // tokenKeys of rotated-out tokens, oldest first
	// RotatedAt is when the last of Retired was rotated out, for the grace
	// window of refresh.reuse_detection=<grace>.
	RotatedAt time.Time `json:"rotated_at"`
}

// redeemedCode remembers, until the code would have expired, the refresh
// token a code was exchanged for, so that a second redemption can revoke
// what the first one issued (RFC 6749 §4.1.2, code.single_use).
type redeemedCode struct {
	Refresh   string // ids.Key of the refresh token issued, or ""
	SessionID string // goes with its session
	Expires   time.Time
	// Revoked: the code was replayed while its first redemption was still
	// running; what that redemption issues is revoked as it is issued.
	Revoked bool
}

// maxRetiredPerFamily bounds what a family remembers: a replay of an older
// token fails alone, as by default.
const maxRetiredPerFamily = 16

// MarkRedeemed records that code, of session sid, was exchanged for
// refreshToken.
func (s *Store) MarkRedeemed(code, sid, refreshToken string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := ""
	if refreshToken != "" {
		rk = ids.Key(refreshToken)
	}
	k := ids.Key(code)
	if s.redeemed[k].Revoked && rk != "" {
		delete(s.refresh, rk)
		s.changes++
	}
	s.redeemed[k] = redeemedCode{Refresh: rk, SessionID: sid, Expires: expires, Revoked: s.redeemed[k].Revoked}
}

// RevokeRedeemed revokes the refresh token a redeemed code was exchanged
// for, or the one that has replaced it by rotation; when the first
// redemption has not issued it yet, it is revoked as it is issued. It
// reports whether the code had been taken for a redemption.
func (s *Store) RevokeRedeemed(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(code)
	rc, ok := s.redeemed[k]
	if !ok {
		return false
	}
	if rc.Refresh == "" { // the first redemption may still be running
		rc.Revoked = true
		s.redeemed[k] = rc
		return true
	}
	live := rc.Refresh
	if fam := s.families[s.familyOf[live]]; fam != nil {
		live = fam.Live
	}
	if _, ok := s.refresh[live]; ok && live != "" {
		delete(s.refresh, live)
		s.changes++
	}
	return true
}

// AddRefresh keeps a refresh token for its grant.
func (s *Store) AddRefresh(token string, g *RefreshGrant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[ids.Key(token)] = g
	s.changes++
}

// RotateRefresh swaps an old refresh token for a new one atomically, so that
// of two concurrent refreshes with one token exactly one wins (contract
// §10). check runs under the lock with the token's grant and its session
// (nil when the session has ended); when it fails nothing changes. The
// returned Session is a copy, marked used.
func (s *Store) RotateRefresh(old, next string, now time.Time, idle time.Duration, check func(*RefreshGrant, *Session) *wire.Error) (*Session, *wire.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(old)
	g := s.refresh[k]
	if g == nil {
		return nil, wire.InvalidGrant("The refresh token is unknown, expired or was already used.")
	}
	ses := s.sessions[s.bySID[g.SessionID]]
	if ses != nil && !ses.alive(now, idle) {
		ses = nil
	}
	if e := check(g, ses); e != nil {
		return nil, e
	}
	delete(s.refresh, k)
	nk := ids.Key(next)
	s.refresh[nk] = g
	if nk != k { // refresh.no_new_refresh_token keeps the token: nothing retires
		s.retire(g, k, nk)
	}
	ses.LastSeen = now
	s.changes++
	return ses.clone(), nil
}

// retire records that the token under key old was rotated out in favour of
// the one under live. The caller holds the lock.
func (s *Store) retire(g *RefreshGrant, old, live string) {
	f, ok := s.familyOf[old]
	if !ok { // the first rotation of the chain
		f = old
		s.familyOf[old] = f
	}
	fam := s.families[f]
	if fam == nil {
		fam = &refreshFamily{SessionID: g.SessionID}
		s.families[f] = fam
	}
	fam.Live = live
	fam.RotatedAt = s.clock()
	s.familyOf[live] = f
	if len(fam.Retired) == maxRetiredPerFamily {
		delete(s.familyOf, fam.Retired[0])
		n := copy(fam.Retired, fam.Retired[1:])
		fam.Retired = fam.Retired[:n]
	}
	fam.Retired = append(fam.Retired, old)
}

// RevokeFamily handles the replay of a refresh token for
// refresh.reuse_detection (RFC 9700 §4.14.2): when token was rotated out
// and allow says the mode is on (it is asked only then, so a counted mode
// is used up by replays alone), the current token of its family is
// revoked, and with it every token that would descend from it. It reports
// whether it revoked the family.
//
// Within grace of its rotation, a replay of the token rotated out last is
// forgiven: it fails alone, as two tabs racing to refresh would make it.
func (s *Store) RevokeFamily(token string, now time.Time, grace time.Duration, allow func() bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(token)
	fam := s.families[s.familyOf[k]]
	if fam == nil || fam.Live == k {
		return false
	}
	if last := len(fam.Retired) - 1; grace > 0 && last >= 0 && fam.Retired[last] == k && now.Sub(fam.RotatedAt) < grace {
		return false
	}
	if !allow() {
		return false
	}
	if _, ok := s.refresh[fam.Live]; ok {
		delete(s.refresh, fam.Live) // Live stays, so the sweep finds its index entry
		s.changes++
	}
	return true
}
