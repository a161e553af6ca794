// Package passwordless keeps the one-time codes and magic links of an
// environment's passwordless emails, under Scalekit's rules for them: a
// code or link lives five minutes unless told otherwise and works once, a
// request takes a few wrong codes before it is spent, and an address gets
// at most two emails a minute. The management API's PasswordlessService
// and the hosted sign-in page's email path both keep their requests here,
// each in its own Store, the two sharing one Limiter.
package passwordless

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
)

const (
	// DefaultLife is how long a code or link lives unless the sender says
	// otherwise, as in Scalekit.
	DefaultLife = 5 * time.Minute
	// MaxLife is the longest life a sender may ask for.
	MaxLife = 24 * time.Hour
	// MaxWrongCodes wrong codes spend a request: after them even the right
	// code is refused, and the user asks for a new email.
	MaxWrongCodes = 5
	// TestCode is the static code of Scalekit's test users: addresses
	// whose local part holds "+sktest" always get it, so that an
	// end-to-end test can type it without reading the email.
	TestCode = "424242"
	// TestMarker marks a test user's address.
	TestMarker = "+sktest"

	// maxRequests bounds the requests kept; past it the ones that can no
	// longer be verified are dropped, and if none can be, a send is
	// refused until some expire.
	maxRequests = 10000
	// keepAfter is how long a request is remembered after it expires, so
	// that a late code or link is told "expired" rather than "unknown".
	keepAfter = 15 * time.Minute
)

// Params is what a sender asks for.
type Params struct {
	Email string
	// State is the sender's, handed back on verification.
	State string
	// Template is the sender's template (Scalekit's SIGNIN or SIGNUP
	// enum value), handed back on verification.
	Template int32
	// Type is what the email carries. "" is the sender's choice by
	// LinkBase: LINK_OTP with one, OTP without.
	Type Type
	// LinkBase is the page a magic link lands on; the link is LinkBase
	// with link_token added. A type with a link needs one: without it the
	// email carries no link (the sender checks first).
	LinkBase string
	// Life is how long the code and link live; 0 means DefaultLife.
	Life time.Duration
}

// Request is one email's code and link as sent.
type Request struct {
	ID, Email, State string
	Template         int32
	Type             Type
	Code             string // "" for a link alone
	Link             string // "" for a code alone
	Life             time.Duration
	Expires          time.Time
}

// HasLink reports whether the email carries a magic link.
func (r Request) HasLink() bool { return r.Link != "" }

// Reason is why a send, resend or verification was refused.
type Reason string

const (
	Unknown     Reason = "unknown request"      // no such auth_request_id
	NoCode      Reason = "no code sent"         // a code for a request of a link alone
	LinkUnknown Reason = "unknown link"         // not a link sent, or one a resend replaced
	WrongCode   Reason = "wrong code"           // attempts are left
	Spent       Reason = "too many wrong codes" // the request is spent
	Used        Reason = "already used"
	Expired     Reason = "expired"
	RateLimited Reason = "rate limited" // the address's emails this minute
	Full        Reason = "too many pending requests"
)

// Refusal is the error of every refused call.
type Refusal struct {
	Reason Reason
	Email  string
	// Left is the attempts left after a wrong code.
	Left int
	// RetryAfter is how long until the address may be emailed again.
	RetryAfter time.Duration
	// Request is the request refused, when there is one: its state tells
	// the sender which sign-in it belongs to.
	Request Request
}

func (e *Refusal) Error() string {
	switch e.Reason {
	case WrongCode:
		return fmt.Sprintf("wrong code, %d attempts left", e.Left)
	case RateLimited:
		return fmt.Sprintf("rate limited: at most %d emails a minute to an address; next in %s", EmailsPerWindow, e.RetryAfter.Round(time.Second))
	}
	return string(e.Reason)
}

// entry is a request with what only the store sees.
type entry struct {
	Request
	linkBase string
	linkKey  string // ids.Key of the current link token
	wrong    int
	used     bool
	spent    bool
}

// Store holds one sender's requests.
type Store struct {
	mu     sync.Mutex
	limit  *Limiter
	swept  time.Time
	byID   map[string]*entry
	byLink map[string]string // link key → request ID
}

// NewStore returns an empty store whose sends count against limit.
func NewStore(limit *Limiter) *Store {
	if limit == nil {
		limit = NewLimiter()
	}
	return &Store{limit: limit, byID: map[string]*entry{}, byLink: map[string]string{}}
}

