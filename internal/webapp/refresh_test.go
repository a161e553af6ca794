package webapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/oidcx"
)

// TestRefreshKeysDownKeepsRotatedTokens: the IdP rotates the refresh
// token and signs with a new key while its keys cannot be fetched. The
// user sees a 503, the new tokens are stored anyway (the old refresh token
// is spent), and once the keys are back the session works without another
// refresh (E4, E5).
func TestRefreshKeysDownKeepsRotatedTokens(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	j := signInWith(t, f, a, now, f.key, f.kid, nil)
	before := j.cookies["skctl_session"].Value

	newKid := "snk_30000000000000003"
	f.setToken(func(form url.Values) (int, any) {
		id, at := f.goodClaims("", now)
		delete(id, "nonce")
		access := f.sign(at, jose.RS256, newKid)
		id["at_hash"] = atHash(access)
		return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, newKid), "refresh_token": "rt-rotated"}
	})
	f.mu.Lock()
	f.keysDown = true
	f.mu.Unlock()
	now = now.Add(6 * time.Minute)
	rec := j.get(a, "/dashboard")
	if rec.Code != http.StatusServiceUnavailable || j.cookies["skctl_session"] == nil || j.cookies["skctl_session"].Value == before {
		t.Fatalf("keys down during refresh: %d, cookie kept and rewritten = %v", rec.Code, j.cookies["skctl_session"] != nil && j.cookies["skctl_session"].Value != before)
	}
	f.mu.Lock()
	f.keysDown = false
	f.published = []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: newKid, Algorithm: "RS256", Use: "sig"}}
	f.mu.Unlock()
	// The first request after the outage fetches the keys afresh
	// (oidcx.KeySet never hands it the failed fetch's result).
	if rec := j.get(a, "/dashboard"); rec.Code != 200 {
		t.Errorf("keys back: %d %.300s", rec.Code, rec.Body.String())
	}
	if n := f.calls_("token refresh_token"); n != 1 {
		t.Errorf("%d refresh calls, want 1: the spent refresh token was redeemed again", n)
	}
}

// TestRefreshWithoutRotation: an IdP that answers a refresh without a new
// refresh token leaves the old one valid (E3). Two expiries within a
// minute each refresh: the second must not be handed the first refresh's
// result, whose access token has expired by then (skctl conformance's
// refresh drill with refresh.no_new_refresh_token found this).
func TestRefreshWithoutRotation(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	j := signInWith(t, f, a, now, f.key, f.kid, nil)
	f.setToken(func(form url.Values) (int, any) {
		id, at := f.goodClaims("", now)
		delete(id, "nonce")
		at["exp"] = now.Add(10 * time.Second).Unix() // due for refresh at once
		access := f.sign(at, jose.RS256, f.kid)
		id["at_hash"] = atHash(access)
		return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid)}
	})
	for i, step := range []time.Duration{6 * time.Minute, 20 * time.Second} {
		now = now.Add(step)
		if rec := j.get(a, "/dashboard"); rec.Code != http.StatusOK {
			t.Fatalf("expiry %d: %d %.300s, want the session renewed", i+1, rec.Code, rec.Body.String())
		}
		if n := f.calls_("token refresh_token"); n != i+1 {
			t.Errorf("expiry %d: %d refresh calls, want %d", i+1, n, i+1)
		}
	}
}

// TestRefreshRefused: a refusal other than invalid_grant keeps the
// session, says so, and is not retried at once (E4).
func TestRefreshRefused(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	j := signInWith(t, f, a, now, f.key, f.kid, nil)
	f.setToken(func(url.Values) (int, any) { return 400, map[string]any{"error": "invalid_request"} })
	now = now.Add(6 * time.Minute)
	for range 2 {
		rec := j.get(a, "/dashboard")
		if rec.Code != http.StatusBadGateway || j.cookies["skctl_session"] == nil {
			t.Errorf("refused refresh: %d, session kept = %v", rec.Code, j.cookies["skctl_session"] != nil)
		}
	}
	if n := f.calls_("token refresh_token"); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
}

