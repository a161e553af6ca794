package webapp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// otherProvider makes f an OpenID provider that is not Scalekit: its
// authorization endpoint is not at Scalekit's path, and it has a userinfo
// endpoint answering with info(authorization header). It returns the
// Authorization headers userinfo received.
func otherProvider(f *fakeIdP, info func(authz string) map[string]any) func() []string {
	var mu sync.Mutex
	var seen []string
	f.mu.Lock()
	f.discovery = func(u string) map[string]any {
		return map[string]any{
			"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/oauth/token",
			"jwks_uri": u + "/keys", "userinfo_endpoint": u + "/userinfo", "end_session_endpoint": u + "/end_session",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		}
	}
	f.mu.Unlock()
	f.mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.count("userinfo")
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info(r.Header.Get("Authorization")))
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// tokenAnswer is a token response with the access token given (opaque,
// or a JWT) and an ID token built by idClaims (nil: the good claims) for
// nonce; expiresIn < 0 leaves expires_in out.
func tokenAnswer(f *fakeIdP, nonce string, now time.Time, access string, expiresIn int, idClaims func(map[string]any)) map[string]any {
	id, _ := f.goodClaims(nonce, now)
	if nonce == "" {
		delete(id, "nonce")
	}
	if idClaims != nil {
		idClaims(id)
	}
	id["at_hash"] = atHash(access)
	answer := map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid), "refresh_token": "rt-" + access}
	if expiresIn >= 0 {
		answer["expires_in"] = expiresIn
	}
	return answer
}

// signInWithAnswer signs in through the callback with answer as the token
// response, and returns the jar and the callback's answer.
func signInWithAnswer(t *testing.T, f *fakeIdP, a *App, answer func(nonce string) map[string]any) (*recorderJar, *httptestResult) {
	t.Helper()
	j := &recorderJar{}
	state, nonce := j.login(t, a)
	f.setToken(func(url.Values) (int, any) { return 200, answer(nonce) })
	rec := j.get(a, "/api/auth/callback?code=c&state="+url.QueryEscape(state))
	return j, &httptestResult{rec.Code, rec.Body.String(), rec.Header().Get("Location")}
}

type httptestResult struct {
	status         int
	body, location string
}

// TestOpaqueAccessTokenKeepsSession: from a provider that is not
// Scalekit, an access token that is not a JWT signs in; the session rests
// on the verified ID token and expires_in, kept in the cookie, so a
// request never verifies the opaque token as a JWT (here: not even with
// the keys down, on an app with no cache), and the session refreshes at
// that expiry, taking the new expires_in.
func TestOpaqueAccessTokenKeepsSession(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	otherProvider(f, func(string) map[string]any { return map[string]any{"sub": "usr_1"} })
	start := time.Now()
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = start.Add(d); mu.Unlock() }
	a := newTestApp(t, f, clock)
	j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any { return tokenAnswer(f, nonce, start, "opaque-token-1", 60, nil) })
	if cb.status != http.StatusFound || j.cookies["skctl_session"] == nil {
		t.Fatalf("sign-in with an opaque access token: %d %.300s", cb.status, cb.body)
	}
	if rec := j.get(a, "/dashboard"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Welcome, Ada") {
		t.Fatalf("dashboard: %d %.300s", rec.Code, rec.Body.String())
	}

	// Another replica, nothing cached, the keys down: the session stands
	// on the cookie alone.
	f.mu.Lock()
	f.keysDown = true
	f.mu.Unlock()
	keys := f.calls_("keys")
	b := newTestApp(t, f, clock)
	if rec := j.get(b, "/dashboard"); rec.Code != 200 || f.calls_("keys") != keys {
		t.Fatalf("fresh app, keys down: %d, %d key fetches, want 200 and none %.300s", rec.Code, f.calls_("keys")-keys, rec.Body.String())
	}
	f.mu.Lock()
	f.keysDown = false
	f.mu.Unlock()

	f.setToken(func(form url.Values) (int, any) {
		if form.Get("refresh_token") != "rt-opaque-token-1" {
			return 400, map[string]any{"error": "invalid_grant"}
		}
		return 200, tokenAnswer(f, "", start.Add(time.Minute), "opaque-token-2", 120, nil)
	})
	// Due 10 s before the 60 s of expires_in.
	advance(49 * time.Second)
	if rec := j.get(a, "/dashboard"); rec.Code != 200 || f.calls_("token refresh_token") != 0 {
		t.Fatalf("before expiry: %d, %d refreshes, want 200 and none", rec.Code, f.calls_("token refresh_token"))
	}
	advance(51 * time.Second)
	if rec := j.get(a, "/dashboard"); rec.Code != 200 || f.calls_("token refresh_token") != 1 {
		t.Fatalf("at expiry: %d, %d refreshes, want 200 and one %.300s", rec.Code, f.calls_("token refresh_token"), rec.Body.String())
	}
	// The new expiry is the refresh answer's: 120 s from then.
	advance(51*time.Second + 100*time.Second)
	if rec := j.get(a, "/dashboard"); rec.Code != 200 || f.calls_("token refresh_token") != 1 {
		t.Fatalf("within the new expires_in: %d, %d refreshes, want 200 and still one", rec.Code, f.calls_("token refresh_token"))
	}
}

