package store

import (
	"slices"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// Store holds the environment's sign-in state: IdP sessions, authorization
// codes, refresh tokens and sign-in pages waiting for a choice. The users
// and organizations are the tenant's (package tenant). One mutex guards it all;
// every operation is a few map look-ups, far below the cost of the RS256
// signature that follows. Secrets are indexed by tokenKey, never stored.
type Store struct {
	apps     *Apps          // the fixtures' apps, which never change
	file     statefile.File // state.json; its saves take mu
	mu       sync.Mutex
	sessions map[string]*Session       // by ids.Key(cookie value)
	bySID    map[string]string         // ses_… → ids.Key(cookie value)
	codes    map[string]*AuthCode      // by ids.Key(code)
	refresh  map[string]*RefreshGrant  // by ids.Key(refresh token)
	redeemed map[string]redeemedCode   // by ids.Key(code), for code.single_use
	families map[string]*refreshFamily // by the tokenKey of the family's first token
	familyOf map[string]string         // ids.Key(refresh token) → its family, once rotated
	pending  map[string]*PendingLogin  // by ids.Key(request handle)
	ended    map[string]*EndedSession  // by ses_…, until they would have expired
	// legacy are the signed-up users of a state file written when the
	// store kept them, for the tenant to adopt (LegacyUsers).
	legacy []fixture.User
	// maxSessions caps sessions (cap.go); evicted counts those dropped.
	maxSessions int
	evicted     int64         // created at sign-in (just-in-time)
	idle        time.Duration // the sessions' idle timeout (SetIdle); 0: unknown
	// changes counts the changes made; file knows how many it holds.
	changes uint64
	clock   func() time.Time // the environment's clock, for RotatedAt
}

// Session is an IdP Session, shared by every app of the environment
// (docs/scalekit-contract.md §11).
type Session struct {
	ID       string    `json:"id"` // ses_…, the sid claim
	UserID   string    `json:"user_id"`
	OrgID    string    `json:"org_id"`
	ConnID   string    `json:"conn_id"`
	AuthTime time.Time `json:"auth_time"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"` // absolute timeout
	// UserAgent and IP are the browser's at sign-in, and Clients the apps
	// the session has signed in to (the first at sign-in, others at their
	// code redemption), for the session API's device and clients.
	UserAgent string   `json:"user_agent,omitempty"`
	IP        string   `json:"ip,omitempty"`
	Clients   []string `json:"clients,omitempty"`
}

// Grant is what a code or refresh token stands for.
type Grant struct {
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	SessionID string `json:"session_id"`
}

// AuthCode is an authorization code's grant, bound to the redirect URI,
// nonce and PKCE challenge of its request.
type AuthCode struct {
	Grant
	RedirectURI string    `json:"redirect_uri"`
	Nonce       string    `json:"nonce,omitempty"`
	Challenge   string    `json:"challenge,omitempty"`
	Expires     time.Time `json:"expires"`
}

// RefreshGrant is what a refresh token stands for.
type RefreshGrant struct {
	Grant
}

// PendingLogin is a sign-in page's request, kept until the user answers.
type PendingLogin struct {
	Request AuthRequest
	// Only is the one user the page offers (select_account), if any.
	Only    string
	Expires time.Time
	// Email and Passwordless are set while the request waits for the code
	// or link emailed to Email: Passwordless is that email's request ID.
	Email, Passwordless string
}

// New returns the empty state of an environment seeded with fx, on the
// environment's clock.
func New(fx *fixture.Fixtures, clock func() time.Time) *Store {
	return &Store{
		apps:     NewApps(fx.Apps),
		clock:    clock,
		sessions: map[string]*Session{},
		bySID:    map[string]string{},
		codes:    map[string]*AuthCode{},
		refresh:  map[string]*RefreshGrant{},
		families: map[string]*refreshFamily{},
		redeemed: map[string]redeemedCode{},
		familyOf: map[string]string{},
		pending:  map[string]*PendingLogin{},
	}
}

// SessionByCookie returns the live Session behind a cookie value and marks
// it used, or nil.
func (s *Store) SessionByCookie(cookie string, now time.Time, idle time.Duration) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touch(ids.Key(cookie), now, idle)
}

// SessionByID returns the live Session with that sid and marks it used.
func (s *Store) SessionByID(sid string, now time.Time, idle time.Duration) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touch(s.bySID[sid], now, idle)
}

