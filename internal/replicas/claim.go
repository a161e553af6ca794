package replicas

import (
	"context"
	"time"
)

// Claim marks key (a hash, hex) as used for ttl, once across the
// replicas: true for the first claim, false when a replica claimed it
// before. serve claims each sign-in transaction before it redeems the
// code, so a callback sent twice, to two replicas, redeems it once. When
// the server is unavailable Claim returns true: the caller's own
// single-use set still holds within this process.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) bool {
	var first bool
	err := s.op(ctx, opClaim, func(ctx context.Context) error {
		var err error
		first, err = s.rdb.SetNX(ctx, s.keys.claim(key), "1", ttl).Result()
		return err
	})
	return err != nil || first
}
