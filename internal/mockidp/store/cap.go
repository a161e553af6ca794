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
	type idle struct {
		key  string
		seen time.Time
	}
	all := make([]idle, 0, len(s.sessions))
	for k, ses := range s.sessions {
		all = append(all, idle{k, ses.LastSeen})
	}
	slices.SortFunc(all, func(a, b idle) int { return a.seen.Compare(b.seen) })
	n := len(s.sessions) - max + max/8
	gone := make(map[string]bool, n)
	for _, e := range all[:min(n, len(all))] {
		ses := s.sessions[e.key]
		gone[ses.ID] = true
		delete(s.bySID, ses.ID)
		delete(s.sessions, e.key)
	}
	s.evicted += int64(len(gone))
	s.dropOrphans(func(sid string) bool { return gone[sid] })
	s.dirty = true
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
	type page struct {
		key     string
		expires time.Time
	}
	all := make([]page, 0, len(s.pending))
	for k, p := range s.pending {
		all = append(all, page{k, p.Expires})
	}
	slices.SortFunc(all, func(a, b page) int { return a.expires.Compare(b.expires) })
	for _, p := range all[:len(all)-maxPending+maxPending/8] {
		delete(s.pending, p.key)
	}
}
