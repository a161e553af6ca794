package webhook

import (
	"cmp"
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

// Enqueue queues a message for every endpoint that subscribes to its
// type. It does not block on the network or the disk: the event log calls
// it under its lock, so that the deliveries' order is the log's.
func (d *Dispatcher) Enqueue(m Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.queues {
		if q.ep.wants(m.Type) {
			d.add(q, m, "")
		}
	}
}

// Resend queues a new delivery of a delivery's event to its endpoint,
// behind the endpoint's other deliveries, with attempts of its own.
func (d *Dispatcher) Resend(id string) (Delivery, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.byID[id]
	if old == nil {
		return Delivery{}, ErrNoDelivery
	}
	q := d.byURL[old.url]
	if q == nil {
		return Delivery{}, ErrEndpointGone
	}
	nd, err := d.add(q, old.message(), old.ID)
	c := nd.snapshot()
	return c.view(), err
}

// add makes a delivery of m to q's endpoint. The caller holds mu.
func (d *Dispatcher) add(q *queue, m Message, resentFrom string) (*delivery, error) {
	d.seq++
	nd := &delivery{
		Delivery: Delivery{
			ID: d.newID("dlv_"), EventID: m.ID, EventType: m.Type, OrgID: m.OrgID, OccurredAt: m.Created.UTC(),
			Endpoint: q.shown, Status: Queued, CreatedAt: d.now().UTC(), ResentFrom: resentFrom, Attempts: []Attempt{},
		},
		url: q.ep.URL, seq: d.seq, body: m.Body,
	}
	if n := len(q.pending); n >= d.max {
		nd.Status = Failed
		nd.Note = fmt.Sprintf("not sent: %d deliveries were already waiting for this endpoint, the most the mock queues", n)
		d.log.Warn("webhook queue full: this event is not delivered to the endpoint; fix the endpoint, then resend it from /__mock/webhooks",
			"endpoint", q.shown, "event_id", m.ID, "type", m.Type, "waiting", n, "delivery", nd.ID)
		d.byID[nd.ID] = nd
		d.finish(nd)
		d.notify()
		return nd, ErrQueueFull
	}
	q.pending = append(q.pending, nd)
	d.byID[nd.ID] = nd
	d.changes++
	d.notify()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nd, nil
}

// finish moves a delivery to the log of finished ones, dropping the
// oldest past keep. The caller holds mu.
func (d *Dispatcher) finish(fd *delivery) {
	d.done = append(d.done, fd)
	if len(d.done) > d.keep {
		for _, old := range d.done[:len(d.done)-d.keep] {
			delete(d.byID, old.ID)
		}
		d.done = slices.Clone(d.done[len(d.done)-d.keep:])
	}
	d.logChanges++
}

// notify wakes whoever waits on Changed. The caller holds mu.
func (d *Dispatcher) notify() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// Changed returns a channel closed at the next change of any delivery:
// one queued, attempted or finished. Take it before reading the state it
// is about, so no change falls between.
func (d *Dispatcher) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

// run attempts q's deliveries in order until Close.
func (d *Dispatcher) run(q *queue) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		var head *delivery
		var msg Message
		var due time.Time
		var n int
		if len(q.pending) > 0 {
			head = q.pending[0]
			msg, due, n = head.message(), head.due, len(head.Attempts)+1
		}
		d.mu.Unlock()
		if head == nil {
			select {
			case <-q.wake:
				continue
			case <-d.stop:
				return
			}
		}
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.stop:
				t.Stop()
				return
			}
		}
		select {
		case <-d.stop:
			return
		default:
		}
		a, interrupted := d.attempt(q.ep, msg, n)
		if interrupted {
			d.log.Warn("webhook attempt cut short by shutdown: not counted; the delivery is sent again on the next start with --state-dir",
				"endpoint", q.shown, "delivery", head.ID, "event_id", msg.ID)
			return
		}
		d.record(q, head, a)
	}
}

// record adds an attempt to the head of q and moves it on: delivered,
// failed for good, or due again after its backoff.
func (d *Dispatcher) record(q *queue, hd *delivery, a Attempt) {
	d.mu.Lock()
	defer d.mu.Unlock()
	hd.Attempts = append(hd.Attempts, a)
	switch {
	case a.OK():
		hd.Status = Delivered
	case len(hd.Attempts) >= d.MaxAttempts():
		hd.Status = Failed
		hd.Note = fmt.Sprintf("gave up after %d attempts", len(hd.Attempts))
		d.log.Warn("webhook delivery failed: gave up; resend it from /__mock/webhooks once the endpoint works",
			"endpoint", q.shown, "event_id", hd.EventID, "type", hd.EventType, "delivery", hd.ID, "attempts", len(hd.Attempts), "last", a.Error)
	default:
		wait := d.policy.Backoff[len(hd.Attempts)-1]
		hd.Status = Retrying
		hd.due = time.Now().Add(wait)
		d.log.Info("webhook attempt failed: retrying", "endpoint", q.shown, "event_id", hd.EventID, "type", hd.EventType,
			"delivery", hd.ID, "attempt", a.N, "err", a.Error, "retry_in", wait)
	}
	if hd.Status.Finished() {
		hd.due = time.Time{}
		q.pending = q.pending[1:]
		d.finish(hd)
	}
	d.changes++
	d.notify()
}

// Get returns a delivery by ID.
func (d *Dispatcher) Get(id string) (Delivery, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dl := d.byID[id]; dl != nil {
		c := dl.snapshot()
		return c.view(), true
	}
	return Delivery{}, false
}

// Filter selects deliveries; zero fields select all.
type Filter struct {
	EventID string
	Status  Status
	// Limit keeps the newest Limit; zero keeps all.
	Limit int
}

// List returns the deliveries kept, newest first: the undelivered ones and
// the last finished ones.
func (d *Dispatcher) List(f Filter) []Delivery {
	// Copied under the lock, the bodies outside it: Enqueue waits for the
	// lock under the event log's.
	d.mu.Lock()
	all := make([]delivery, 0, len(d.byID))
	for _, dl := range d.byID {
		if (f.EventID == "" || dl.EventID == f.EventID) && (f.Status == "" || dl.Status == f.Status) {
			all = append(all, dl.snapshot())
		}
	}
	d.mu.Unlock()
	slices.SortFunc(all, func(a, b delivery) int { return cmp.Compare(b.seq, a.seq) })
	if f.Limit > 0 && len(all) > f.Limit {
		all = all[:f.Limit]
	}
	out := make([]Delivery, len(all))
	for i := range all {
		out[i] = all[i].view()
	}
	return out
}

// Count is how many deliveries are kept, and how many of them are in
// each status.
func (d *Dispatcher) Count() (total int, by map[Status]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	by = map[Status]int{}
	for _, dl := range d.byID {
		by[dl.Status]++
	}
	return len(d.byID), by
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
