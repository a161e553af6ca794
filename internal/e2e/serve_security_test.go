package e2e_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/session"
)

// TestServeLogoutCSRF: another site cannot sign the user out (G1).
func TestServeLogoutCSRF(t *testing.T) {
	t.Parallel()
	_, _, app, b := signedInServe(t)

	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}, {"Referer", "https://evil.example/page"}, {}} {
		p := b.get(app.URL+"/api/auth/logout", h...)
		if p.status != 200 || sessionCleared(p) || !strings.Contains(p.body, "Sign out?") {
			t.Errorf("GET logout with %v: %d cleared=%v, want the confirmation page", h, p.status, sessionCleared(p))
		}
	}
	if p := b.post(app.URL+"/api/auth/logout", nil, "Origin", "https://evil.example"); p.status != http.StatusForbidden || sessionCleared(p) {
		t.Errorf("cross-site POST logout: %d cleared=%v", p.status, sessionCleared(p))
	}
	if p := b.get(app.URL + "/dashboard"); p.status != 200 {
		t.Fatalf("signed out by a cross-site request")
	}
	// The confirmation form works even where the browser sends Origin:
	// null and no Sec-Fetch-Site: its token proves it came from the page.
	page := b.get(app.URL+"/api/auth/logout", "Referer", "https://evil.example/")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the confirmation page has no token: %.300s", page.body)
	}
	if p := b.post(app.URL+"/api/auth/logout", url.Values{"csrf": {"forged"}}, "Origin", "null"); p.status != http.StatusForbidden {
		t.Errorf("POST logout with a forged token: %d", p.status)
	}
	if p := b.post(app.URL+"/api/auth/logout", url.Values{"csrf": {m[1]}}, "Origin", "null"); p.status != http.StatusFound || !sessionCleared(p) {
		t.Errorf("the confirmation form's POST: %d cleared=%v", p.status, sessionCleared(p))
	}
}

// TestServeRouteDecision: only the cleaned path decides whether a route
// needs a session (D5).
func TestServeRouteDecision(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	b := newBrowser(t)
	// Each is the dashboard, so without a session each signs in and comes
	// back to the dashboard, query kept.
	for path, back := range map[string]string{
		"/dashboard?x=/": "/dashboard?x=/", "/dashboard?next=/healthz": "/dashboard?next=/healthz", "/dashboard#/": "/dashboard",
		"//dashboard": "/dashboard", "/./dashboard": "/dashboard", "/healthz/../dashboard": "/dashboard",
	} {
		p := b.get(app.URL+path, "X-Forwarded-Uri", "/")
		for hops := 0; (p.status == http.StatusMovedPermanently || p.status == http.StatusTemporaryRedirect) && hops < 3; hops++ {
			p = b.follow(p) // ServeMux cleans the path first
		}
		if !toLogin(p, back) || strings.Contains(p.body, "Welcome") {
			t.Errorf("%s without a session: %d %v, want to sign in and back to %s", path, p.status, p.location, back)
		}
	}
}

// TestServeBadCookies: a tampered, swapped or oversized cookie is no
// session, never an error (F2, F5, F6).
func TestServeBadCookies(t *testing.T) {
	t.Parallel()
	_, _, app, b := signedInServe(t)
	value := b.cookie(app.URL, "skctl_session").Value

	send := func(cookie string) page {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
		req.Header.Set("Cookie", cookie)
		return newBrowser(t).do(req)
	}
	flip := []byte(value)
	flip[len(flip)/2] ^= 0x01
	for name, cookie := range map[string]string{
		"tampered":     "skctl_session=" + string(flip),
		"truncated":    "skctl_session=" + value[:len(value)-10],
		"not base64":   "skctl_session=%%%***",
		"other cookie": "skctl_tx_0123456789abcdef=" + value,
		"duplicated":   "skctl_session=" + value + "; skctl_session=" + value,
	} {
		p := send(cookie)
		neverServerError(t, p)
		if !toLogin(p, "/dashboard") {
			t.Errorf("%s cookie: %d %v, want a redirect to sign in, as signed out", name, p.status, p.location)
		}
		if name != "other cookie" && !sessionCleared(p) {
			t.Errorf("%s cookie was not cleared", name)
		}
	}
	if p := send("skctl_session=" + value); p.status != 200 {
		t.Errorf("the untouched cookie: %d", p.status)
	}
	huge := send("x=" + strings.Repeat("a", 100<<10))
	if huge.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KB Cookie header: %d, want 431", huge.status)
	}
}

