package webapp

import (
	"context"
	"time"
)

// Shared is the state serve's replicas share: internal/replicas
// implements it on Redis or Valkey, and the command line wires it in.
// Without it (no --redis-url) the refresh single-flight and the revoked
// set are this process's alone, which is all one process needs.
type Shared interface {
	// Refresh runs redeem on exactly one replica at a time for key, and
	// hands every replica asking for key meanwhile the same result: the
	// leader's, sealed by redeem (the shared store never sees a token),
	// kept for keep (0: only for the replicas waiting now). When the
	// store is unavailable before any coordination, redeem runs here; a
	// wait it cuts short is an error, after which the caller must not
	// redeem (another replica may have).
	Refresh(ctx context.Context, key string, redeem func() (result []byte, keep time.Duration)) ([]byte, error)
	// Revoke tells every replica that the session of key is revoked
	// until until. It never blocks for longer than the store's
	// operation timeout; while the store is down, the revocation is sent
	// once it is back.
	Revoke(ctx context.Context, key string, until time.Time)
	// OnRevoke sets the function that receives every revocation of the
	// other replicas, and the whole set again whenever the store
	// reconnects. The App sets it in New.
	OnRevoke(func(key string, until time.Time))
	// Claim marks key as used for ttl, once across the replicas: true
	// for the first claim. When the store is unavailable it returns
	// true, and the caller's own single-use set holds alone.
	Claim(ctx context.Context, key string, ttl time.Duration) bool
	// Health says whether the store is reachable, for /readyz.
	Health() SharedHealth
}

// SharedHealth is the shared store's state, for /readyz.
type SharedHealth struct {
	// Server names the store, without its password.
	Server string
	// Up is true while the store is reachable and current.
	Up bool
	// Since is when the current state began; zero before the first
	// connection.
	Since time.Time
	// Reason says why the store is unavailable, in fixed words.
	Reason string
}
