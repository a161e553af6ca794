package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Defaults of a Config.
const (
	// DefaultTimeout is how long an attempt may take: Scalekit counts a
	// delivery as successful on "a 2xx within 10 seconds".
	DefaultTimeout = 10 * time.Second
	// DefaultKeep is how many finished deliveries the log keeps.
	DefaultKeep = 1000
	// DefaultMaxQueued is how many deliveries may wait for one endpoint.
	DefaultMaxQueued = 1000
	// DefaultGrace is how long Close lets an attempt in flight finish.
	DefaultGrace = 2 * time.Second
)

// DefaultBackoff is the wait before each retry: Scalekit retries a failed
// delivery "up to 3 times with exponential backoff" without publishing
// the intervals. These are short, so that a local run is not held up for
// long behind an event the app refused (see Policy.Backoff).
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 25 * time.Second}
}

// Policy is how deliveries are attempted. Zero fields take the defaults.
type Policy struct {
	// Timeout bounds each attempt, answer included.
	Timeout time.Duration
	// Backoff is the wait before each retry, so a delivery has
	// 1+len(Backoff) attempts; nil means DefaultBackoff, and an empty
	// non-nil slice means no retries.
	Backoff []time.Duration
	// Grace is how long Close waits for attempts in flight before cutting
	// them short.
	Grace time.Duration
}

// Config configures a Dispatcher.
type Config struct {
	Endpoints []Endpoint
	Policy    Policy
	// Keep bounds the finished deliveries kept; MaxQueued the deliveries
	// waiting for one endpoint. Zero means DefaultKeep, DefaultMaxQueued.
	Keep, MaxQueued int
	// StateDir, when set, keeps the undelivered deliveries and the log
	// across restarts (persist.go).
	StateDir string
	// Now stamps attempts and signatures; nil means time.Now. It must be
	// the receiver's clock, near enough: the SDKs refuse a timestamp more
	// than 5 minutes off.
	Now func() time.Time
	// NewID makes delivery IDs from a prefix; nil means random ones.
	NewID func(prefix string) string
	// Log receives a line per failed attempt and per full queue; nil
	// discards them. It never receives a secret.
	Log *slog.Logger
}

// Errors of Resend.
var (
	ErrNoDelivery   = errors.New("no such delivery: it was never made, or is older than the log keeps")
	ErrEndpointGone = errors.New("the delivery's endpoint is no longer configured")
	ErrQueueFull    = errors.New("the endpoint's queue is full")
)

// Dispatcher delivers messages to endpoints: each endpoint gets every
// message it subscribes to, in the order they were enqueued, one at a
// time; a message that fails holds the later ones back until it is
// delivered or its attempts run out. Endpoints do not wait for one
// another.
type Dispatcher struct {
	policy    Policy
	keep, max int
	now       func() time.Time
	newID     func(string) string
	log       *slog.Logger
	client    *http.Client
	transport *http.Transport
	state     *stateFiles // nil without a StateDir

	// ctx is cancelled when Close's grace runs out: it cuts attempts in
	// flight short.
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error

	mu     sync.Mutex
	queues []*queue
	byURL  map[string]*queue
	byID   map[string]*delivery
	done   []*delivery // finished, oldest first, at most keep
	// orphans are undelivered deliveries a state file kept for endpoints
	// not configured in this run: kept, unsent, for a later run.
	orphans []*delivery
	seq     uint64
	// changes counts changes to the undelivered deliveries; logChanges to
	// the finished ones. The state files remember which they hold.
	changes, logChanges uint64
	// changed is closed, and replaced, on every change (Changed).
	changed chan struct{}
}

// queue is one endpoint's deliveries yet to finish, in order; the first
// is the one being attempted.
type queue struct {
	ep      Endpoint
	shown   string
	pending []*delivery
	wake    chan struct{} // a token when pending may have grown
}

// delivery is a Delivery with what attempting it needs.
type delivery struct {
	Delivery // Body is left empty: body holds it
	url      string
	seq      uint64
	body     []byte
	due      time.Time // when the next attempt may start
}

func (d *delivery) message() Message {
	return Message{ID: d.EventID, Type: d.EventType, OrgID: d.OrgID, Body: d.body, Created: d.OccurredAt}
}

// snapshot copies what changes under the dispatcher's lock (the status,
// attempts, due time), so that the copy can be read after it is released.
// The body never changes once made: the copy shares it.
func (d *delivery) snapshot() delivery {
	c := *d
	c.Delivery = d.Delivery.clone()
	return c
}