// Send records a new request with a fresh code (and link), within the
// address's rate limit.
func (s *Store) Send(p Params, id string, now time.Time) (Request, error) {
	email := strings.ToLower(strings.TrimSpace(p.Email))
	life := min(p.Life, MaxLife)
	if life <= 0 {
		life = DefaultLife
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, false)
	if len(s.byID) >= maxRequests {
		s.sweep(now, true)
		if len(s.byID) >= maxRequests {
			return Request{}, &Refusal{Reason: Full, Email: email, RetryAfter: Window}
		}
	}
	if retry, ok := s.limit.take(email, now); !ok {
		return Request{}, &Refusal{Reason: RateLimited, Email: email, RetryAfter: retry}
	}
	typ := p.Type
	if !typ.Valid() {
		typ = OTP
		if p.LinkBase != "" {
			typ = LinkOTP
		}
	}
	e := &entry{Request: Request{ID: id, Email: email, State: p.State, Template: p.Template, Type: typ, Life: life}, linkBase: p.LinkBase}
	if old := s.byID[id]; old != nil {
		delete(s.byLink, old.linkKey)
	}
	s.byID[id] = e
	s.issue(e, now)
	return e.Request, nil
}

// Resend issues a new code and link for a request and counts as an email
// of the address; the old code and link stop working (Scalekit's "issue
// new credentials on resend").
func (s *Store) Resend(id string, now time.Time) (Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[id]
	if err := e.usable(now); err != nil {
		return Request{}, err
	}
	if retry, ok := s.limit.take(e.Email, now); !ok {
		return Request{}, &Refusal{Reason: RateLimited, Email: e.Email, RetryAfter: retry, Request: e.Request}
	}
	delete(s.byLink, e.linkKey)
	e.wrong = 0
	s.issue(e, now)
	return e.Request, nil
}

// VerifyCode checks a code of a request. A wrong one counts against the
// request's attempts; the right one works once. A request whose email
// carried no code (LINK) takes none: that is refused without costing an
// attempt, since no code could be right.
func (s *Store) VerifyCode(id, code string, now time.Time) (Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[id]
	if err := e.usable(now); err != nil {
		return Request{}, err
	}
	if e.Code == "" {
		return Request{}, &Refusal{Reason: NoCode, Email: e.Email, Request: e.Request}
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(e.Code)) != 1 {
		e.wrong++
		if e.wrong >= MaxWrongCodes {
			e.spent = true
			return Request{}, &Refusal{Reason: Spent, Email: e.Email, Request: e.Request}
		}
		return Request{}, &Refusal{Reason: WrongCode, Email: e.Email, Left: MaxWrongCodes - e.wrong, Request: e.Request}
	}
	e.used = true
	return e.Request, nil
}

// VerifyLink checks a magic link's token, which works once. With id set
// (Scalekit's same-browser check), the link must be that request's.
func (s *Store) VerifyLink(token, id string, now time.Time) (Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	linked, ok := s.byLink[ids.Key(token)]
	if !ok || (id != "" && id != linked) {
		return Request{}, &Refusal{Reason: LinkUnknown}
	}
	e := s.byID[linked]
	if err := e.usable(now); err != nil {
		return Request{}, err
	}
	e.used = true
	return e.Request, nil
}

// Len is the number of requests kept.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// issue gives a request a new code, link and expiry, as its type says.
// The caller holds mu.
func (s *Store) issue(e *entry, now time.Time) {
	e.Code = ""
	if e.Type.SendsCode() {
		e.Code = codeFor(e.Email)
	}
	e.Expires = now.Add(e.Life)
	e.Link, e.linkKey = "", ""
	if !e.Type.SendsLink() || e.linkBase == "" {
		return
	}
	u, err := url.Parse(e.linkBase)
	if err != nil {
		return // the sender checks the URL; a bad one sends a code alone
	}
	token := ids.Token()
	e.linkKey = ids.Key(token)
	s.byLink[e.linkKey] = e.ID
	q := u.Query()
	q.Set("link_token", token)
	u.RawQuery = q.Encode()
	e.Link = u.String()
}

// usable says why a request can no longer be verified or resent, if it
// cannot.
func (e *entry) usable(now time.Time) error {
	switch {
	case e == nil:
		return &Refusal{Reason: Unknown}
	case e.used:
		return &Refusal{Reason: Used, Email: e.Email, Request: e.Request}
	case e.spent:
		return &Refusal{Reason: Spent, Email: e.Email, Request: e.Request}
	case !now.Before(e.Expires):
		return &Refusal{Reason: Expired, Email: e.Email, Request: e.Request}
	}
	return nil
}

// sweep drops the requests expired longer than keepAfter ago, at most
// once a second; full drops every request that can no longer be
// verified, at once. The caller holds mu.
func (s *Store) sweep(now time.Time, full bool) {
	if !full && !due(s.swept, now) {
		return
	}
	s.swept = now
	for id, e := range s.byID {
		if !now.Before(e.Expires.Add(keepAfter)) || (full && e.usable(now) != nil) {
			delete(s.byID, id)
			delete(s.byLink, e.linkKey)
		}
	}
}

// codeFor draws a six-digit code, or the static test code for a test
// user's address.
func codeFor(email string) string {
	if IsTestUser(email) {
		return TestCode
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000)) // crypto/rand's reader does not fail
	return fmt.Sprintf("%06d", n.Int64())
}

// IsTestUser reports whether an address is a test user's: its local part
// holds "+sktest".
func IsTestUser(email string) bool {
	local := email
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	return strings.Contains(strings.ToLower(local), TestMarker)
}
