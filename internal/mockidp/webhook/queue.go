package webhook

import (
	"fmt"
	"slices"
	"time"
)

// The deliveries' queues: one per endpoint, attempted in order by a
// worker of its own.

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
