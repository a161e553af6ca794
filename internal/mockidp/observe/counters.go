// Package observe is what a mock environment lets a test see of the
// requests it served: a counter per endpoint, and a log of the last
// requests with the violations strict mode found in them. Nothing secret is
// kept.
package observe

import "sync/atomic"

// Counter names an endpoint's counter in /__mock/requests, such as
// "token.requests".
type Counter string

// Counters count requests per endpoint, so that a test can assert, say,
// that a refused sign-in made no userinfo call.
type Counters struct {
	names []Counter
	n     map[Counter]*atomic.Int64
}

// NewCounters makes a counter for each name.
func NewCounters(names ...Counter) *Counters {
	c := &Counters{names: names, n: map[Counter]*atomic.Int64{}}
	for _, name := range names {
		if _, dup := c.n[name]; !dup {
			c.n[name] = new(atomic.Int64)
		}
	}
	return c
}

// Add counts one request; an unknown name (none) counts nothing.
func (c *Counters) Add(name Counter) {
	if n := c.n[name]; n != nil {
		n.Add(1)
	}
}

// Snapshot returns every counter.
func (c *Counters) Snapshot() map[Counter]int64 {
	out := make(map[Counter]int64, len(c.n))
	for name, n := range c.n {
		out[name] = n.Load()
	}
	return out
}

// Reset sets every counter to 0.
func (c *Counters) Reset() {
	for _, n := range c.n {
		n.Store(0)
	}
}
