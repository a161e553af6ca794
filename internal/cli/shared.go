package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/skctl/skctl/internal/webapp"
)

// sharedState is a replicas.Store as the web app sees it.
type sharedState struct{ *replicas.Store }

func (s sharedState) Health() webapp.SharedHealth {
	st := s.Status()
	return webapp.SharedHealth{Server: st.Server, Up: st.Up, Since: st.Since, Reason: st.Reason}
}

// lockMargin is added to the IdP timeout for the refresh lock's life: a
// leader's redemption is bounded by the IdP timeout, so only a replica
// that died (or froze) holds the lock past it.
const lockMargin = 2 * time.Second

// newShared returns the state shared with the other replicas, or nil
// without SKCTL_REDIS_URL. It does no I/O: the caller runs it. The
// namespace is the client ID, so deployments of several apps can share
// one server.
func newShared(d *Deps, log *slog.Logger, cfg *config.Config, idpTimeout time.Duration, metrics *servemetrics.Metrics) (*sharedState, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	// go-redis logs to the process's standard error through a
	// process-wide logger; the Store reports what matters itself (a
	// warning per outage, not a line per failed dial), so that logger
	// goes quiet. It is the same value for every Store of the process.
	redis.SetLogger(quietRedisLog{})
	s, err := replicas.New(replicas.Options{
		URL: cfg.RedisURL.Reveal(), Namespace: cfg.ClientID, LockTTL: idpTimeout + lockMargin,
		Logger: log.With("component", "shared-state"), Now: d.Now,
		OnFailure: func(k replicas.Kind) { metrics.RedisError(redisOp(k)) },
		OnHealth:  metrics.RedisUp,
	})
	if err != nil {
		return nil, err
	}
	// Down until the first connection: a replica that never reaches
	// Valkey must read as down, not as absent.
	metrics.RedisUp(false)
	return &sharedState{s}, nil
}

// redisOp is the metrics' label for what a failed operation was for.
func redisOp(k replicas.Kind) servemetrics.RedisOp {
	switch k {
	case replicas.KindRefresh:
		return servemetrics.RedisRefresh
	case replicas.KindRevoke:
		return servemetrics.RedisRevoke
	case replicas.KindClaim:
		return servemetrics.RedisCallback
	}
	return servemetrics.RedisRevokedSync
}

// quietRedisLog drops go-redis's own log lines.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}
