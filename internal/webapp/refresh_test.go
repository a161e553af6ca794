package webapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
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
	// go-oidc hands a request that arrives just as a failed key fetch
	// finishes that fetch's result, so allow a few tries.
	code := 0
	for try := 0; try < 20 && code != 200; try++ {
		if try > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		code = j.get(a, "/dashboard").Code
	}
	if code != 200 {
		t.Errorf("keys back: %d", code)
	}
	if n := f.calls_("token refresh_token"); n != 1 {
		t.Errorf("%d refresh calls, want 1: the spent refresh token was redeemed again", n)
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

// TestRefresherPanics: a panic in a refresh releases its waiters and lets
// the next request try again.
func TestRefresherPanics(t *testing.T) {
	var rf refresher
	rf.init()
	func() {
		defer func() { recover() }()
		rf.do(context.Background(), "rt", time.Now, func() (*tokens, error) { panic("boom") })
	}()
	done := make(chan error, 1)
	go func() {
		_, err := rf.do(context.Background(), "rt", time.Now, func() (*tokens, error) { return &tokens{}, nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after a panic: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the refresh after a panic is blocked")
	}
	// A waiter whose request ends stops waiting.
	block := make(chan struct{})
	go rf.do(context.Background(), "slow", time.Now, func() (*tokens, error) { <-block; return &tokens{}, nil })
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := rf.do(ctx, "slow", time.Now, nil); !errors.Is(err, errUnverifiable) {
		t.Errorf("a waiter with a cancelled request: %v", err)
	}
	close(block)
}
