package replicas_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/replicas/redistest"
)

// TestRevocationReachesOtherReplicas: a revocation on one replica reaches
// the others by pub/sub within a second, with its expiry; a replica that
// starts later gets it from the reload; another namespace never sees it.
func TestRevocationReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startReplica(t, srv, "rev", replicas.Options{})
	b := startReplica(t, srv, "rev", replicas.Options{})
	other := startReplica(t, srv, "another-app", replicas.Options{})
	until := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Millisecond)

	a.Revoke(context.Background(), "session-hash", until)
	if got := b.rev.wait(t, "session-hash", time.Second); !got.Equal(until) {
		t.Errorf("received until %v, want %v", got, until)
	}
	if st := a.Stats(); st.RevocationsSent != 1 {
		t.Errorf("sender: %+v, want one revocation sent", st)
	}

	late := startReplica(t, srv, "rev", replicas.Options{})
	late.rev.wait(t, "session-hash", hang)
	if st := late.Stats(); st.Reloads != 1 {
		t.Errorf("late replica: %+v, want one reload", st)
	}
	// A message for another app passed by: another's arrives after it.
	other.Revoke(context.Background(), "its-own", until)
	other.rev.wait(t, "its-own", hang)
	b.Revoke(context.Background(), "second", until)
	a.rev.wait(t, "second", hang)
	other.rev.mu.Lock()
	_, leaked := other.rev.m["session-hash"]
	other.rev.mu.Unlock()
	if leaked {
		t.Errorf("another namespace received the revocation")
	}
}

// TestRevocationReloadOnReconnect: what was stored while a replica's
// subscription was down (here, a revocation added without its message)
// reaches it when it resubscribes.
func TestRevocationReloadOnReconnect(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startReplica(t, srv, "reload", replicas.Options{})
	raw := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(srv.Port), Protocol: 2})
	defer raw.Close()
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	// Missed by pub/sub: stored, never published.
	if err := raw.ZAdd(ctx, "skctl:reload:revoked", redis.Z{Score: float64(until.UnixMilli()), Member: "missed"}).Err(); err != nil {
		t.Fatal(err)
	}
	// An expired one, which the reload leaves out.
	raw.ZAdd(ctx, "skctl:reload:revoked", redis.Z{Score: float64(time.Now().Add(-time.Minute).UnixMilli()), Member: "expired"})
	if err := raw.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	a.log.waitCount(t, "DEBUG revoked set reloaded", 2)
	a.rev.wait(t, "missed", hang)
	a.rev.mu.Lock()
	_, expired := a.rev.m["expired"]
	a.rev.mu.Unlock()
	if expired {
		t.Errorf("the reload handed over an expired revocation")
	}
	if st := a.Stats(); st.Reloads < 2 {
		t.Errorf("%+v: want a second reload", st)
	}
}
