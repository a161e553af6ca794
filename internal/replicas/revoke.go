package replicas

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// revokeScript adds a revocation to the sorted set (scored by when it may
// go), drops those past, keeps the set itself no longer than its last
// member, and publishes the revocation as "key until-ms".
var revokeScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or tonumber(ARGV[3]) + ttl < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[4], ARGV[1] .. ' ' .. ARGV[2])
return 1
`)

// Revoke stores that the session of key (a hash, hex) is revoked until
// until, and tells every replica. The caller has already put it in its
// own revoked set. While the server is unavailable the revocation is
// kept here and sent once the subscription is back, so the other
// replicas learn of it then.
func (s *Store) Revoke(ctx context.Context, key string, until time.Time) {
	if err := s.revoke(ctx, key, until, s.op); err != nil {
		s.pending.add(key, until)
	}
}

// revoke runs revokeScript through run (op, or try for the subscriber).
func (s *Store) revoke(ctx context.Context, key string, until time.Time, run func(context.Context, opName, func(context.Context) error) error) error {
	err := run(ctx, opRevoke, func(ctx context.Context) error {
		return revokeScript.Run(ctx, s.rdb, []string{s.keys.revoked}, key, until.UnixMilli(), s.now().UnixMilli(), s.keys.revokedChannel).Err()
	})
	if err == nil {
		s.stats.revocationsSent.Add(1)
	}
	return err
}

// revoked hands a revocation to the caller's set.
func (s *Store) revoked(key string, until time.Time) {
	if f := s.onRevoke.Load(); f != nil {
		s.stats.revocationsReceived.Add(1)
		(*f)(key, until)
	}
}

// parseRevocation reads a revocation message, "key until-ms".
func parseRevocation(msg string) (string, time.Time, bool) {
	key, ms, ok := strings.Cut(msg, " ")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || key == "" {
		return "", time.Time{}, false
	}
	return key, time.UnixMilli(n), true
}

// reloadPage is how many revocations one reload operation reads.
const reloadPage = 1000

// resync sends the revocations made during an outage, then reads the
// whole revoked set into the caller's: whatever was published while this
// replica was not subscribed is in the set. Each page is one operation
// with its own timeout.
func (s *Store) resync(ctx context.Context) error {
	pending := s.pending.take()
	sent := len(pending)
	for key, until := range pending {
		if err := s.revoke(ctx, key, until, s.try); err != nil {
			for key, until := range pending {
				s.pending.add(key, until)
			}
			return err
		}
		delete(pending, key)
	}
	min := strconv.FormatInt(s.now().UnixMilli(), 10)
	n := 0
	for offset := int64(0); ; offset += reloadPage {
		var page []redis.Z
		err := s.try(ctx, opReload, func(ctx context.Context) error {
			var err error
			page, err = s.rdb.ZRangeByScoreWithScores(ctx, s.keys.revoked, &redis.ZRangeBy{Min: min, Max: "+inf", Offset: offset, Count: reloadPage}).Result()
			return err
		})
		if err != nil {
			return err
		}
		for _, z := range page {
			if key, ok := z.Member.(string); ok {
				s.revoked(key, time.UnixMilli(int64(z.Score)))
				n++
			}
		}
		if len(page) < reloadPage {
			s.stats.reloads.Add(1)
			s.log.Debug("revoked set reloaded", "revocations", n, "sent_from_outage", sent)
			return nil
		}
	}
}

// maxPending bounds the revocations kept during an outage; past it the
// oldest to expire go first. Each is a sign-out, so reaching it takes
// many users signing out while the server is down.
const maxPending = 100000

// pendingRevocations are the revocations not yet stored because the
// server was unavailable.
type pendingRevocations struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (p *pendingRevocations) init() { p.m = map[string]time.Time{} }

func (p *pendingRevocations) add(key string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= maxPending {
		var first string
		for k, u := range p.m {
			if first == "" || u.Before(p.m[first]) {
				first = k
			}
		}
		delete(p.m, first)
	}
	if u, ok := p.m[key]; !ok || until.After(u) {
		p.m[key] = until
	}
}

// take empties the set and returns what it held.
func (p *pendingRevocations) take() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.m
	p.m = map[string]time.Time{}
	return m
}