// TestRefresherPanics: a panic in a refresh gives the leader and its
// waiters a transient failure (never a nil result without an error),
// releases the waiters and lets the next request try again.
func TestRefresherPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rf refresher
		rf.init(nil)
		release := make(chan struct{})
		type outcome struct {
			res *tokens
			err error
		}
		leader, waiter := make(chan outcome, 1), make(chan outcome, 1)
		go func() {
			res, err := rf.do(context.Background(), "rt", time.Now, func() (*tokens, error) {
				<-release
				panic("boom")
			})
			leader <- outcome{res, err}
		}()
		synctest.Wait() // the leader's call is in flight
		go func() {
			res, err := rf.do(context.Background(), "rt", time.Now, func() (*tokens, error) {
				t.Error("the second request redeemed again instead of joining the call in flight")
				return nil, nil
			})
			waiter <- outcome{res, err}
		}()
		synctest.Wait() // the second request waits for the leader
		close(release)
		if o := <-leader; o.res != nil || !errors.Is(o.err, errUnverifiable) {
			t.Errorf("the leader after a panic: %v, %v; want no tokens and errUnverifiable", o.res, o.err)
		}
		if o := <-waiter; o.res != nil || !errors.Is(o.err, errUnverifiable) {
			t.Errorf("a waiter of the panicked refresh: %v, %v; want no tokens and errUnverifiable", o.res, o.err)
		}
		// Not kept: the next request redeems again.
		next, err := rf.do(context.Background(), "rt", time.Now, func() (*tokens, error) { return &tokens{Access: "a"}, nil })
		if err != nil || next == nil || next.Access != "a" {
			t.Errorf("after a panic: %v, %v; want a new redeem", next, err)
		}
		// A redeem that returns nothing is a transient failure too.
		if res, err := rf.do(context.Background(), "empty", time.Now, func() (*tokens, error) { return nil, nil }); res != nil || !errors.Is(err, errUnverifiable) {
			t.Errorf("a redeem with no tokens and no error: %v, %v", res, err)
		}
	})
}

// TestRefresherWaiterGivesUp: a request waiting for another's refresh
// stops waiting when it ends, and the refresh goes on.
func TestRefresherWaiterGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rf refresher
		rf.init(nil)
		block := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := rf.do(context.Background(), "slow", time.Now, func() (*tokens, error) { <-block; return &tokens{}, nil })
			done <- err
		}()
		synctest.Wait() // the refresh is in flight
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := rf.do(ctx, "slow", time.Now, nil); !errors.Is(err, errUnverifiable) || !errors.Is(err, context.Canceled) {
			t.Errorf("a waiter with a cancelled request: %v", err)
		}
		close(block)
		if err := <-done; err != nil {
			t.Errorf("the refresh itself: %v", err)
		}
	})
}

// panicOnRefresh is an IdP transport that panics on a refresh-token
// request while armed: a bug anywhere under the refresh, as the middleware
// meets it.
type panicOnRefresh struct {
	armed atomic.Bool
	next  http.RoundTripper
}

func (p *panicOnRefresh) RoundTrip(req *http.Request) (*http.Response, error) {
	if p.armed.Load() && req.URL.Path == "/oauth/token" {
		panic("a bug in the refresh")
	}
	return p.next.RoundTrip(req)
}

// TestRefreshPanicIsTransient: a refresh that panics answers as a
// transient refresh failure does (503, cookies kept, the reason logged),
// never 500; the next request refreshes again and is served.
func TestRefreshPanicIsTransient(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	tr := &panicOnRefresh{next: http.DefaultTransport}
	logs := &logBuffer{}
	a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{
		Now: func() time.Time { return now }, HTTPClient: oidcx.NewHTTPClient(tr, 30*time.Second), Logger: logs.logger(),
	})
	j := signInWith(t, f, a, now, f.key, f.kid, nil)
	before := j.cookies["skctl_session"].Value

	tr.armed.Store(true)
	now = now.Add(6 * time.Minute)
	rec := j.get(a, "/dashboard")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("a panicking refresh: %d %.300s, want 503", rec.Code, rec.Body.String())
	}
	if c := j.cookies["skctl_session"]; c == nil || c.Value != before {
		t.Errorf("a panicking refresh changed or cleared the session cookie")
	}
	if line := logs.find("request_id", rec.Header().Get("X-Request-Id"), "msg", "request failed"); line == nil || line["reason"] != "refresh panicked" || line["status"] != float64(503) {
		t.Errorf("the failure's log line: %v, want status 503 and reason %q", line, "refresh panicked")
	}

	tr.armed.Store(false)
	f.setToken(func(url.Values) (int, any) {
		id, at := f.goodClaims("", now)
		delete(id, "nonce")
		access := f.sign(at, jose.RS256, f.kid)
		id["at_hash"] = atHash(access)
		return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid), "refresh_token": "rt-2"}
	})
	if rec := j.get(a, "/dashboard"); rec.Code != http.StatusOK {
		t.Errorf("after the panic: %d, want the dashboard (a new refresh)", rec.Code)
	}
	if n := f.calls_("token refresh_token"); n != 1 {
		t.Errorf("%d refresh requests reached the IdP, want 1 (the panicking one never left)", n)
	}
}