// TestOpaqueWithoutExpiresIn: with no expires_in, an opaque token lives
// as long as its ID token; a refresh answer with neither expires_in nor a
// new ID token leaves its expiry unknown, and the session ends, with the
// reason in the log.
func TestOpaqueWithoutExpiresIn(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	otherProvider(f, func(string) map[string]any { return map[string]any{"sub": "usr_1"} })
	start := time.Now()
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = start.Add(d); mu.Unlock() }
	var logs logBuffer
	a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Now: clock, Logger: logs.logger()})
	// goodClaims' ID token expires in 30 minutes.
	j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any { return tokenAnswer(f, nonce, start, "opaque-token-1", -1, nil) })
	if cb.status != http.StatusFound {
		t.Fatalf("sign-in: %d %.300s", cb.status, cb.body)
	}
	f.setToken(func(url.Values) (int, any) {
		return 200, map[string]any{"token_type": "Bearer", "access_token": "opaque-token-2", "refresh_token": "rt-2"}
	})
	advance(30*time.Minute - 11*time.Second)
	if rec := j.get(a, "/dashboard"); rec.Code != 200 || f.calls_("token refresh_token") != 0 {
		t.Fatalf("before the ID token's exp: %d, %d refreshes, want 200 and none", rec.Code, f.calls_("token refresh_token"))
	}
	advance(30*time.Minute - 9*time.Second)
	rec := j.get(a, "/dashboard")
	if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "/api/auth/login") || f.calls_("token refresh_token") != 1 || j.cookies["skctl_session"] != nil {
		t.Fatalf("refresh with no expiry: %d %s, %d refreshes, session kept %v; want it ended after one refresh", rec.Code, rec.Header().Get("Location"), f.calls_("token refresh_token"), j.cookies["skctl_session"] != nil)
	}
	if logs.find("msg", "session ended", "reason", "refresh: new opaque access token with no known expiry") == nil {
		t.Errorf("no log line says why the session ended:\n%s", logs.b.String())
	}
}

// TestOpaqueRefusedFromScalekit: a Scalekit environment's access tokens
// are JWTs, so one that is not is refused at sign-in, saying so.
func TestOpaqueRefusedFromScalekit(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t) // Scalekit's endpoints
	var logs logBuffer
	a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Logger: logs.logger()})
	j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any {
		return tokenAnswer(f, nonce, time.Now(), "opaque-token-1", 60, nil)
	})
	if cb.status != http.StatusBadRequest || !strings.Contains(cb.body, "could not be verified") || j.cookies["skctl_session"] != nil {
		t.Fatalf("opaque token from Scalekit: %d, session %v, want 400 and none", cb.status, j.cookies["skctl_session"] != nil)
	}
	if logs.find("msg", "request failed", "reason", "access token is not a JWT, as every Scalekit access token is") == nil {
		t.Errorf("the log does not say why:\n%s", logs.b.String())
	}
}

