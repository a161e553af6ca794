package events

import (
	"slices"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// Keep bounds the log: a long run keeps the newest events.
const Keep = 10_000

// Log is an environment's events, oldest first. The zero value is not
// ready: use NewLog.
type Log struct {
	newID func(prefix string) string
	now   func() time.Time

	file statefile.File // events.json, with --state-dir

	mu      sync.Mutex
	events  []Event
	changes uint64 // events appended, for Save
	// sinks are told of every event appended, in order, under the log's
	// lock: the webhook deliveries enqueue it there, so that their order is
	// the log's.
	sinks []func(Event)
}

// NewLog makes an empty log whose events get IDs from newID("evt_") and
// times from now.
func NewLog(newID func(prefix string) string, now func() time.Time) *Log {
	return &Log{newID: newID, now: now}
}

// OnAppend adds a function told of every event appended from now on, in
// the log's order. It runs under the log's lock: it must be quick and must
// not append.
func (l *Log) OnAppend(f func(Event)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sinks = append(l.sinks, f)
}

// Append adds an event, filling in its ID, time and spec version when
// unset, and returns it as logged.
func (l *Log) Append(e Event) Event {
	if e.ID == "" {
		e.ID = l.newID("evt_")
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = l.now()
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if e.SpecVersion == "" {
		e.SpecVersion = SpecVersion
	}
	if i, ok := Lookup(e.Type); ok {
		if e.Object == "" {
			e.Object = i.Object
		}
		if e.DisplayName == "" {
			e.DisplayName = i.DisplayName
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	l.changes++
	if len(l.events) > Keep {
		// The kept events are a window of the array, not a copy of them:
		// a copy of Keep events on every append, once the log was full,
		// made each event cost milliseconds and a PATCH of thousands of
		// members (an event each) seconds, with every writer of the tenant
		// waiting its turn to publish. append copies the kept events to a
		// new array once this one's room is used up, a copy every Keep/4
		// appends or so; the dropped event is cleared so that it is freed.
		drop := len(l.events) - Keep
		clear(l.events[:drop])
		l.events = l.events[drop:]
	}
	for _, f := range l.sinks {
		f(e)
	}
	return e
}

// Get returns an event by ID.
func (l *Log) Get(id string) (Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.events) - 1; i >= 0; i-- {
		if l.events[i].ID == id {
			return l.events[i], true
		}
	}
	return Event{}, false
}

// Filter selects events; zero fields select all.
type Filter struct {
	OrganizationID string
	Types          []Type
	Since, Until   time.Time // inclusive, exclusive
}

func (f Filter) match(e Event) bool {
	return (f.OrganizationID == "" || e.OrganizationID == f.OrganizationID) &&
		(len(f.Types) == 0 || slices.Contains(f.Types, e.Type)) &&
		(f.Since.IsZero() || !e.OccurredAt.Before(f.Since)) &&
		(f.Until.IsZero() || e.OccurredAt.Before(f.Until))
}

// List returns the events a filter selects, oldest first.
func (l *Log) List(f Filter) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, e := range l.events {
		if f.match(e) {
			out = append(out, e)
		}
	}
	return out
}

// All returns every event kept, oldest first, for a state file.
func (l *Log) All() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Restore replaces the log's events with ones a state file kept, before
// the environment serves: the sinks are not told.
func (l *Log) Restore(evs []Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = slices.Clone(evs)
	if len(l.events) > Keep {
		l.events = l.events[len(l.events)-Keep:]
	}
}

// After returns the events logged after the one with ID id, oldest
// first; every event kept when id is "" or no longer kept.
func (l *Log) After(id string) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.events) - 1; i >= 0 && id != ""; i-- {
		if l.events[i].ID == id {
			return slices.Clone(l.events[i+1:])
		}
	}
	return slices.Clone(l.events)
}
