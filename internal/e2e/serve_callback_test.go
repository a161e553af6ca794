package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// startLogin runs the app's login up to the IdP's redirect back and
// returns the callback URL, without visiting it.
func (b *browser) callbackURL(app *appUnderTest, idp *testIdP) *url.URL {
	b.t.Helper()
	p := b.follow(b.get(app.URL + "/api/auth/login"))
	if p.status == http.StatusOK { // no IdP session yet: pick a user
		m := handleRE.FindStringSubmatch(p.body)
		if m == nil {
			b.t.Fatalf("no sign-in page: %.200s", p.body)
		}
		p = b.post(idp.URL+"/oauth/login", url.Values{"handle": {m[1]}, "user": {adaID}, "org": {acmeOrgID}})
	}
	if p.location == nil {
		b.t.Fatalf("no redirect to the callback: %d", p.status)
	}
	return p.location
}

// TestServeCallbackErrors covers every way a callback fails (B1–B7, C4):
// each gets an error page with the right status and no session, never a
// 500, and the failures before the code is redeemed make no token request.
func TestServeCallbackErrors(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil, "--idp-timeout", "1s")
	codeRequests := func() int { return idp.count("POST /oauth/token authorization_code") }

	cases := []struct {
		name      string
		callback  func(b *browser) string // the URL the browser ends up at
		status    int
		inBody    string
		noRequest bool // no token request may happen
	}{
		{"cancelled at the IdP", func(b *browser) string {
			p := b.follow(b.get(app.URL + "/api/auth/login"))
			m := handleRE.FindStringSubmatch(p.body)
			return b.post(idp.URL+"/oauth/login", url.Values{"handle": {m[1]}, "cancel": {"1"}}).location.String()
		}, http.StatusForbidden, "Sign-in was cancelled", true},
		{"IdP error with script", func(b *browser) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("code")
			q.Set("error", "server_error")
			q.Set("error_description", "<script>alert(1)</script>")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadGateway, "Sign-in failed", true},
		{"temporarily unavailable", func(b *browser) string {
			u := b.callbackURL(app, idp)
			u.RawQuery = url.Values{"state": {u.Query().Get("state")}, "error": {"temporarily_unavailable"}}.Encode()
			return u.String()
		}, http.StatusServiceUnavailable, "busy", true},
		{"no transaction cookie", func(b *browser) string {
			u := b.callbackURL(app, idp)
			return newBrowser(t).get(u.String()).location.String() // never reached: see below
		}, 0, "", true},
		{"wrong state", func(b *browser) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Set("state", "forged-state-value")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", true},
		{"no state", func(b *browser) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", true},
		{"no code", func(b *browser) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "malformed", true},
		{"repeated code", func(b *browser) string {
			u := b.callbackURL(app, idp)
			u.RawQuery += "&code=again"
			return u.String()
		}, http.StatusBadRequest, "malformed", true},
		{"oversize code", func(b *browser) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Set("code", strings.Repeat("c", 5000))
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "malformed", true},
		{"wrong iss", func(b *browser) string {
			u := b.callbackURL(app, idp)
			u.RawQuery += "&iss=" + url.QueryEscape("https://evil.example")
			return u.String()
		}, http.StatusBadRequest, "could not be verified", true},
		{"code already redeemed", func(b *browser) string {
			u := b.callbackURL(app, idp)
			// Someone else redeems the code first (without the verifier,
			// which burns it).
			http.PostForm(idp.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
				"redirect_uri": {app.URL + "/api/auth/callback"}, "client_id": {app1ID}, "client_secret": {app1Secret}})
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", false},
		{"token endpoint fails", func(b *browser) string {
			u := b.callbackURL(app, idp)
			idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("<html>upstream exploded</html>"))
			})
			return u.String()
		}, http.StatusBadGateway, "Sign-in failed", false},
		{"token endpoint hangs", func(b *browser) string {
			u := b.callbackURL(app, idp)
			idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			})
			return u.String()
		}, http.StatusGatewayTimeout, "took too long", false},
		{"ID token with another nonce", func(b *browser) string {
			// The IdP is given another nonce than the app sent, so the ID
			// token carries a nonce the app never issued (C4).
			login := b.get(app.URL + "/api/auth/login").location
			q := login.Query()
			q.Set("nonce", "attacker-chosen-nonce")
			login.RawQuery = q.Encode()
			p := b.get(login.String())
			m := handleRE.FindStringSubmatch(p.body)
			return b.post(idp.URL+"/oauth/login", url.Values{"handle": {m[1]}, "user": {adaID}, "org": {acmeOrgID}}).location.String()
		}, http.StatusBadRequest, "could not be verified", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			if tc.name == "no transaction cookie" {
				u := b.callbackURL(app, idp)
				before := codeRequests()
				p := newBrowser(t).get(u.String()) // another browser: no transaction cookie
				if p.status != http.StatusBadRequest || codeRequests() != before {
					t.Errorf("callback in another browser: %d, token requests %d→%d", p.status, before, codeRequests())
				}
				return
			}
			target := tc.callback(b)
			defer idp.fault("/oauth/token", nil)
			before := codeRequests()
			start := time.Now()
			p := b.get(target)
			if p.status != tc.status || !strings.Contains(p.body, tc.inBody) {
				t.Errorf("got %d, want %d with %q: %.400s", p.status, tc.status, tc.inBody, p.body)
			}
			if tc.noRequest && codeRequests() != before {
				t.Errorf("a token request was made (B2)")
			}
			if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "upstream exploded") {
				t.Errorf("the page reflects the IdP's text")
			}
			if !strings.Contains(p.body, "Reference: ") || p.header.Get("X-Request-Id") == "" || !strings.Contains(p.body, p.header.Get("X-Request-Id")) {
				t.Errorf("no correlation ID on the page (J1)")
			}
			if time.Since(start) > 4*time.Second {
				t.Errorf("the callback took %v with a 1s IdP timeout (I1)", time.Since(start))
			}
			assertNoSessionCookie(t, p)
			neverServerError(t, p)
			if b.get(app.URL+"/dashboard").status != http.StatusFound {
				t.Errorf("signed in after a failed callback")
			}
		})
	}

	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t)
		u := b.callbackURL(app, idp)
		if p := b.get(u.String()); p.status != http.StatusFound {
			t.Fatalf("first callback: %d", p.status)
		}
		before := codeRequests()
		p := b.get(u.String())
		if p.status != http.StatusBadRequest || codeRequests() != before {
			t.Errorf("replay: %d, token requests %d→%d (B3)", p.status, before, codeRequests())
		}
	})
	t.Run("return_to", func(t *testing.T) {
		for target, want := range map[string]string{"/dashboard?tab=1": "/dashboard?tab=1", "//evil.example": "/", "https://evil.example/": "/", "/\\evil.example": "/"} {
			b := newBrowser(t)
			login := b.get(app.URL + "/api/auth/login?return_to=" + url.QueryEscape(target))
			if strings.Contains(login.location.String(), "evil") {
				t.Errorf("return_to leaked into the authorize URL")
			}
			p := b.follow(login)
			m := handleRE.FindStringSubmatch(p.body)
			cb := b.follow(b.post(idp.URL+"/oauth/login", url.Values{"handle": {m[1]}, "user": {adaID}, "org": {acmeOrgID}}))
			if cb.location.String() != app.URL+want {
				t.Errorf("return_to %q: landed on %q, want %q", target, cb.location, want)
			}
		}
	})
	t.Run("routing hints pass through", func(t *testing.T) {
		b := newBrowser(t)
		login := b.get(app.URL + "/api/auth/login?organization_id=" + acmeOrgID + "&login_hint=ada%40acme.test&domain_hint=acme.test&provider=google&connection_id=conn_1&evil=1")
		q := login.location.Query()
		for k, v := range map[string]string{"organization_id": acmeOrgID, "login_hint": "ada@acme.test", "domain_hint": "acme.test", "domain": "acme.test", "provider": "google", "connection_id": "conn_1"} {
			if q.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, q.Get(k), v)
			}
		}
		if q.Has("evil") {
			t.Errorf("an unknown parameter was passed through")
		}
	})
	t.Run("two tabs", func(t *testing.T) {
		b := newBrowser(t)
		first, second := b.callbackURL(app, idp), b.callbackURL(app, idp)
		// The second login replaced the first's IdP session cookie, but
		// both transactions are alive (A5).
		if p := b.get(second.String()); p.status != http.StatusFound {
			t.Errorf("second tab: %d", p.status)
		}
		if p := b.get(first.String()); p.status != http.StatusFound {
			t.Errorf("first tab: %d", p.status)
		}
	})
}
