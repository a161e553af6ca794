package cli

import (
	"slices"
	"testing"

	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/servemetrics"
)

// TestRedisOpPerKind: each kind of failed Valkey operation has its own
// value of skctl_serve_redis_errors_total's op label, one the metric
// accepts (it drops any other), so no failure goes uncounted or merged.
func TestRedisOpPerKind(t *testing.T) {
	seen := map[servemetrics.RedisOp]replicas.Kind{}
	for _, k := range replicas.Kinds() {
		op := redisOp(k)
		if !slices.Contains(servemetrics.RedisOps(), op) {
			t.Errorf("kind %q maps to %q, which the metric does not accept", k, op)
		}
		if other, dup := seen[op]; dup {
			t.Errorf("kinds %q and %q both map to %q", other, k, op)
		}
		seen[op] = k
	}
	if len(seen) != len(servemetrics.RedisOps()) {
		t.Errorf("kinds cover %d of the metric's %d op values", len(seen), len(servemetrics.RedisOps()))
	}
}
