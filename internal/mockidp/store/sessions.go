package store

import (
	"cmp"
	"slices"
	"time"
)

// The session API's side of the store: the sessions of a user, and ending
// them when the API revokes them or the tenant deletes their user.

// SessionsOfUser returns copies of a user's live sessions, newest first.
func (s *Store) SessionsOfUser(userID string, now time.Time, idle time.Duration) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, ses := range s.sessions {
		if ses.UserID == userID && ses.alive(now, idle) {
			out = append(out, *ses.clone())
		}
	}
	slices.SortFunc(out, func(a, b Session) int {
		return cmp.Or(b.AuthTime.Compare(a.AuthTime), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// ExpiredOfUser returns copies of a user's sessions that have timed out
// but are not swept yet, newest first.
func (s *Store) ExpiredOfUser(userID string, now time.Time, idle time.Duration) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, ses := range s.sessions {
		if ses.UserID == userID && !ses.alive(now, idle) {
			out = append(out, *ses.clone())
		}
	}
	slices.SortFunc(out, func(a, b Session) int {
		return cmp.Or(b.AuthTime.Compare(a.AuthTime), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// EndSessionsOfUser ends every session of a user and returns their ses_
// IDs, sorted. Their refresh tokens die with them, as with EndSession.
func (s *Store) EndSessionsOfUser(userID string) []string {
	return s.endWhere(func(ses *Session) bool { return ses.UserID == userID })
}

// EndSessionsOfMember ends a user's sessions signed in to one
// organization: the user's membership of it is gone.
func (s *Store) EndSessionsOfMember(userID, orgID string) []string {
	return s.endWhere(func(ses *Session) bool { return ses.UserID == userID && ses.OrgID == orgID })
}

// EndSessionsOfOrg ends every session signed in to an organization: the
// organization is gone.
func (s *Store) EndSessionsOfOrg(orgID string) []string {
	return s.endWhere(func(ses *Session) bool { return ses.OrgID == orgID })
}

func (s *Store) endWhere(match func(*Session) bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ended []string
	now := s.clock()
	for k, ses := range s.sessions {
		if match(ses) {
			ended = append(ended, ses.ID)
			// One that had timed out already stays expired, not revoked.
			if s.idle <= 0 || ses.alive(now, s.idle) {
				s.endedLocked(ses, EndRevoked)
			}
			delete(s.sessions, k)
			delete(s.bySID, ses.ID)
		}
	}
	if len(ended) > 0 {
		s.changes++
	}
	slices.Sort(ended)
	return ended
}

// UsedBy records that an app signed in with the session (a code of it
// redeemed), for the session's list of clients.
func (s *Store) UsedBy(sid, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.sessions[s.bySID[sid]]
	if ses != nil && !slices.Contains(ses.Clients, clientID) {
		ses.Clients = append(ses.Clients, clientID)
		s.changes++
	}
}
