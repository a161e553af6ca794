package webhook

import (
	"slices"
	"time"
)

// Message is one event to deliver, in terms the package needs: it knows
// nothing of the event log that makes them.
type Message struct {
	// ID is the event's ID (evt_…), sent as webhook-id: the same on every
	// attempt and every resend, so that a receiver can drop duplicates.
	ID    string
	Type  string
	OrgID string
	// Body is the exact bytes sent and signed.
	Body    []byte
	Created time.Time
}

// Status is where a delivery stands.
type Status string

const (
	// Queued: no attempt yet; waiting for the endpoint's earlier
	// deliveries, or being attempted now.
	Queued Status = "queued"
	// Retrying: attempted and failed; another attempt is due.
	Retrying Status = "retrying"
	// Delivered: an attempt got a 2xx answer in time.
	Delivered Status = "delivered"
	// Failed: every attempt failed, or the delivery could not be made
	// (Note says why).
	Failed Status = "failed"
)

// Finished reports whether no attempt will follow.
func (s Status) Finished() bool { return s == Delivered || s == Failed }

// Delivery is one event delivered to one endpoint: one series of
// attempts. A resend is a new Delivery of the same event.
type Delivery struct {
	ID        string `json:"id"` // dlv_…
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	OrgID     string `json:"organization_id,omitempty"`
	// OccurredAt is the event's time.
	OccurredAt time.Time `json:"occurred_at"`
	// Endpoint is the endpoint's URL as Shown (no password, no query).
	Endpoint  string    `json:"endpoint"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// NextAttemptAt is when the next attempt is due, while retrying.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// ResentFrom is the delivery this one resends.
	ResentFrom string    `json:"resent_from,omitempty"`
	Note       string    `json:"note,omitempty"`
	Attempts   []Attempt `json:"attempts"`
	// Body is the body every attempt sends, as sent.
	Body string `json:"body"`
}

// Attempt is one POST of a delivery.
type Attempt struct {
	N  int       `json:"attempt"` // 1 for the first
	At time.Time `json:"at"`
	// Status is the answer's HTTP status; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Error says in words why the attempt failed with no answer (a
	// timeout, a refused connection), or what was wrong with the answer.
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
	// Response is the start of the answer's body (ResponseExcerpt bytes).
	Response  string `json:"response,omitempty"`
	Truncated bool   `json:"response_truncated,omitempty"`
}

// OK reports whether the attempt delivered: a 2xx answer within the
// timeout.
func (a Attempt) OK() bool { return a.Error == "" && a.Status >= 200 && a.Status < 300 }

// clone copies a delivery deeply enough that the caller may keep it.
func (d Delivery) clone() Delivery {
	d.Attempts = slices.Clone(d.Attempts)
	if d.NextAttemptAt != nil {
		t := *d.NextAttemptAt
		d.NextAttemptAt = &t
	}
	return d
}
