package replicas

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Defaults of Options.
const (
	// DefaultOpTimeout bounds each Redis operation: long enough for a
	// loaded server on the same network, short enough that a request
	// waiting on it is not noticeably slower when the server hangs.
	DefaultOpTimeout = 500 * time.Millisecond
	// DefaultLockTTL is the refresh lock's lifetime when Options gives
	// none: serve's default IdP timeout (10 s) and a margin.
	DefaultLockTTL = 12 * time.Second
	// MaxResultTTL caps how long a refresh result is kept: the tokens,
	// even sealed, stay in the server for seconds only.
	MaxResultTTL = 30 * time.Second
)

// Options configure a Store.
type Options struct {
	// URL is redis://[[user]:password@]host[:port][/db], or rediss:// for
	// TLS. Redis and Valkey alike.
	URL string
	// Namespace separates deployments that share a server: serve uses the
	// client ID. Pub/sub channels ignore the database number, so two
	// deployments on one server need different namespaces.
	Namespace string
	// OpTimeout bounds each operation; 0 means DefaultOpTimeout.
	OpTimeout time.Duration
	// LockTTL is how long a replica may redeem a refresh token before
	// another takes over: the IdP timeout and a margin. 0 means
	// DefaultLockTTL.
	LockTTL time.Duration
	// PollInterval is how often a waiting replica looks for the leader's
	// result or a lost lock, besides pub/sub; 0 means 200 ms.
	PollInterval time.Duration
	// Cooldown is how long operations stop trying after a failure until
	// the subscription is back; 0 means 5 s.
	Cooldown time.Duration
	// OnFailure, when set, is called with each failed operation's kind;
	// OnHealth with each change between up and down, true first when the
	// server is first reached. Both are for metrics: they must return at
	// once, and OnHealth is called under the Store's health lock, so
	// that two changes never arrive out of order.
	OnFailure func(Kind)
	OnHealth  func(up bool)
	Logger    *slog.Logger
	Now       func() time.Time
}

// Store is the shared state of one replica. It is safe for concurrent
// use. Run must run for the subscription (revocations from other
// replicas, leaders' results) and for recovery after an outage.
type Store struct {
	rdb       *redis.Client
	keys      keys
	display   string // the URL without its password, for logs and /readyz
	opTimeout time.Duration
	lockTTL   time.Duration
	poll      time.Duration
	log       *slog.Logger
	now       func() time.Time
	onFailure func(Kind)

	health  health
	stats   counters
	waiters waiters
	pending pendingRevocations
	// onRevoke is the caller's revoked set, fed from pub/sub and reloads.
	onRevoke atomic.Pointer[func(key string, until time.Time)]

	closeOnce sync.Once
}

// New returns a Store for opts. It does no I/O: the connection is made by
// the first operation or by Run.
func New(opts Options) (*Store, error) {
	ro, display, err := clientOptions(opts.URL)
	if err != nil {
		return nil, err
	}
	s := &Store{keys: newKeys(opts.Namespace), display: display, opTimeout: opts.OpTimeout, lockTTL: opts.LockTTL,
		poll: opts.PollInterval, log: opts.Logger, now: opts.Now, onFailure: opts.OnFailure}
	if s.opTimeout <= 0 {
		s.opTimeout = DefaultOpTimeout
	}
	if s.lockTTL <= 0 {
		s.lockTTL = DefaultLockTTL
	}
	if s.poll <= 0 {
		s.poll = 200 * time.Millisecond
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	cooldown := opts.Cooldown
	if cooldown <= 0 {
		cooldown = 5 * time.Second
	}
	// Each operation is bounded by its own context (OpTimeout); the
	// socket timeouts and a single dial attempt make sure nothing in the
	// client waits longer, and no retry doubles the wait.
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout, ro.PoolTimeout = s.opTimeout, s.opTimeout, s.opTimeout, s.opTimeout
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = -1
	ro.DialerRetries = 1
	// RESP2 and no client-side extras: every Redis since 2.6 and every
	// Valkey understand the handshake, and nothing is sent the server
	// might refuse.
	ro.Protocol = 2
	ro.DisableIdentity = true
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s.rdb = redis.NewClient(ro)
	s.health.init(s.log, s.display, cooldown, s.now, opts.OnHealth)
	s.waiters.init()
	s.pending.init()
	return s, nil
}

// clientOptions parses a redis:// or rediss:// URL. Its errors never
// quote the URL, which may hold a password.
func clientOptions(raw string) (*redis.Options, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, "", errors.New("replicas: the URL must be redis://HOST:PORT or rediss://HOST:PORT")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, "", errors.New("replicas: the URL must have no query or fragment: the timeouts are serve's own")
	}
	ro, err := redis.ParseURL(raw)
	if err != nil {
		return nil, "", fmt.Errorf("replicas: the URL %s does not parse: use redis://[:PASSWORD@]HOST:PORT[/DB]", redact(raw))
	}
	if ro.TLSConfig != nil {
		ro.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return ro, redact(raw), nil
}

// redact returns a Redis URL without its password, for logs and pages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// Close closes the connections. Operations after it fail (and fall
// back), as they do while the server is down.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.rdb.Close() })
	return err
}

// OnRevoke sets f to receive every revocation: those other replicas
// publish, and the whole set again at each (re)connection. Set it before
// Run; a Store without it only sends revocations.
func (s *Store) OnRevoke(f func(key string, until time.Time)) { s.onRevoke.Store(&f) }

// Status is the Store's health, for /readyz and the logs.
type Status struct {
	// Server is the URL without its password.
	Server string
	// Up is true while the subscription is live and operations are
	// tried; false before the first connection and during an outage.
	Up bool
	// Since is when the current state began (zero before the first
	// connection).
	Since time.Time
	// Reason says why the server is unavailable, in fixed words.
	Reason string
}

// Status returns the Store's health now.
func (s *Store) Status() Status { return s.health.status() }
