package replicas

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Intervals of the subscriber.
const (
	// receiveEvery is how long one receive waits: the subscriber looks at
	// the circuit at least this often.
	receiveEvery = time.Second
	// pingIdle pings an idle subscription after this many quiet receives,
	// so a server that hangs without closing the connection is noticed.
	pingIdle = 5
	// maxBackoff is the longest pause between two connection attempts
	// during an outage: recovery takes at most about this long once the
	// server is back.
	maxBackoff = time.Second
)

// Run keeps the subscription to the refresh and revocation channels until
// ctx ends, then closes the Store. Each time it (re)subscribes it sends
// the revocations kept during an outage, reloads the revoked set and
// closes the circuit; when the subscription breaks it opens it and tries
// again, at most maxBackoff apart.
func (s *Store) Run(ctx context.Context) {
	defer s.Close()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		wasUp, err := s.subscription(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.fail(opSubscribe, err)
		}
		if wasUp {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// subscription is one subscription's life: subscribe, resync, then
// receive until the connection breaks or ctx ends. wasUp says whether it
// got as far as closing the circuit.
func (s *Store) subscription(ctx context.Context) (wasUp bool, err error) {
	ps := s.rdb.Subscribe(ctx)
	defer ps.Close()
	// Closing the connection ends a receive at once when ctx ends.
	defer context.AfterFunc(ctx, func() { ps.Close() })()

	subCtx, cancel := context.WithTimeout(ctx, s.opTimeout)
	err = ps.Subscribe(subCtx, s.keys.refreshChannel, s.keys.revokedChannel)
	cancel()
	if err != nil {
		return false, err
	}
	for range 2 {
		m, err := ps.ReceiveTimeout(ctx, s.opTimeout)
		if err != nil {
			return false, err
		}
		if _, ok := m.(*redis.Subscription); !ok {
			return false, errors.New("replicas: unexpected reply to subscribe")
		}
	}
	// Subscribed first, then reloaded: a revocation published in between
	// arrives twice, never not at all.
	if err := s.resync(ctx); err != nil {
		return false, nil // resync's operation has opened the circuit
	}
	s.health.up()

	idle, pinged := 0, false
	var lastProbe time.Time
	for {
		m, err := ps.ReceiveTimeout(ctx, receiveEvery)
		switch {
		case err != nil && ctx.Err() != nil:
			return true, nil
		case err != nil && isTimeout(err):
			if pinged {
				return true, errors.New("replicas: the server did not answer a ping")
			}
			idle++
		case err != nil:
			return true, err
		default:
			idle, pinged = 0, false
			switch m := m.(type) {
			case *redis.Message:
				s.dispatch(m)
			case *redis.Pong:
				// The subscription answers; an operation failed meanwhile
				// (a slow moment): check the server and close the circuit.
				if s.health.isDown() && s.now().Sub(lastProbe) >= receiveEvery {
					lastProbe = s.now()
					if s.resync(ctx) == nil {
						s.health.up()
					}
				}
			}
		}
		if !pinged && (idle >= pingIdle || (s.health.isDown() && s.now().Sub(lastProbe) >= receiveEvery)) {
			pingCtx, cancel := context.WithTimeout(ctx, s.opTimeout)
			err := ps.Ping(pingCtx)
			cancel()
			if err != nil {
				return true, err
			}
			pinged, idle = true, 0
		}
	}
}

// dispatch handles one published message.
func (s *Store) dispatch(m *redis.Message) {
	switch m.Channel {
	case s.keys.refreshChannel:
		key, res, ok := strings.Cut(m.Payload, "\n")
		if ok && res != "" {
			s.delivered(key, []byte(res))
		}
	case s.keys.revokedChannel:
		if key, until, ok := parseRevocation(m.Payload); ok {
			s.log.Debug("revocation received", "server", s.display)
			s.revoked(key, until)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