// TestJWTShapedIsNeverOpaque: from any provider, an access token shaped
// as a JWT is verified as one: forged or unsigned, it is refused, never
// taken for an opaque token.
func TestJWTShapedIsNeverOpaque(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	otherProvider(f, func(string) map[string]any { return map[string]any{"sub": "usr_1"} })
	_, at := f.goodClaims("", time.Now())
	payload, _ := json.Marshal(at)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"another key":  f.signWith(otherKey, at, jose.RS256, f.kid),
		"unsigned":     b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + ".",
		"unknown kid":  f.sign(at, jose.RS256, "snk_99"),
		"broken claim": b64(`{"alg":"RS256","kid":"`+f.kid+`"}`) + "." + b64("not json") + ".c2ln",
	} {
		a := newTestApp(t, f, time.Now)
		j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any { return tokenAnswer(f, nonce, time.Now(), token, 60, nil) })
		if cb.status != http.StatusBadRequest || j.cookies["skctl_session"] != nil {
			t.Errorf("%s: %d, session %v, want refused", name, cb.status, j.cookies["skctl_session"] != nil)
		}
	}
}

// TestProfileFromUserinfo: an ID token that names nobody gets its name
// and email from userinfo, asked once at sign-in with the access token
// and kept in the cookie: no request asks again, on any replica.
// Userinfo for another sub refuses the sign-in; an ID token with an email
// asks no userinfo (Scalekit's flow is unchanged). The access tokens are
// JWTs: the zitadel end-to-end test has userinfo with opaque ones.
func TestProfileFromUserinfo(t *testing.T) {
	t.Parallel()
	noProfile := func(id map[string]any) { delete(id, "name"); delete(id, "email") }
	jwt := func(f *fakeIdP) string {
		_, at := f.goodClaims("", time.Now())
		return f.sign(at, jose.RS256, f.kid)
	}

	t.Run("filled", func(t *testing.T) {
		t.Parallel()
		f := startFakeIdP(t)
		seen := otherProvider(f, func(string) map[string]any {
			return map[string]any{"sub": "usr_1", "name": "Ada Lovelace", "email": "ada@acme.test"}
		})
		a, access := newTestApp(t, f, time.Now), jwt(f)
		j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any {
			return tokenAnswer(f, nonce, time.Now(), access, 300, noProfile)
		})
		if cb.status != http.StatusFound {
			t.Fatalf("sign-in: %d %.300s", cb.status, cb.body)
		}
		b := newTestApp(t, f, time.Now) // another replica: no cache
		for _, app := range []*App{a, a, b} {
			rec := j.get(app, "/dashboard")
			if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "Welcome, Ada Lovelace") || !strings.Contains(body, "ada@acme.test") {
				t.Fatalf("dashboard: %d %.400s", rec.Code, body)
			}
		}
		if got := seen(); len(got) != 1 || got[0] != "Bearer "+access {
			t.Errorf("userinfo was asked %d times (%q), want once with the access token", len(got), got)
		}
	})
	t.Run("another sub", func(t *testing.T) {
		t.Parallel()
		f := startFakeIdP(t)
		otherProvider(f, func(string) map[string]any { return map[string]any{"sub": "usr_2", "name": "Eve"} })
		var logs logBuffer
		a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Logger: logs.logger()})
		j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any {
			return tokenAnswer(f, nonce, time.Now(), jwt(f), 300, noProfile)
		})
		if cb.status != http.StatusBadRequest || j.cookies["skctl_session"] != nil || strings.Contains(cb.body, "Eve") {
			t.Fatalf("userinfo for another sub: %d, session %v, want refused", cb.status, j.cookies["skctl_session"] != nil)
		}
		if logs.find("msg", "request failed", "reason", "userinfo sub differs from the ID token sub") == nil {
			t.Errorf("the log does not say why:\n%s", logs.b.String())
		}
	})
	t.Run("ID token with an email", func(t *testing.T) {
		t.Parallel()
		f := startFakeIdP(t)
		seen := otherProvider(f, func(string) map[string]any { return map[string]any{"sub": "usr_1", "name": "Ada Lovelace"} })
		a := newTestApp(t, f, time.Now)
		j, cb := signInWithAnswer(t, f, a, func(nonce string) map[string]any {
			return tokenAnswer(f, nonce, time.Now(), jwt(f), 300, func(id map[string]any) { delete(id, "name") })
		})
		if rec := j.get(a, "/dashboard"); cb.status != http.StatusFound || rec.Code != 200 || !strings.Contains(rec.Body.String(), "Welcome, ada@acme.test") {
			t.Fatalf("sign-in %d, dashboard %d %.300s", cb.status, rec.Code, rec.Body.String())
		}
		if n := len(seen()); n != 0 {
			t.Errorf("userinfo asked %d times for an ID token with an email", n)
		}
	})
}