// TestServeJWKSLoad: valid sessions cost no JWKS request once the keys are
// cached, and a flood of tokens with unknown kids costs at most the rate
// limit (D3, K2). The forged tokens are sealed with the app's own cookie
// key, as an attacker who stole it could.
func TestServeJWKSLoad(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	// 20 users sign in; then 200 concurrent requests on their sessions.
	var cookies []string
	for range 20 {
		b := newBrowser(t)
		b.signIn(app, idp, adaID, acmeOrgID)
		cookies = append(cookies, "skctl_session="+b.cookie(app.URL, "skctl_session").Value)
	}
	warm := idp.count("GET /keys")
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
			req.Header.Set("Cookie", cookies[i%len(cookies)])
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("valid session: %v %v", err, resp)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if n := idp.count("GET /keys") - warm; n != 0 {
		t.Errorf("200 requests on valid sessions made %d JWKS requests, want 0", n)
	}

	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"SCALEKIT_ENVIRONMENT_URL": idp.URL, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret}[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := session.NewCodec(cfg.CookieKeys, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	before := idp.count("GET /keys")
	for range 300 {
		wg.Go(func() {
			value, _ := codec.Encode("skctl_session", forgedSession(idp.URL))
			req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
			req.Header.Set("Cookie", "skctl_session="+value)
			// No redirects followed: a refused session's 302 home must not
			// read as the dashboard's 200.
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode >= 500 && resp.StatusCode != 503 {
				t.Errorf("forged session: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := idp.count("GET /keys") - before; n > 5 {
		t.Errorf("300 forged-kid sessions made %d JWKS requests, want at most 5 (the burst)", n)
	}
}

// forgedSession is a session cookie's plaintext holding a token with a
// random kid and a garbage signature.
func forgedSession(issuer string) []byte {
	var kid [8]byte
	rand.Read(kid[:])
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	jwt := seg(map[string]string{"alg": "RS256", "kid": fmt.Sprintf("snk_%x", kid), "typ": "JWT"}) + "." +
		seg(map[string]any{"iss": issuer, "sub": adaID, "aud": []string{app1ID}, "exp": time.Now().Add(time.Hour).Unix(), "jti": "tkn_1"}) + "." +
		base64.RawURLEncoding.EncodeToString(kid[:])
	b, _ := json.Marshal(map[string]string{"a": jwt, "i": jwt, "r": "x"})
	return b
}

// TestServeConfiguration: bad settings stop serve at once with exit code
// 2 and every problem named; an environment URL whose discovery names
// another issuer stops it before any sign-in (C9).
func TestServeConfiguration(t *testing.T) {
	t.Parallel()
	code, _, stderr := run(t, "serve", "--env-file", "", "--environment-url", "http://acme.scalekit.dev", "--addr", "127.0.0.1:0")
	for _, want := range []string{"SCALEKIT_ENVIRONMENT_URL (--environment-url): is not https", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET"} {
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
	if code, _, stderr := run(t, "serve", "--env-file", "/no/such/.env"); code != 2 || !strings.Contains(stderr, "/no/such/.env") {
		t.Errorf("missing --env-file: exit %d: %s", code, stderr)
	}

	// The mock's issuer is http://127.0.0.1:PORT; the same server named
	// http://localhost:PORT is another issuer.
	idp := startIdP(t, nil)
	u, _ := url.Parse(idp.URL)
	env := "http://localhost:" + u.Port()
	code, _, stderr = run(t, "serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", env, "--client-id", app1ID, "--client-secret", app1Secret)
	if code != 2 || !strings.Contains(stderr, "names the issuer "+idp.URL) || strings.Contains(stderr, app1Secret) {
		t.Errorf("issuer mismatch: exit %d:\n%s", code, stderr)
	}
}
