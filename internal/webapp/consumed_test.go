package webapp

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestCallbackReplayOutcomes: a callback replayed with the transaction
// cookie never redeems the code again. Within callbackShareTTL it gets
// the first callback's session; later a signed-in browser goes where it
// was going, and any other replay is refused (B3).
func TestCallbackReplayOutcomes(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	logs := &logBuffer{}
	a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Now: clock, Logger: logs.logger()})

	j := &recorderJar{}
	rec := j.get(a, "/api/auth/login?return_to=/dashboard")
	loc, _ := url.Parse(rec.Header().Get("Location"))
	state, nonce := loc.Query().Get("state"), loc.Query().Get("nonce")
	f.setToken(func(url.Values) (int, any) {
		id, at := f.goodClaims(nonce, clock())
		access := f.sign(at, jose.RS256, f.kid)
		id["at_hash"] = atHash(access)
		return 200, map[string]any{"token_type": "Bearer", "expires_in": 300, "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid), "refresh_token": "rt-1"}
	})
	// What the browser holds before the callback: the transaction cookie.
	withTx := maps.Clone(j.cookies)
	callback := "/api/auth/callback?code=c&state=" + url.QueryEscape(state)
	replay := func(cookies map[string]*http.Cookie) (*recorderJar, int, string) {
		t.Helper()
		r := &recorderJar{cookies: maps.Clone(cookies)}
		rec := r.get(a, callback)
		return r, rec.Code, rec.Header().Get("Location")
	}

	if rec := j.get(a, callback); rec.Code != http.StatusFound || rec.Header().Get("Location") != "/dashboard" {
		t.Fatalf("first callback: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// A browser signed in by the first callback that still sends the
	// transaction cookie with the replay.
	signedIn := maps.Clone(j.cookies)
	for name, c := range withTx {
		if strings.HasPrefix(name, "skctl_tx_") {
			signedIn[name] = c
		}
	}

	logged := func(rec string, outcome string) {
		t.Helper()
		if line := logs.find("msg", "callback replayed", "outcome", outcome); line == nil {
			t.Errorf("%s: no %q replay in the log", rec, outcome)
		}
	}

	// A browser that dropped the first answer: the same session.
	r, code, where := replay(withTx)
	if code != http.StatusFound || where != "/dashboard" || r.cookies["skctl_session"] == nil {
		t.Errorf("replay within %v: %d %q, session %v", callbackShareTTL, code, where, r.cookies["skctl_session"] != nil)
	}
	logged("replay at once", "the session of its first use")
	// The same transaction with another code is no replay of that sign-in:
	// it gets no session.
	other := &recorderJar{cookies: maps.Clone(withTx)}
	if rec := other.get(a, "/api/auth/callback?code=WRONG&state="+url.QueryEscape(state)); rec.Code != http.StatusBadRequest || other.cookies["skctl_session"] != nil {
		t.Errorf("a replay with another code: %d, session %v; want a refusal", rec.Code, other.cookies["skctl_session"] != nil)
	}

	advance(callbackShareTTL + time.Second)
	// The tokens are gone from memory; a signed-in browser goes on.
	if _, code, where := replay(signedIn); code != http.StatusFound || where != "/dashboard" {
		t.Errorf("signed-in replay after %v: %d %q", callbackShareTTL, code, where)
	}
	logged("signed-in replay later", "already signed in")
	// One that is not signed in is refused, and says why.
	r, code, _ = replay(withTx)
	if code != http.StatusBadRequest || r.cookies["skctl_session"] != nil {
		t.Errorf("replay without a session after %v: %d, session %v", callbackShareTTL, code, r.cookies["skctl_session"] != nil)
	}
	if line := logs.find("msg", "request failed", "reason", "transaction already used"); line == nil {
		t.Errorf("the refused replay logged no reason")
	}
	if n := f.calls_("token authorization_code"); n != 1 {
		t.Errorf("%d code redemptions, want 1", n)
	}
}

// TestConsumedTxOnce: concurrent callers of one transaction run finish
// once and all get its outcome; a panic in finish still releases them;
// the set stays within maxConsumedTx.
func TestConsumedTxOnce(t *testing.T) {
	var c consumedTx
	c.init()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	release := make(chan struct{})
	var replays sync.WaitGroup
	var cmu sync.Mutex
	calls, replayed := 0, 0
	for range 20 {
		replays.Add(1)
		go func() {
			defer replays.Done()
			res, replay := c.once(t.Context(), "s1", clock, 10*time.Minute, func() *callbackResult {
				cmu.Lock()
				calls++
				cmu.Unlock()
				<-release
				return &callbackResult{signedIn: true, tokens: &tokens{Access: "a"}}
			})
			cmu.Lock()
			if replay {
				replayed++
			}
			cmu.Unlock()
			if res == nil || !res.signedIn {
				t.Errorf("a caller got %+v", res)
			}
		}()
	}
	close(release)
	replays.Wait()
	if calls != 1 || replayed != 19 {
		t.Errorf("finish ran %d times, %d replays; want 1 and 19", calls, replayed)
	}

	// A panicking finish: the caller re-panics, a replay gets a refusal.
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("the panic was swallowed")
			}
		}()
		c.once(t.Context(), "s2", clock, time.Minute, func() *callbackResult { panic("boom") })
	}()
	res, replay := c.once(t.Context(), "s2", clock, time.Minute, func() *callbackResult {
		t.Errorf("finish ran twice")
		return nil
	})
	if !replay || res == nil || res.signedIn || res.fail.status != http.StatusBadRequest {
		t.Errorf("after a panic: %+v replay=%v", res, replay)
	}

	// A replay whose request ends while it waits gives up.
	blocked := make(chan struct{})
	started := make(chan struct{})
	go c.once(context.Background(), "s3", clock, time.Minute, func() *callbackResult {
		close(started)
		<-blocked
		return &callbackResult{}
	})
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if res, replay := c.once(ctx, "s3", clock, time.Minute, nil); res != nil || !replay {
		t.Errorf("a replay whose request ended: %+v %v", res, replay)
	}
	close(blocked)

	// Full: settled entries go, oldest first; the newest stay.
	for i := range maxConsumedTx + 100 {
		advance(time.Millisecond)
		c.once(t.Context(), fmt.Sprint("fill-", i), clock, 10*time.Minute, func() *callbackResult { return &callbackResult{} })
	}
	c.mu.Lock()
	n := len(c.m)
	c.mu.Unlock()
	if n > maxConsumedTx {
		t.Errorf("%d entries, want at most %d", n, maxConsumedTx)
	}
	if _, replay := c.once(t.Context(), fmt.Sprint("fill-", maxConsumedTx+99), clock, 10*time.Minute, func() *callbackResult { return &callbackResult{} }); !replay {
		t.Errorf("the newest entry was evicted")
	}
	// Expired entries go at the next sweep.
	advance(11 * time.Minute)
	c.once(t.Context(), "late", clock, 10*time.Minute, func() *callbackResult { return &callbackResult{} })
	c.mu.Lock()
	n = len(c.m)
	c.mu.Unlock()
	if n != 1 {
		t.Errorf("%d entries after every other one expired, want 1", n)
	}
}
