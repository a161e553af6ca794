package store

import "time"

// PeekSession returns a copy of the live Session with that sid without
// marking it used: reading a session through the management API is not
// activity of its user.
func (s *Store) PeekSession(sid string, now time.Time, idle time.Duration) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.sessions[s.bySID[sid]]
	if ses == nil || !ses.alive(now, idle) {
		return nil
	}
	copy := *ses
	return &copy
}

// PeekExpired returns a copy of a session that has timed out (idle or
// absolute) but is not swept yet, for the session API's "expired".
func (s *Store) PeekExpired(sid string, now time.Time, idle time.Duration) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.sessions[s.bySID[sid]]
	if ses == nil || ses.alive(now, idle) {
		return nil
	}
	copy := *ses
	return &copy
}
