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
	// the shape scripts already read.
	Expires time.Time `json:"-"`
}

// keep bounds the mailbox: a long run keeps the newest messages.
const keep = 1000

// Box is an environment's mailbox. The zero value is ready to use.
type Box struct {
	mu   sync.Mutex
	msgs []Message // oldest first
}

// Deliver adds a message.
func (b *Box) Deliver(m Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m.To = strings.ToLower(m.To)
	b.msgs = append(b.msgs, m)
	if len(b.msgs) > keep {
		b.msgs = append([]Message(nil), b.msgs[len(b.msgs)-keep:]...)
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
