package webapp

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// callbackShareTTL is how long a finished callback's tokens are kept for
// a replay of it: long enough for a browser that dropped the first answer
// (a double click, a navigation started twice) to come back, short enough
// that tokens do not linger in memory, as refreshResultTTL does for E5.
const callbackShareTTL = time.Minute

// maxConsumedTx bounds the single-use set. Past it, settled entries go,
// oldest first: an entry matters most while its code could still be
// redeemed twice, which is seconds, not the transaction's ten minutes.
const maxConsumedTx = 10000

// consumedTx is the set of transactions whose callback has run, keyed by
// SHA-256 of the transaction's state (256 random bits, so its ID). The
// transaction cookie is cleared by the first callback (B3), but a browser
// that sends the redirect back twice before it reads the first answer
// carries the cookie both times: without this set each would redeem the
// code, and Scalekit-style code-reuse revocation then revokes the tokens
// the first redemption got. The set is per process, like the refresh
// single-flight (E5); with replicas, claimTransaction extends it to all
// of them.
type consumedTx struct {
	mu        sync.Mutex
	m         map[[32]byte]*consumedEntry
	lastSweep time.Time
}

// consumedEntry is one transaction's callback: in flight until done
// closes, then its outcome.
type consumedEntry struct {
	done chan struct{}
	res  *callbackResult
	// settled is when done closed; expires is when the entry may go: the
	// transaction cookie can no longer be accepted by then.
	settled, expires time.Time
}

// callbackResult is what a callback came to: a session, or the failure
// it showed.
type callbackResult struct {
	signedIn bool
	tokens   *tokens // nil on failure, and once callbackShareTTL has passed
	user     *User
	due      time.Time // when the access token is due for refresh
	fail     failure
	reason   string
	// code is the SHA-256 of the code the first callback redeemed: a
	// replay shares the session only when it carries the same code.
	code [32]byte
	// elsewhere is a callback whose transaction another replica claimed
	// first: this one redeemed nothing.
	elsewhere bool
}

// shared returns the result a replay may use at now: the tokens only
// within callbackShareTTL of the first callback's end.
func (e *consumedEntry) shared(now time.Time) *callbackResult {
	if e.res.tokens == nil || now.Sub(e.settled) <= callbackShareTTL {
		return e.res
	}
	r := *e.res
	r.tokens = nil
	return &r
}

func (c *consumedTx) init() { c.m = map[[32]byte]*consumedEntry{} }

// once runs finish for the transaction of state exactly once, however
// many callbacks carry it, at once or later: checked and set under one
// lock, before any code is redeemed. It returns the outcome and whether
// it was another request's (a replay). A replay waits for the first
// callback to finish, or gives up when its own request ends (nil). ttl is
// how long a replay could still carry the transaction cookie. With
// replicas, finish first claims the transaction in the shared store
// (claimTransaction), so that a replay sent to another replica does not
// redeem the code either.
func (c *consumedTx) once(ctx context.Context, state string, now func() time.Time, ttl time.Duration, finish func() *callbackResult) (res *callbackResult, replay bool) {
	key := sha256.Sum256([]byte(state))
	c.mu.Lock()
	if e, ok := c.m[key]; ok {
		c.mu.Unlock()
		select {
		case <-e.done:
			c.mu.Lock()
			defer c.mu.Unlock()
			return e.shared(now()), true
		case <-ctx.Done():
			return nil, true
		}
	}
	c.sweep(now())
	e := &consumedEntry{done: make(chan struct{}), expires: now().Add(ttl)}
	c.m[key] = e
	c.mu.Unlock()

	// However finish ends, even by a panic, the replays waiting on it are
	// released with an outcome: a stuck entry would hang them.
	defer func() {
		v := recover()
		c.mu.Lock()
		if v != nil || res == nil {
			res = &callbackResult{fail: errSignInReject, reason: "callback failed"}
		}
		e.res, e.settled = res, now()
		c.mu.Unlock()
		close(e.done)
		if v != nil {
			panic(v) // recoverPanics answers it
		}
	}()
	return finish(), false
}

// sweep drops expired entries and the tokens kept past callbackShareTTL,
// at most twice per callbackShareTTL (a full pass costs one step per
// entry); when the set is full, the oldest settled entries go. Entries in
// flight stay: their number is bounded by the requests being served.
// Called with c.mu held.
func (c *consumedTx) sweep(now time.Time) {
	if len(c.m) < maxConsumedTx && now.Sub(c.lastSweep) < callbackShareTTL/2 {
		return
	}
	c.lastSweep = now
	var settled [][32]byte
	for k, e := range c.m {
		switch {
		case e.settled.IsZero():
		case !now.Before(e.expires):
			delete(c.m, k)
		default:
			if e.res.tokens != nil && now.Sub(e.settled) > callbackShareTTL {
				e.res = e.shared(now)
			}
			settled = append(settled, k)
		}
	}
	if len(c.m) < maxConsumedTx {
		return
	}
	// Down to nine tenths, so that a flood sorts once per thousand
	// sign-ins, not on each.
	slices.SortFunc(settled, func(a, b [32]byte) int { return c.m[a].settled.Compare(c.m[b].settled) })
	for _, k := range settled[:min(len(settled), len(c.m)-maxConsumedTx*9/10)] {
		delete(c.m, k)
	}
}
