package replicas

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// errWaitTimeout ends a wait for another replica's result that outlived
// the bound (the lock's lifetime and a margin) without a result or a
// lock to take over: the server is too slow to coordinate.
var errWaitTimeout = errors.New("replicas: waited too long for another replica's refresh")

// ErrUnavailable is a wait for another replica's result that the server's
// failure cut short. The caller neither adopted a result nor redeemed:
// it answers "try again" and keeps the session, since the other replica
// may well have redeemed the token.
var ErrUnavailable = errors.New("replicas: the shared state became unavailable while waiting for another replica's refresh")

// acquireScript returns the key's stored result ({1, result}), or takes
// the lock ({2}), or says another replica holds it ({0}), in one atomic
// step: a result and a free lock are never both missed.
var acquireScript = redis.NewScript(`
local r = redis.call('GET', KEYS[2])
if r then return {1, r} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
`)

// releaseScript stores the leader's result (when it is to be kept),
// frees the lock and publishes the result to the replicas waiting, only
// if the lock is still this leader's: a leader that outlived its lock
// must not free, or overwrite, the lock of the replica that took over.
// The message is the key, a newline and the result.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\n' .. ARGV[2])
return 1
`)

// Refresh makes exactly one call of redeem across the replicas for key
// (the SHA-256 of a refresh token, hex) at a time, and hands every
// replica asking for it meanwhile the same result:
//
//   - Another replica's result, stored or published, is adopted.
//   - Else this replica takes the lock (SET NX, LockTTL), runs redeem,
//     stores what it returned for keep (0: not kept, only published to
//     the replicas waiting now) and publishes it.
//   - Else it waits, on pub/sub and by polling, for the leader's result,
//     and takes over once the leader's lock expires without one (the
//     leader was lost). The wait is bounded by LockTTL and a margin, and
//     by ctx.
//
// When the server is unavailable before anything was coordinated, redeem
// runs here alone (the caller's per-process single-flight still holds);
// when it fails mid-wait, the error wraps ErrUnavailable. result is
// opaque: the caller seals it (Redis must never see a token).
func (s *Store) Refresh(ctx context.Context, key string, redeem func() (result []byte, keep time.Duration)) ([]byte, error) {
	w := s.waiters.add(key)
	defer s.waiters.remove(key, w)
	owner := randomOwner()
	bound := time.NewTimer(s.lockTTL + s.lockTTL/2 + s.opTimeout)
	defer bound.Stop()
	var poll *time.Timer
	for waited := false; ; waited = true {
		res, lead, err := s.acquire(ctx, key, owner)
		switch {
		case err != nil && !waited:
			s.stats.local.Add(1)
			res, _ := redeem()
			return res, nil
		case err != nil:
			s.stats.waitFailures.Add(1)
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, describe(err))
		case res != nil:
			s.stats.adopted.Add(1)
			return res, nil
		case lead:
			if waited {
				s.stats.takeovers.Add(1)
				s.log.Warn("took over a refresh: the replica that held its lock never published a result", "lock_ttl", s.lockTTL)
			}
			return s.lead(ctx, key, owner, redeem), nil
		}
		if poll == nil {
			s.log.Debug("waiting for another replica's refresh")
			poll = time.NewTimer(s.poll)
			defer poll.Stop()
		} else {
			poll.Reset(s.poll)
		}
		select {
		case res := <-w:
			s.stats.adopted.Add(1)
			return res, nil
		case <-poll.C:
		case <-bound.C:
			s.stats.waitFailures.Add(1)
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, errWaitTimeout)
		case <-ctx.Done():
			s.stats.waitFailures.Add(1)
			return nil, fmt.Errorf("waiting for another replica's refresh: %w", ctx.Err())
		}
	}
}

// acquire runs acquireScript: the stored result, or whether this replica
// now holds the lock.
func (s *Store) acquire(ctx context.Context, key, owner string) (result []byte, lead bool, err error) {
	var v any
	err = s.op(ctx, opRefreshLock, func(ctx context.Context) error {
		var err error
		v, err = acquireScript.Run(ctx, s.rdb, []string{s.keys.refreshLock(key), s.keys.refreshResult(key)},
			owner, s.lockTTL.Milliseconds()).Result()
		return err
	})
	if err != nil {
		return nil, false, err
	}
	reply, _ := v.([]any)
	if len(reply) == 0 {
		return nil, false, s.unexpected(opRefreshLock)
	}
	switch code, _ := reply[0].(int64); code {
	case 1:
		if len(reply) == 2 {
			if r, ok := reply[1].(string); ok {
				return []byte(r), false, nil
			}
		}
	case 2:
		return nil, true, nil
	case 0:
		return nil, false, nil
	}
	return nil, false, s.unexpected(opRefreshLock)
}

// lead runs redeem as the leader and releases the lock with its result.
// However redeem ends, even by a panic, the lock is released (without a
// result after a panic), so the others need not wait for it to expire.
func (s *Store) lead(ctx context.Context, key, owner string, redeem func() ([]byte, time.Duration)) []byte {
	s.stats.led.Add(1)
	var res []byte
	var keep time.Duration
	released := false
	defer func() {
		if !released {
			s.unlock(ctx, key, owner)
		}
	}()
	res, keep = redeem()
	released = true
	if s.release(ctx, key, owner, res, keep) == errLockLost {
		s.log.Warn("a refresh outlived its lock: another replica may have redeemed the same token", "lock_ttl", s.lockTTL)
	}
	return res
}

var errLockLost = errors.New("replicas: the lock expired before the result was stored")

// release runs releaseScript. A failure is logged by op; the waiters then
// take over once the lock expires.
func (s *Store) release(ctx context.Context, key, owner string, res []byte, keep time.Duration) error {
	keep = min(keep, MaxResultTTL)
	var ok int64
	err := s.op(ctx, opRefreshResult, func(ctx context.Context) error {
		var err error
		ok, err = releaseScript.Run(ctx, s.rdb, []string{s.keys.refreshLock(key), s.keys.refreshResult(key)},
			owner, res, keep.Milliseconds(), s.keys.refreshChannel, key).Int64()
		return err
	})
	switch {
	case err != nil:
		return err
	case ok != 1:
		return errLockLost
	}
	return nil
}

// unlockScript frees the lock, if it is still this leader's, with no
// result: the waiters find it free at their next poll and one takes over.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

// unlock runs unlockScript, after redeem panicked.
func (s *Store) unlock(ctx context.Context, key, owner string) {
	s.op(ctx, opRefreshUnlock, func(ctx context.Context) error {
		return unlockScript.Run(ctx, s.rdb, []string{s.keys.refreshLock(key)}, owner).Err()
	})
}

// delivered hands a published result to this replica's waiters of key.
func (s *Store) delivered(key string, res []byte) { s.waiters.deliver(key, res) }

func randomOwner() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
