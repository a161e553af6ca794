package replicas

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// health is the Store's circuit: up while the subscription is live; down
// from the first failure until the subscription is back and the revoked
// set reloaded. While down, operations are not tried at all (callers fall
// back at once) except one probe per cooldown, so a hung server costs
// one timeout per cooldown, not one per request. Only the subscriber
// (Run) brings it back up, so "up" always means the revoked set is
// current.
//
// It logs a warning when an outage begins and an info when it ends: one
// line each per outage, however many operations fail in between.
type health struct {
	log      *slog.Logger
	server   string
	cooldown time.Duration
	now      func() time.Time
	// changed, when set, is told of each change, under mu.
	changed func(up bool)

	mu sync.Mutex
	// ever is true once the subscription has been up.
	ever, down bool
	since      time.Time
	reason     string
	probeAt    time.Time
	outages    atomic.Uint64
}

func (h *health) init(log *slog.Logger, server string, cooldown time.Duration, now func() time.Time, changed func(up bool)) {
	h.log, h.server, h.cooldown, h.now, h.changed = log, server, cooldown, now, changed
}

// notify tells changed of the state now; mu is held.
func (h *health) notify() {
	if h.changed != nil {
		h.changed(h.ever && !h.down)
	}
}

// allow reports whether an operation may try the server now: always while
// up, and once per cooldown while down.
func (h *health) allow() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return true
	}
	if now := h.now(); !now.Before(h.probeAt) {
		h.probeAt = now.Add(h.cooldown)
		return true
	}
	return false
}

// isDown reports whether the circuit is open.
func (h *health) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// failed opens the circuit after err, logging once per outage.
func (h *health) failed(op string, err error) {
	reason := describe(err)
	h.mu.Lock()
	was := h.down
	now := h.now()
	if !was {
		h.down, h.since, h.reason = true, now, reason
		h.notify()
	}
	h.probeAt = now.Add(h.cooldown)
	h.mu.Unlock()
	if !was {
		h.outages.Add(1)
		h.log.Warn("shared state unavailable: refresh and sign-out are per replica until it is back",
			"server", h.server, "op", op, "reason", reason)
	}
}

// up closes the circuit: the subscription is live and the revoked set
// reloaded.
func (h *health) up() {
	h.mu.Lock()
	was, ever, since := h.down, h.ever, h.since
	now := h.now()
	if was || !ever {
		h.down, h.ever, h.since, h.reason = false, true, now, ""
		h.notify()
	}
	h.mu.Unlock()
	switch {
	case was && ever:
		h.log.Info("shared state available again", "server", h.server, "down_for", now.Sub(since).Round(time.Millisecond))
	case was:
		h.log.Info("shared state available", "server", h.server, "down_for", now.Sub(since).Round(time.Millisecond))
	case !ever:
		h.log.Info("shared state connected", "server", h.server)
	}
}

func (h *health) status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Status{Server: h.server, Up: h.ever && !h.down, Since: h.since, Reason: h.reason}
}

// describe says why an operation failed, in fixed words: go-redis's
// errors are safe (they name the address, never the password), but a
// server's error text is kept to its code.
func describe(err error) string {
	var ne net.Error
	var oe *net.OpError
	var re redis.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, redis.ErrClosed):
		return "closed"
	case errors.As(err, &oe):
		return "network: " + oe.Op + " " + oe.Err.Error()
	case errors.As(err, &re):
		code, _, _ := strings.Cut(re.Error(), " ")
		return "server error " + code
	case errors.Is(err, errWaitTimeout):
		return "waited too long for another replica"
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg
}
