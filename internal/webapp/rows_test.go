package webapp

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signInWith signs in through the fake with tokens built by build, and
// returns the jar.
func signInWith(t *testing.T, f *fakeIdP, a *App, now time.Time, key *rsa.PrivateKey, kid string, build func(id, at map[string]any)) *recorderJar {
	t.Helper()
	j := &recorderJar{}
	state, nonce := j.login(t, a)
	f.setToken(func(url.Values) (int, any) {
		id, at := f.goodClaims(nonce, now)
		if build != nil {
			build(id, at)
		}
		access := f.signWith(key, at, jose.RS256, kid)
		id["at_hash"] = atHash(access)
		idt := f.signWith(key, id, jose.RS256, kid)
		return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": idt, "refresh_token": "rt"}
	})
	rec := j.get(a, "/api/auth/callback?code=c&state="+url.QueryEscape(state))
	if rec.Code != http.StatusFound {
		t.Fatalf("sign-in: %d %.300s", rec.Code, rec.Body.String())
	}
	return j
}

// TestHugeTokensChunk: a 6 KB access token (many roles and permissions)
// is stored in chunked cookies, each under 4,000 bytes, and works (F3).
func TestHugeTokensChunk(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	j := signInWith(t, f, a, now, f.key, f.kid, func(id, at map[string]any) {
		var perms []string
		for i := range 200 {
			perms = append(perms, fmt.Sprintf("resource%03d:action", i))
		}
		at["permissions"] = perms
	})
	if len(j.cookies) < 2 {
		t.Errorf("one cookie for a 6 KB token: %v", j.cookies)
	}
	for name, c := range j.cookies {
		if len(c.String()) > 4000 {
			t.Errorf("%s is %d bytes", name, len(c.String()))
		}
	}
	if rec := j.get(a, "/dashboard"); rec.Code != 200 {
		t.Errorf("dashboard with chunked cookies: %d", rec.Code)
	}
}

// TestKeysUnreachable: when the keys cannot be fetched, a session cannot
// be checked: 503, cookies kept; once the keys are back it works (D4).
func TestKeysUnreachable(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	j := signInWith(t, f, a, now, f.key, f.kid, nil)

	// A second instance of the app (a restart): no keys cached yet.
	b := newTestApp(t, f, func() time.Time { return now })
	f.mu.Lock()
	f.keysDown = true
	f.mu.Unlock()
	rec := j.get(b, "/dashboard")
	if rec.Code != http.StatusServiceUnavailable || j.cookies["skctl_session"] == nil {
		t.Fatalf("keys down: %d, session kept = %v", rec.Code, j.cookies["skctl_session"] != nil)
	}
	f.mu.Lock()
	f.keysDown = false
	f.mu.Unlock()
	// The first request after the outage fetches the keys afresh
	// (oidcx.KeySet never hands it the failed fetch's result).
	if rec := j.get(b, "/dashboard"); rec.Code != 200 {
		t.Errorf("keys back: %d %.300s", rec.Code, rec.Body.String())
	}
}

// TestKeyRotation: tokens signed with a new key are accepted after one
// reload of the keys (C11).
func TestKeyRotation(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	signInWith(t, f, a, now, f.key, f.kid, nil)
	before := f.calls_("keys")

	next, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.published = []jose.JSONWebKey{{Key: &next.PublicKey, KeyID: "snk_20000000000000002", Algorithm: "RS256", Use: "sig"}}
	f.mu.Unlock()
	j := signInWith(t, f, a, now, next, "snk_20000000000000002", nil)
	if rec := j.get(a, "/dashboard"); rec.Code != 200 {
		t.Errorf("dashboard after rotation: %d", rec.Code)
	}
	if n := f.calls_("keys") - before; n != 1 {
		t.Errorf("%d key reloads for a rotated key, want 1", n)
	}
}

// TestSecureCookies: behind https, every cookie is Secure, HttpOnly,
// SameSite=Lax, Path=/, without Domain, and __Host- prefixed (F1).
func TestSecureCookies(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now }, "https://app.example.com/api/auth/callback")
	j := &recorderJar{}
	rec := j.get(a, "/api/auth/login")
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatal("login set no cookie")
	}
	for _, c := range cookies {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %+v", c)
		}
	}
}
