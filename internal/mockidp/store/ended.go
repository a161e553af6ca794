package store

import (
	"cmp"
	"slices"
	"time"
)

// EndReason is why an IdP session ended, as the session API reports it.
type EndReason string

const (
	// EndLogout: the user signed out (/oidc/logout).
	EndLogout EndReason = "logout"
	// EndRevoked: the session API revoked it, or the tenant deleted its
	// user, membership or organization.
	EndRevoked EndReason = "revoked"
)

// EndedSession is a session that has ended, kept so that the session API
// can still report it, with its status and when it ended, until it would
// have expired anyway.
type EndedSession struct {
	Session
	Reason  EndReason `json:"reason"`
	EndedAt time.Time `json:"ended_at"`
}

// endedLocked records ended sessions. The caller holds mu. The record is
// bounded like the live sessions are: past the cap, the earliest ended
// go first.
func (s *Store) endedLocked(ses *Session, why EndReason) {
	if s.ended == nil {
		s.ended = map[string]*EndedSession{}
	}
	s.ended[ses.ID] = &EndedSession{Session: *ses.clone(), Reason: why, EndedAt: s.clock()}
	limit := s.maxSessions
	if limit <= 0 {
		limit = DefaultMaxSessions
	}
	if len(s.ended) > limit {
		// An eighth at once, as evictIdle does, so the sort is rare.
		for _, sid := range oldest(s.ended, func(e *EndedSession) time.Time { return e.EndedAt }, len(s.ended)-limit+limit/8) {
			delete(s.ended, sid)
		}
	}
}

// Ended returns the ended session with that sid, if it is still kept.
func (s *Store) Ended(sid string) (EndedSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.ended[sid]
	if e == nil {
		return EndedSession{}, false
	}
	out := *e
	out.Session = *e.Session.clone()
	return out, true
}

// EndedOfUser returns a user's ended sessions still kept, latest ended
// first.
func (s *Store) EndedOfUser(userID string) []EndedSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []EndedSession
	for _, e := range s.ended {
		if e.UserID == userID {
			c := *e
			c.Session = *e.Session.clone()
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b EndedSession) int {
		return cmp.Or(b.EndedAt.Compare(a.EndedAt), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// sweepEnded drops the ended sessions that would have expired by now.
// The caller holds mu.
func (s *Store) sweepEnded(now time.Time) {
	for sid, e := range s.ended {
		if !now.Before(e.Expires) {
			delete(s.ended, sid)
		}
	}
}
