package replicas_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/replicas/redistest"
)

// hang bounds every wait on a happy path: generous, for a loaded machine.
const hang = 20 * time.Second

// logBook records a Store's log records and lets a test wait for one.
type logBook struct {
	mu      sync.Mutex
	records []string // "LEVEL msg"
	changed chan struct{}
}

func newLogBook() *logBook { return &logBook{changed: make(chan struct{})} }

func (b *logBook) Enabled(context.Context, slog.Level) bool { return true }
func (b *logBook) WithAttrs([]slog.Attr) slog.Handler       { return b }
func (b *logBook) WithGroup(string) slog.Handler            { return b }
func (b *logBook) Handle(_ context.Context, r slog.Record) error {
	b.mu.Lock()
	b.records = append(b.records, r.Level.String()+" "+r.Message)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
	return nil
}

// count returns how many records start with prefix ("WARN shared state").
func (b *logBook) count(prefix string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, r := range b.records {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// waitCount waits until at least n records start with prefix.
func (b *logBook) waitCount(t *testing.T, prefix string, n int) {
	t.Helper()
	deadline := time.After(hang)
	for {
		b.mu.Lock()
		changed := b.changed
		b.mu.Unlock()
		if b.count(prefix) >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			b.mu.Lock()
			defer b.mu.Unlock()
			t.Fatalf("no %d× %q in %v; log:\n%s", n, prefix, hang, strings.Join(b.records, "\n"))
		}
	}
}

// replica is one Store running, as one serve replica's.
type replica struct {
	*replicas.Store
	log *logBook
	rev *revocations // what OnRevoke handed it
}

// startReplica runs a Store on srv under namespace ns until the test
// ends, and waits until it is connected.
func startReplica(t *testing.T, srv *redistest.Server, ns string, opts replicas.Options) *replica {
	t.Helper()
	r := &replica{log: newLogBook()}
	opts.URL, opts.Namespace, opts.Logger = srv.URL, ns, slog.New(r.log)
	s, err := replicas.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.Store = s
	r.rev = watchRevocations(s) // before Run: the first reload must reach it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	r.log.waitCount(t, "INFO shared state connected", 1)
	return r
}

// revocations collects what OnRevoke hands a Store.
type revocations struct {
	mu   sync.Mutex
	m    map[string]time.Time
	seen chan string
}

func watchRevocations(s *replicas.Store) *revocations {
	r := &revocations{m: map[string]time.Time{}, seen: make(chan string, 100)}
	s.OnRevoke(func(key string, until time.Time) {
		r.mu.Lock()
		r.m[key] = until
		r.mu.Unlock()
		r.seen <- key
	})
	return r
}

// wait waits until key has been handed over, and returns its until.
func (r *revocations) wait(t *testing.T, key string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		until, ok := r.m[key]
		r.mu.Unlock()
		if ok {
			return until
		}
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("revocation %s not received within %v", key, within)
		}
	}
}
