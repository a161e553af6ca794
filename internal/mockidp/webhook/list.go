package webhook

import (
	"cmp"
	"slices"
)

// Reading the deliveries: for the log page, its JSON, and tests that
// wait on a change.

// Changed returns a channel closed at the next change of any delivery:
// one queued, attempted or finished. Take it before reading the state it
// is about, so no change falls between.
func (d *Dispatcher) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
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
