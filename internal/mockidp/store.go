package mockidp

import (
	"sync"
	"time"
)

// store holds the environment's mutable state: IdP sessions, authorization
// codes, refresh tokens, sign-in pages waiting for a choice, and users
// created by signing in with an unknown email. One mutex guards it all;
// every operation is a few map look-ups, far below the cost of the RS256
// signature that follows. Secrets are indexed by tokenKey, never stored.
type store struct {
	mu       sync.Mutex
	sessions map[string]*session       // by tokenKey(cookie value)
	bySID    map[string]string         // ses_… → tokenKey(cookie value)
	codes    map[string]*authCode      // by tokenKey(code)
	refresh  map[string]*refreshGrant  // by tokenKey(refresh token)
	redeemed map[string]redeemedCode   // by tokenKey(code), for code.single_use
	families map[string]*refreshFamily // by the tokenKey of the family's first token
	familyOf map[string]string         // tokenKey(refresh token) → its family, once rotated
	pending  map[string]*pendingLogin  // by tokenKey(request handle)
	users    []User                    // created at sign-in (just-in-time)
	dirty    bool                      // changed since the last save
	clock    func() time.Time          // the environment's clock, for RotatedAt
}

// session is an IdP session, shared by every app of the environment
// (contract §11).
type session struct {
	ID       string    `json:"id"` // ses_…, the sid claim
	UserID   string    `json:"user_id"`
	OrgID    string    `json:"org_id"`
	ConnID   string    `json:"conn_id"`
	AuthTime time.Time `json:"auth_time"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"` // absolute timeout
}

// grant is what a code or refresh token stands for.
type grant struct {
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	SessionID string `json:"session_id"`
}

type authCode struct {
	grant
	RedirectURI string    `json:"redirect_uri"`
	Nonce       string    `json:"nonce,omitempty"`
	Challenge   string    `json:"challenge,omitempty"`
	Expires     time.Time `json:"expires"`
}

type refreshGrant struct {
	grant
}

type pendingLogin struct {
	Request authRequest
	Expires time.Time
}

func newStore() *store {
	return &store{
		clock:    time.Now,
		sessions: map[string]*session{},
		bySID:    map[string]string{},
		codes:    map[string]*authCode{},
		refresh:  map[string]*refreshGrant{},
		families: map[string]*refreshFamily{},
		redeemed: map[string]redeemedCode{},
		familyOf: map[string]string{},
		pending:  map[string]*pendingLogin{},
	}
}

// sessionByCookie returns the live session behind a cookie value and marks
// it used, or nil.
func (s *store) sessionByCookie(cookie string, now time.Time, idle time.Duration) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touch(tokenKey(cookie), now, idle)
}

// sessionByID returns the live session with that sid and marks it used.
func (s *store) sessionByID(sid string, now time.Time, idle time.Duration) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touch(s.bySID[sid], now, idle)
}

// touch returns a copy of the live session stored under key, marked used
// now, or nil. The caller holds the lock.
func (s *store) touch(key string, now time.Time, idle time.Duration) *session {
	ses := s.sessions[key]
	if ses == nil || !ses.alive(now, idle) {
		return nil
	}
	ses.LastSeen = now
	s.dirty = true
	copy := *ses
	return &copy
}

func (ses *session) alive(now time.Time, idle time.Duration) bool {
	return now.Before(ses.Expires) && now.Before(ses.LastSeen.Add(idle))
}

func (s *store) addSession(cookie string, ses *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey(cookie)
	s.sessions[k] = ses
	s.bySID[ses.ID] = k
	s.dirty = true
}

// endSession ends an IdP session. Its refresh tokens die with it: the
// refresh grant checks that the session is alive (contract §10).
func (s *store) endSession(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.bySID[sid]
	if ok {
		delete(s.sessions, k)
		delete(s.bySID, sid)
		s.dirty = true
	}
	return ok
}

func (s *store) addCode(code string, c *authCode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[tokenKey(code)] = c
	s.dirty = true
}

// takeCode removes and returns a code: codes are single-use, so even a
// failed redemption burns it (RFC 6749 §4.1.2).
func (s *store) takeCode(code string) *authCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey(code)
	c := s.codes[k]
	if c != nil {
		delete(s.codes, k)
		s.dirty = true
	}
	return c
}

func (s *store) addPending(handle string, p *pendingLogin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[tokenKey(handle)] = p
}

// takePending removes and returns a sign-in page's request: each page can be
// answered once.
func (s *store) takePending(handle string, now time.Time) *pendingLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey(handle)
	p := s.pending[k]
	delete(s.pending, k)
	if p == nil || !now.Before(p.Expires) {
		return nil
	}
	return p
}

// addUser adds a signed-up user, or returns the one that signed up with
// the same email first, so two concurrent sign-ups make one user.
func (s *store) addUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.users {
		if old.Email == u.Email {
			return old
		}
	}
	s.users = append(s.users, u)
	s.dirty = true
	return u
}

func (s *store) userByEmail(email string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Email == email {
			return u, true
		}
	}
	return User{}, false
}

func (s *store) userByID(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// sweep drops everything that has expired, so that a long-running mock
// under load keeps a flat memory profile.
func (s *store) sweep(now time.Time, idle time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions) + len(s.codes) + len(s.refresh)
	before := [...]int{len(s.sessions), len(s.bySID), len(s.codes), len(s.refresh), len(s.pending), len(s.families), len(s.familyOf)}
	for k, ses := range s.sessions {
		if !ses.alive(now, idle) {
			delete(s.sessions, k)
			delete(s.bySID, ses.ID)
		}
	}
	for k, c := range s.codes {
		if !now.Before(c.Expires) {
			delete(s.codes, k)
		}
	}
	for k, g := range s.refresh {
		if _, ok := s.bySID[g.SessionID]; !ok {
			delete(s.refresh, k)
		}
	}
	for k, rc := range s.redeemed {
		if !now.Before(rc.Expires) {
			delete(s.redeemed, k)
		}
	}
	for f, fam := range s.families { // swept with their session
		if _, ok := s.bySID[fam.SessionID]; !ok {
			for _, k := range fam.Retired {
				delete(s.familyOf, k)
			}
			delete(s.familyOf, fam.Live)
			delete(s.families, f)
		}
	}
	for k, p := range s.pending {
		if !now.Before(p.Expires) {
			delete(s.pending, k)
		}
	}
	if len(s.sessions)+len(s.codes)+len(s.refresh) != n {
		s.dirty = true
	}
	s.sessions = shrunk(s.sessions, before[0])
	s.bySID = shrunk(s.bySID, before[1])
	s.codes = shrunk(s.codes, before[2])
	s.refresh = shrunk(s.refresh, before[3])
	s.pending = shrunk(s.pending, before[4])
	s.families = shrunk(s.families, before[5])
	s.familyOf = shrunk(s.familyOf, before[6])
}

// shrunk returns m, or a copy of it when the sweep has removed at least
// half of the entries it had before, and those were many. A Go map never
// gives back the room of deleted entries, so without the copy the store
// would keep the footprint of its busiest moment for the life of the
// process; the copy costs one pass over what is left, at most once a
// sweep.
func shrunk[K comparable, V any](m map[K]V, before int) map[K]V {
	if before < 64 || len(m) > before/2 {
		return m
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Stats counts what the store holds, for tests and benchmarks.
type Stats struct {
	Sessions, Codes, RefreshTokens, PendingLogins, Users int
}

func (s *store) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{len(s.sessions), len(s.codes), len(s.refresh), len(s.pending), len(s.users)}
}
