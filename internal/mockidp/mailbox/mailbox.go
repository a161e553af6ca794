// Package mailbox keeps the emails a mock environment would send — one-time
// codes, magic links, invitations — so that a developer or a test reads
// them locally (GET /__mock/mail) instead of from an inbox.
package mailbox

import (
	"strings"
	"sync"
	"time"
)

// Kind is what an email is for.
type Kind string

const (
	Passwordless Kind = "passwordless" // a one-time code, perhaps with a magic link
	Invitation   Kind = "invitation"   // an invitation to an organization
)

// Message is one email, with what a test needs of it pulled out. Its JSON
// is what GET /__mock/mail answers, which tests and scripts parse.
type Message struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Code    string    `json:"code,omitempty"` // a one-time code
	Link    string    `json:"link,omitempty"` // a magic link or invitation link
	Kind    Kind      `json:"kind"`
	Created time.Time `json:"created_at"`
	// Expires is when the code and link stop working, for the mailbox
	// page; zero when the sender did not say. Not in the JSON, which stays
	// the shape scripts already read; nor are the fields below.
	Expires time.Time `json:"-"`
	// Request is the passwordless request the email is of (pwl_…), by
	// which its sender settles it; "" for an invitation.
	Request string `json:"-"`
	// Status is what became of the email's code and link, "" while they
	// may still work; Settled is when.
	Status  Status    `json:"-"`
	Settled time.Time `json:"-"`
}

// Status is why an email's code and link no longer work, besides expiry,
// which the page tells from Expires.
type Status string

const (
	Used     Status = "used"     // verified: each works once
	Spent    Status = "spent"    // too many wrong codes
	Replaced Status = "replaced" // a resend sent new ones
)

// keep bounds the mailbox: a long run keeps the newest messages.
const keep = 1000

// Box is an environment's mailbox. The zero value is ready to use.
type Box struct {
	mu   sync.Mutex
	msgs []Message // oldest first
}

// Deliver adds a message. A message of a request that earlier ones are
// of is a resend: theirs no longer work.
func (b *Box) Deliver(m Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m.To = strings.ToLower(m.To)
	if m.Request != "" {
		for i := range b.msgs {
			if o := &b.msgs[i]; o.Request == m.Request && o.Status == "" {
				o.Status, o.Settled = Replaced, m.Created
			}
		}
	}
	b.msgs = append(b.msgs, m)
	if len(b.msgs) > keep {
		b.msgs = append([]Message(nil), b.msgs[len(b.msgs)-keep:]...)
	}
}

// Settle records what became of a request's newest email: its code or
// link was used, or wrong codes spent it. An email already settled keeps
// its status.
func (b *Box) Settle(request string, st Status, at time.Time) {
	if request == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if m := &b.msgs[i]; m.Request == request {
			if m.Status == "" {
				m.Status, m.Settled = st, at
			}
			return
		}
	}
}

// List returns the messages to an address (every address when to is ""),
// newest first, at most last of them when last > 0.
func (b *Box) List(to string, last int) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	to = strings.ToLower(strings.TrimSpace(to))
	out := []Message{}
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if to != "" && b.msgs[i].To != to {
			continue
		}
		out = append(out, b.msgs[i])
		if last > 0 && len(out) == last {
			break
		}
	}
	return out
}