// touch returns a copy of the live session stored under key, marked used
// now, or nil. The caller holds the lock.
func (s *Store) touch(key string, now time.Time, idle time.Duration) *Session {
	ses := s.sessions[key]
	if ses == nil || !ses.alive(now, idle) {
		return nil
	}
	ses.LastSeen = now
	s.changes++
	return ses.clone()
}

// clone copies a session, sharing nothing with the stored one.
func (ses *Session) clone() *Session {
	c := *ses
	c.Clients = slices.Clone(ses.Clients)
	return &c
}

func (ses *Session) alive(now time.Time, idle time.Duration) bool {
	return now.Before(ses.Expires) && now.Before(ses.LastSeen.Add(idle))
}

// AddSession starts an IdP session behind a cookie value.
func (s *Store) AddSession(cookie string, ses *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(cookie)
	s.sessions[k] = ses
	s.bySID[ses.ID] = k
	s.changes++
	s.evictIdle()
}

// EndSession ends an IdP Session, for a reason the session API reports.
// Its refresh tokens die with it: the refresh grant checks that the
// Session is alive (docs/scalekit-contract.md §10).
func (s *Store) EndSession(sid string, why EndReason) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.bySID[sid]
	if ok {
		s.endedLocked(s.sessions[k], why)
		delete(s.sessions, k)
		delete(s.bySID, sid)
		s.changes++
	}
	return ok
}

// AddCode keeps an authorization code until it is redeemed or expires.
func (s *Store) AddCode(code string, c *AuthCode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[ids.Key(code)] = c
	s.changes++
}

// TakeCode removes and returns a code: codes are single-use, so even a
// failed redemption burns it (RFC 6749 §4.1.2).
func (s *Store) TakeCode(code string) *AuthCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(code)
	c := s.codes[k]
	if c != nil {
		delete(s.codes, k)
		// Remembered from now on, so that a replay racing this redemption
		// is seen as one (code.single_use).
		s.redeemed[k] = redeemedCode{SessionID: c.SessionID, Expires: c.Expires}
		s.changes++
	}
	return c
}

// AddPending keeps a sign-in page's request behind its one-time handle.
func (s *Store) AddPending(handle string, p *PendingLogin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[ids.Key(handle)] = p
	s.evictPending()
}

// TakePending removes and returns a sign-in page's request: each page can be
// answered once.
func (s *Store) TakePending(handle string, now time.Time) *PendingLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ids.Key(handle)
	p := s.pending[k]
	delete(s.pending, k)
	if p == nil || !now.Before(p.Expires) {
		return nil
	}
	return p
}

// Apps is the index of the fixtures' apps.
func (s *Store) Apps() *Apps { return s.apps }

// Sweep drops everything that has expired, so that a long-running mock
// under load keeps a flat memory profile.
func (s *Store) Sweep(now time.Time, idle time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions) + len(s.codes) + len(s.refresh)
	before := [...]int{len(s.sessions), len(s.bySID), len(s.codes), len(s.refresh), len(s.pending), len(s.families), len(s.familyOf), len(s.redeemed)}
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
	s.sweepEnded(now)
	for k, rc := range s.redeemed {
		if !now.Before(rc.Expires) {
			delete(s.redeemed, k)
		}
	}
	// Refresh tokens, families and redeemed codes go with their session.
	s.dropOrphans(func(sid string) bool { _, ok := s.bySID[sid]; return !ok })
	for k, p := range s.pending {
		if !now.Before(p.Expires) {
			delete(s.pending, k)
		}
	}
	if len(s.sessions)+len(s.codes)+len(s.refresh) != n {
		s.changes++
	}
	s.sessions = shrunk(s.sessions, before[0])
	s.bySID = shrunk(s.bySID, before[1])
	s.codes = shrunk(s.codes, before[2])
	s.refresh = shrunk(s.refresh, before[3])
	s.pending = shrunk(s.pending, before[4])
	s.families = shrunk(s.families, before[5])
	s.familyOf = shrunk(s.familyOf, before[6])
	s.redeemed = shrunk(s.redeemed, before[7])
}

// shrunk returns m, or a copy of it when the sweep has removed at least
// half of the entries it had before, and those were many. A Go map never
// gives back the room of deleted entries, so without the copy the Store
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

// Stats counts what the Store holds, for tests and benchmarks.
type Stats struct {
	Sessions, Codes, RefreshTokens, PendingLogins int
	// Evicted counts the sessions dropped for the cap, not for expiry.
	Evicted int64
}

// Stats counts what the store holds now.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{len(s.sessions), len(s.codes), len(s.refresh), len(s.pending), s.evicted}
}
