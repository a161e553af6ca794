package store

import (
	"slices"
	"time"
)

// DefaultMaxSessions bounds the IdP sessions an environment keeps: every
// sign-in starts one, living a day idle and a week in all, so a mock that
// CI drives through many sign-ins would otherwise grow for a week.
const DefaultMaxSessions = 10000

// SetMaxSessions sets how many IdP sessions the store keeps; past it, the
// longest idle are evicted with their refresh tokens. Zero or less means
// DefaultMaxSessions.
func (s *Store) SetMaxSessions(n int) {
	if n <= 0 {
		n = DefaultMaxSessions
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxSessions = n
}

// SetIdle tells the store the sessions' idle timeout, so that ending a
// session that has already timed out records it as expired, not revoked.
func (s *Store) SetIdle(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = d
}

// evictIdle makes room when the store holds more sessions than its cap:
// it drops the longest-idle eighth of the cap at once, so that eviction,
// which sorts every session, runs once per many sign-ins. Refresh tokens,
// families and redeemed codes of the evicted sessions go with them: the
// refresh grant would refuse them anyway, and they are most of the memory.
// The caller holds the lock.
func (s *Store) evictIdle() {
	max := s.maxSessions
	if max <= 0 {
		max = DefaultMaxSessions
	}
	if len(s.sessions) <= max {
		return
	}
	victims := oldest(s.sessions, func(ses *Session) time.Time { return ses.LastSeen }, len(s.sessions)-max+max/8)
	gone := make(map[string]bool, len(victims))
	for _, k := range victims {
		ses := s.sessions[k]
		gone[ses.ID] = true
		delete(s.bySID, ses.ID)
		delete(s.sessions, k)
	}
	s.evicted += int64(len(gone))
	s.dropOrphans(func(sid string) bool { return gone[sid] })
	s.changes++
}

// dropOrphans removes the refresh tokens, families and redeemed codes of
// the sessions ended says have ended. The caller holds the lock.
func (s *Store) dropOrphans(ended func(sid string) bool) {
	for k, rc := range s.redeemed {
		if ended(rc.SessionID) {
			delete(s.redeemed, k)
		}
	}
	for k, g := range s.refresh {
		if ended(g.SessionID) {
			delete(s.refresh, k)
		}
	}
	for f, fam := range s.families {
		if ended(fam.SessionID) {
			for _, k := range fam.Retired {
				delete(s.familyOf, k)
			}
			delete(s.familyOf, fam.Live)
			delete(s.families, f)
		}
	}
}

// maxPending bounds the sign-in pages waiting for a choice: each lives ten
// minutes, and a client can ask for pages as fast as it likes.
const maxPending = 10000

// evictPending drops the pages closest to expiry when there are more than
// maxPending. The caller holds the lock.
func (s *Store) evictPending() {
	if len(s.pending) <= maxPending {
		return
	}
	for _, k := range oldest(s.pending, func(p *PendingLogin) time.Time { return p.Expires }, len(s.pending)-maxPending+maxPending/8) {
		delete(s.pending, k)
	}
}

// oldest returns the keys of the n entries of m whose time is earliest.
func oldest[V any](m map[string]V, at func(V) time.Time, n int) []string {
	type entry struct {
		key string
		at  time.Time
	}
	all := make([]entry, 0, len(m))
	for k, v := range m {
		all = append(all, entry{k, at(v)})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.at.Compare(b.at) })
	keys := make([]string, 0, min(n, len(all)))
	for _, e := range all[:min(n, len(all))] {
		keys = append(keys, e.key)
	}
	return keys
}
