package mockidp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// faultSet holds the modes switched on in one environment. A mode may be
// armed for the next n matching requests only (then it clears itself),
// and for one client only.
type faultSet struct {
	mu     sync.Mutex
	active map[string]*armedFault
	// n mirrors len(active), so that the faithful default (no mode on)
	// checks a mode without taking the lock: every request checks several.
	n atomic.Int32
}

type armedFault struct {
	Fault
	Remaining int    `json:"remaining,omitempty"` // 0: until cleared
	Client    string `json:"client,omitempty"`    // "": every client
}

func (fs *faultSet) set(f Fault, count int, client string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.active == nil {
		fs.active = map[string]*armedFault{}
	}
	fs.active[f.Mode] = &armedFault{Fault: f, Remaining: count, Client: client}
	fs.n.Store(int32(len(fs.active)))
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.active = nil
	fs.n.Store(0)
	fs.mu.Unlock()
}

func (fs *faultSet) list() []armedFault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := []armedFault{}
	for _, a := range fs.active {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mode < out[j].Mode })
	return out
}

// take reports whether mode is on for client and returns its parameter,
// using up one of its counted uses.
func (fs *faultSet) take(mode, client string) (string, bool) {
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

// on is take for a mode without a parameter.
func (fs *faultSet) on(mode, client string) bool {
	_, ok := fs.take(mode, client)
	return ok
}

// any reports whether any mode is on, without using it up.
func (fs *faultSet) any() bool { return fs.n.Load() > 0 }

// peek reports whether mode is on, without using it up.
func (fs *faultSet) peek(mode string) (string, bool) {
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

// counters count requests per endpoint, for /__mock/requests: tests read
// them to assert, say, that a refused sign-in made no userinfo call.
type counters struct {
	discovery, authorize, token, refresh, jwks, userinfo, logout atomic.Int64
}

func (c *counters) snapshot() map[string]int64 {
	return map[string]int64{
		"discovery.requests": c.discovery.Load(), "authorize.requests": c.authorize.Load(),
		"token.requests": c.token.Load(), "refresh.requests": c.refresh.Load(), "jwks.requests": c.jwks.Load(),
		"userinfo.requests": c.userinfo.Load(), "logout.requests": c.logout.Load(),
	}
}

func (c *counters) reset() {
	for _, n := range []*atomic.Int64{&c.discovery, &c.authorize, &c.token, &c.refresh, &c.jwks, &c.userinfo, &c.logout} {
		n.Store(0)
	}
}

// sleep waits d or until the request ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// paramDuration and paramStatus read a mode's parameter, checked when the
// mode was parsed.
func paramDuration(p string) time.Duration {
	d, _ := time.ParseDuration(p)
	return d
}

func paramStatus(p string) int {
	n, _ := strconv.Atoi(p)
	return n
}

func randomSuffix() string {
	var b [9]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
