package fault

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Set holds the modes switched on in one environment. A mode may be armed
// for the next n matching requests only (then it clears itself), and for
// one client only.
type Set struct {
	mu     sync.Mutex
	active map[Mode]*Armed
	// n mirrors len(active), so that the faithful default (no mode on)
	// checks a mode without taking the lock: every request checks several.
	n atomic.Int32
}

// Armed is a mode as it is switched on.
type Armed struct {
	Fault
	Remaining int    `json:"remaining,omitempty"` // 0: until cleared
	Client    string `json:"client,omitempty"`    // "": every client
}

// Arm switches f on for count uses (0: until cleared), for one client
// ("": every client).
func (fs *Set) Arm(f Fault, count int, client string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.active == nil {
		fs.active = map[Mode]*Armed{}
	}
	fs.active[f.Mode] = &Armed{Fault: f, Remaining: count, Client: client}
	fs.n.Store(int32(len(fs.active)))
}

// Clear switches every mode off.
func (fs *Set) Clear() {
	fs.mu.Lock()
	fs.active = nil
	fs.n.Store(0)
	fs.mu.Unlock()
}

// ClearClient switches off the modes armed for client alone, leaving
// those of other clients and of every client: a test runner cleaning up
// after itself must not disarm what another test armed.
func (fs *Set) ClearClient(client string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for m, a := range fs.active {
		if a.Client == client {
			delete(fs.active, m)
		}
	}
	fs.n.Store(int32(len(fs.active)))
}

// ClearMode switches one mode off, whoever it was armed for.
func (fs *Set) ClearMode(m Mode) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.active, m)
	fs.n.Store(int32(len(fs.active)))
}

// List returns the armed modes, sorted.
func (fs *Set) List() []Armed {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := []Armed{}
	for _, a := range fs.active {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mode < out[j].Mode })
	return out
}

// Take reports whether mode is on for client and returns its parameter,
// using up one of its counted uses.
func (fs *Set) Take(mode Mode, client string) (string, bool) {
	if fs.n.Load() == 0 {
		return "", false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	a, ok := fs.active[mode]
	if !ok || (a.Client != "" && a.Client != client) {
		return "", false
	}
	if a.Remaining > 0 {
		a.Remaining--
		if a.Remaining == 0 {
			delete(fs.active, mode)
			fs.n.Store(int32(len(fs.active)))
		}
	}
	return a.Param, true
}

// On is Take for a mode without a parameter.
func (fs *Set) On(mode Mode, client string) bool {
	_, ok := fs.Take(mode, client)
	return ok
}

// Any reports whether any mode is on, without using it up.
func (fs *Set) Any() bool { return fs.n.Load() > 0 }

// Peek reports whether mode is on, without using it up.
func (fs *Set) Peek(mode Mode) (string, bool) {
	if fs.n.Load() == 0 {
		return "", false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	a, ok := fs.active[mode]
	if !ok {
		return "", false
	}
	return a.Param, true
}

// Has is Peek for a mode without a parameter.
func (fs *Set) Has(mode Mode) bool {
	_, ok := fs.Peek(mode)
	return ok
}
