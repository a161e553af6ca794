package passwordless

import (
	"sync"
	"time"
)

// Scalekit sends an address at most two passwordless emails a minute,
// sends and resends together.
const (
	EmailsPerWindow = 2
	Window          = time.Minute
	// maxAddresses bounds the addresses remembered within a window: a
	// client emailing ever new addresses is refused past it rather than
	// growing the mock without end.
	maxAddresses = 20000
)

// Limiter counts the emails sent to each address in the last minute. One
// environment has one, shared by every door that sends (the management
// API and the hosted sign-in page), as an address has one inbox.
type Limiter struct {
	mu    sync.Mutex
	swept time.Time
	sent  map[string][]time.Time // address → send times within the window, oldest first
}

// NewLimiter returns an empty limiter.
func NewLimiter() *Limiter { return &Limiter{sent: map[string][]time.Time{}} }

// take counts an email to email at now if the address is under its limit;
// otherwise it reports how long until the next one is allowed.
func (l *Limiter) take(email string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	recent := l.sent[email][:0]
	for _, t := range l.sent[email] {
		if d := now.Sub(t); d >= 0 && d < Window {
			recent = append(recent, t)
		}
	}
	if len(recent) >= EmailsPerWindow {
		l.sent[email] = recent
		return recent[0].Add(Window).Sub(now), false
	}
	if _, known := l.sent[email]; !known && len(l.sent) >= maxAddresses {
		return Window, false
	}
	l.sent[email] = append(recent, now)
	return 0, true
}

// sweep forgets the addresses that were sent nothing within the window,
// at most once a second. The caller holds mu.
func (l *Limiter) sweep(now time.Time) {
	if !due(l.swept, now) {
		return
	}
	l.swept = now
	for email, ts := range l.sent {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= Window {
			delete(l.sent, email)
		}
	}
}

// due reports whether a second has passed since the last sweep (or the
// clock went back, or none was made).
func due(last, now time.Time) bool {
	d := now.Sub(last)
	return last.IsZero() || d < 0 || d >= time.Second
}