// view is the delivery as callers see it, with its body. Call it on a
// snapshot, outside the lock: it copies the body.
func (d *delivery) view() Delivery {
	v := d.Delivery.clone()
	v.Body = string(d.body)
	if d.Status == Retrying && !d.due.IsZero() {
		t := d.due.UTC()
		v.NextAttemptAt = &t
	}
	return v
}

// New checks the endpoints, loads what StateDir kept and starts
// delivering.
func New(cfg Config) (*Dispatcher, error) {
	if err := checkEndpoints(cfg.Endpoints); err != nil {
		return nil, err
	}
	p := cfg.Policy
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Backoff == nil {
		p.Backoff = DefaultBackoff()
	}
	p.Backoff = slices.Clone(p.Backoff)
	if p.Grace <= 0 {
		p.Grace = DefaultGrace
	}
	d := &Dispatcher{
		policy: p, keep: cfg.Keep, max: cfg.MaxQueued, now: cfg.Now, newID: cfg.NewID, log: cfg.Log,
		stop: make(chan struct{}), byURL: map[string]*queue{}, byID: map[string]*delivery{}, changed: make(chan struct{}),
	}
	if d.keep <= 0 {
		d.keep = DefaultKeep
	}
	if d.max <= 0 {
		d.max = DefaultMaxQueued
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.newID == nil {
		d.newID = randomID
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.client, d.transport = newClient()
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, ep := range cfg.Endpoints {
		ep.Events = slices.Clone(ep.Events)
		q := &queue{ep: ep, shown: Shown(ep.URL), wake: make(chan struct{}, 1)}
		d.queues = append(d.queues, q)
		d.byURL[ep.URL] = q
	}
	if cfg.StateDir != "" {
		d.state = newStateFiles(cfg.StateDir)
		if err := d.load(); err != nil {
			d.cancel()
			return nil, err
		}
	}
	for _, q := range d.queues {
		d.wg.Add(1)
		go d.run(q)
	}
	return d, nil
}

// checkEndpoints checks each endpoint and that no URL appears twice (the
// state files tell endpoints apart by URL).
func checkEndpoints(eps []Endpoint) error {
	var errs []error
	seen := map[string]bool{}
	for i, ep := range eps {
		if err := ep.Check(); err != nil {
			errs = append(errs, fmt.Errorf("webhook endpoint %d: %w", i+1, err))
		}
		if seen[ep.URL] {
			errs = append(errs, fmt.Errorf("webhook endpoint %s appears twice: give it once, with all the event types it wants", Shown(ep.URL)))
		}
		seen[ep.URL] = true
	}
	return errors.Join(errs...)
}

func randomID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Endpoints lists the endpoints, their secrets left out.
func (d *Dispatcher) Endpoints() []Endpoint {
	out := make([]Endpoint, len(d.queues))
	for i, q := range d.queues {
		out[i] = Endpoint{URL: q.shown, Events: slices.Clone(q.ep.Events)}
	}
	return out
}

// Policy is the policy in force, defaults filled in.
func (d *Dispatcher) Policy() Policy {
	p := d.policy
	p.Backoff = slices.Clone(p.Backoff)
	return p
}

// MaxAttempts is how many attempts a delivery gets.
func (d *Dispatcher) MaxAttempts() int { return 1 + len(d.policy.Backoff) }

// Wants reports whether any endpoint subscribes to an event type, so that
// a caller can skip building a body nobody receives.
func (d *Dispatcher) Wants(typ string) bool {
	for _, q := range d.queues {
		if q.ep.wants(typ) {
			return true
		}
	}
	return false
}

// Close stops delivering: attempts in flight get the policy's Grace to
// finish, then are cut short (and not counted). The undelivered
// deliveries stay queued and, with a StateDir, are saved for the next
// start. Messages enqueued after Close are kept, not sent.
func (d *Dispatcher) Close() error {
	d.once.Do(func() {
		close(d.stop)
		finished := make(chan struct{})
		go func() { d.wg.Wait(); close(finished) }()
		t := time.NewTimer(d.policy.Grace)
		select {
		case <-finished:
		case <-t.C:
			d.cancel()
			<-finished
		}
		t.Stop()
		d.cancel()
		d.transport.CloseIdleConnections()
		if d.state != nil {
			d.err = d.Save()
		}
	})
	return d.err
}
