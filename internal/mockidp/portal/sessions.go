// Package portal holds the admin portal's own state and rules: the
// sessions that opening a portal link starts, the paths under
// /magicLink/, the origins that may embed the portal, and the browser
// events it posts to the page that embeds it. The HTTP handlers and the
// page are the environment's (package mockidp); the changes the portal
// makes are the tenant's.
//
// A session is named by a token in the URL path, not by a cookie. The
// portal lives in an iframe of the app's page, another site than the
// environment's, and browsers refuse cookies in such iframes more and
// more (Safari and Firefox by default, Chrome in incognito and with
// third-party cookies off); a SameSite=None cookie also needs Secure,
// which a plain http://localhost mock cannot set everywhere. A token in
// the path works in every iframe. It is kept out of the request logs, out
// of Referer headers (Referrer-Policy: no-referrer) and out of caches
// (Cache-Control: no-store).
package portal

import (
	"crypto/subtle"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
)

// Scalekit's portal sessions last up to six hours from the link's
// opening; the mock keeps at most MaxSessions, the oldest ending first.
const (
	SessionLife = 6 * time.Hour
	MaxSessions = 10_000
)

// Session is one admin portal session, started by opening a link.
type Session struct {
	LinkID, OrgID    string
	Started, Expires time.Time
	// CSRF is the token every form of the session carries: a form posted
	// from elsewhere does not know it.
	CSRF string
}

// Flash is what the page after an action shows, once: a notice or a
// problem in words, a secret made by the action, and the browser events
// the action causes.
type Flash struct {
	Notice, Problem string
	Secret          *Secret
	Events          []Event
}

// Secret is a value the portal shows once, as Scalekit shows secrets: a
// SCIM bearer token just made.
type Secret struct {
	Label, Value string
}

type entry struct {
	Session
	flash *Flash
}

// Sessions are the live portal sessions, by the SHA-256 of their token
// (ids.Key), so that a lookup does not compare tokens byte by byte.
type Sessions struct {
	mu    sync.Mutex
	byKey map[string]*entry
	swept time.Time // the last sweep: at most one a second
}

// NewSessions makes an empty set of sessions.
func NewSessions() *Sessions { return &Sessions{byKey: map[string]*entry{}} }

// Start starts a session of an organization for the link just opened and
// returns its token. Past MaxSessions the oldest session ends.
func (s *Sessions) Start(linkID, orgID string, now time.Time) string {
	token := ids.Token()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if len(s.byKey) >= MaxSessions {
		s.evictOldest()
	}
	s.byKey[ids.Key(token)] = &entry{Session: Session{
		LinkID: linkID, OrgID: orgID, Started: now, Expires: now.Add(SessionLife), CSRF: ids.Token(),
	}}
	return token
}

// Get returns the live session a link's token names; false when there is
// none: never started, ended by the bound, a restart or its six hours.
func (s *Sessions) Get(linkID, token string, now time.Time) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(linkID, token, now)
	if e == nil {
		return Session{}, false
	}
	return e.Session, true
}

// SetFlash keeps what the next page of the session shows: the notice,
// problem and secret replace earlier ones, the events add to them (two
// actions posted before the page loads both reach the app).
func (s *Sessions) SetFlash(linkID, token string, f Flash, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(linkID, token, now)
	if e == nil {
		return
	}
	if e.flash != nil {
		f.Events = append(append([]Event(nil), e.flash.Events...), f.Events...)
	}
	e.flash = &f
}

// TakeFlash returns the session's flash and forgets it: it is shown once.
func (s *Sessions) TakeFlash(linkID, token string, now time.Time) (Flash, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(linkID, token, now)
	if e == nil || e.flash == nil {
		return Flash{}, false
	}
	f := *e.flash
	e.flash = nil
	return f, true
}

// Len counts the sessions kept, live or not yet swept.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}

// live finds a live session of a link. The caller holds the lock.
func (s *Sessions) live(linkID, token string, now time.Time) *entry {
	e := s.byKey[ids.Key(token)]
	if e == nil || e.LinkID != linkID || !now.Before(e.Expires) {
		return nil
	}
	return e
}

// sweep drops ended sessions, at most once a second. The caller holds
// the lock.
func (s *Sessions) sweep(now time.Time) {
	if d := now.Sub(s.swept); !s.swept.IsZero() && d >= 0 && d < time.Second {
		return
	}
	s.swept = now
	for k, e := range s.byKey {
		if !now.Before(e.Expires) {
			delete(s.byKey, k)
		}
	}
}

// evictOldest ends the session started first. The caller holds the lock.
func (s *Sessions) evictOldest() {
	var oldest string
	var at time.Time
	for k, e := range s.byKey {
		if oldest == "" || e.Started.Before(at) {
			oldest, at = k, e.Started
		}
	}
	delete(s.byKey, oldest)
}

// SameToken reports whether a form's CSRF token is the session's, in
// constant time.
func SameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
