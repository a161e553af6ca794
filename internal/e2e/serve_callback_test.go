package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// callbackURL runs the app's login up to the IdP's redirect back and
// returns the callback URL, without visiting it.
func (b *browser) callbackURL(app *appUnderTest, idp *testIdP) *url.URL {
	b.t.Helper()
	p := b.follow(b.get(app.URL + "/api/auth/login"))
	if p.status == http.StatusOK { // no IdP session yet: pick a user
		p = b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "user": {adaID}, "org": {acmeOrgID}})
	}
	return b.loc(p)
}

// TestServeCallbackErrors covers every way a callback fails (B1–B7, C4):
// each gets an error page with the right status, the logged reason and no
// session, never a 500, and the failures before the code is redeemed make
// no token request. Only the hanging token endpoint meets a tight IdP
// timeout (I1); every other case has a generous one.
func TestServeCallbackErrors(t *testing.T) {
	t.Parallel()
	idp, lns := startFailureIdP(t, 2, nil)
	preloadKeys(t, idp.URL)
	app := startServe(t, lns[0], idp, nil, app1ID, app1Secret, nil)
	tight := startServe(t, lns[1], idp, nil, app1ID, app1Secret, nil, failServeArgs...)
	codeRequests := func() int { return idp.count("POST /oauth/token authorization_code") }

	cases := []struct {
		name      string
		tight     bool                                       // against the instance with the tight IdP timeout
		callback  func(b *browser, app *appUnderTest) string // the URL the browser ends up at
		status    int
		inBody    string
		reason    string // what serve logs
		noRequest bool   // no token request may happen
	}{
		{"cancelled at the IdP", false, func(b *browser, app *appUnderTest) string {
			p := b.follow(b.get(app.URL + "/api/auth/login"))
			return b.loc(b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "cancel": {"1"}})).String()
		}, http.StatusForbidden, "Sign-in was cancelled", "IdP error access_denied", true},
		{"IdP error with script", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("code")
			q.Set("error", "server_error")
			q.Set("error_description", "<script>alert(1)</script>")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadGateway, "Sign-in failed", "IdP error server_error", true},
		{"temporarily unavailable", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			u.RawQuery = url.Values{"state": {u.Query().Get("state")}, "error": {"temporarily_unavailable"}}.Encode()
			return u.String()
		}, http.StatusServiceUnavailable, "busy", "IdP error temporarily_unavailable", true},
		{"wrong state", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Set("state", "forged-state-value")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", "no transaction for this state", true},
		{"no state", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", "no transaction for this state", true},
		{"no code", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "malformed", "no code", true},
		{"repeated code", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			u.RawQuery += "&code=again"
			return u.String()
		}, http.StatusBadRequest, "malformed", "repeated parameter code", true},
		{"oversize code", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			q := u.Query()
			q.Set("code", strings.Repeat("c", 5000))
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, "malformed", "oversize parameter", true},
		{"wrong iss", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			u.RawQuery += "&iss=" + url.QueryEscape("https://evil.example")
			return u.String()
		}, http.StatusBadRequest, "could not be verified", "iss parameter mismatch", true},
		{"code already redeemed", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			// Someone else redeems the code first (without the verifier,
			// which burns it).
			resp, err := http.PostForm(idp.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
				"redirect_uri": {app.URL + "/api/auth/callback"}, "client_id": {app1ID}, "client_secret": {app1Secret}})
			if err != nil {
				b.t.Fatalf("redeeming the code first: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				b.t.Fatalf("redeeming the code without its verifier: %d, want 400", resp.StatusCode)
			}
			return u.String()
		}, http.StatusBadRequest, "Sign-in expired", "token endpoint 400 invalid_grant", false},
		{"token endpoint fails", false, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("<html>upstream exploded</html>"))
			})
			return u.String()
		}, http.StatusBadGateway, "Sign-in failed", "token endpoint 500 no error code", false},
		{"token endpoint hangs", true, func(b *browser, app *appUnderTest) string {
			u := b.callbackURL(app, idp)
			idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(hangDeadline):
				}
			})
			return u.String()
		}, http.StatusGatewayTimeout, "took too long", "timeout", false},
		{"ID token with another nonce", false, func(b *browser, app *appUnderTest) string {
			// The IdP is given another nonce than the app sent, so the ID
			// token carries a nonce the app never issued (C4).
			login := b.loc(b.get(app.URL + "/api/auth/login"))
			q := login.Query()
			q.Set("nonce", "attacker-chosen-nonce")
			login.RawQuery = q.Encode()
			p := b.get(login.String())
			return b.loc(b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "user": {adaID}, "org": {acmeOrgID}})).String()
		}, http.StatusBadRequest, "could not be verified", "ID token nonce mismatch", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := app
			if tc.tight {
				app = tight
			}
			b := newBrowser(t)
			target := tc.callback(b, app)
			defer idp.fault("/oauth/token", nil)
			before := codeRequests()
			start := time.Now()
			p := b.get(target)
			took := time.Since(start)
			if tc.noRequest && codeRequests() != before {
				t.Errorf("a token request was made (B2)")
			}
			if !tc.noRequest && codeRequests() == before {
				t.Errorf("no token request was made: the failure is not the one under test")
			}
			if p.status != tc.status || !strings.Contains(p.body, tc.inBody) {
				t.Errorf("got %d, want %d with %q: %.400s", p.status, tc.status, tc.inBody, p.body)
			}
			if e := app.requestLog(t, p, "request failed"); e["reason"] != tc.reason {
				t.Errorf("serve logged the reason %q, want %q", e["reason"], tc.reason)
			}
			if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "upstream exploded") {
				t.Errorf("the page reflects the IdP's text")
			}
			if !strings.Contains(p.body, "Reference: ") || p.header.Get("X-Request-Id") == "" || !strings.Contains(p.body, p.header.Get("X-Request-Id")) {
				t.Errorf("no correlation ID on the page (J1)")
			}
			if tc.tight && took > failBound {
				t.Errorf("the callback took %v with a %v IdP timeout (I1)", took.Round(time.Millisecond), failIdPTimeout)
			}
			assertNoSessionCookie(t, p)
			neverServerError(t, p)
			if b.get(app.URL+"/dashboard").status != http.StatusFound {
				t.Errorf("signed in after a failed callback")
			}
		})
	}

	t.Run("no transaction cookie", func(t *testing.T) {
		u := newBrowser(t).callbackURL(app, idp)
		before := codeRequests()
		p := newBrowser(t).get(u.String()) // another browser: no transaction cookie
		if p.status != http.StatusBadRequest || codeRequests() != before {
			t.Errorf("callback in another browser: %d, token requests %d→%d", p.status, before, codeRequests())
		}
		if e := app.requestLog(t, p, "request failed"); e["reason"] != "no transaction for this state" {
			t.Errorf("serve logged the reason %q", e["reason"])
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t)
		u := b.callbackURL(app, idp)
		if p := b.get(u.String()); p.status != http.StatusFound {
			t.Fatalf("first callback: %d %.300s", p.status, p.body)
		}
		before := codeRequests()
		p := b.get(u.String())
		if p.status != http.StatusBadRequest || codeRequests() != before {
			t.Errorf("replay: %d, token requests %d→%d (B3)", p.status, before, codeRequests())
		}
		if e := app.requestLog(t, p, "request failed"); e["reason"] != "no transaction for this state" {
			t.Errorf("serve logged the reason %q for the replay", e["reason"])
		}
	})
	t.Run("return_to", func(t *testing.T) {
		for target, want := range map[string]string{"/dashboard?tab=1": "/dashboard?tab=1", "//evil.example": "/", "https://evil.example/": "/", "/\\evil.example": "/"} {
			b := newBrowser(t)
			login := b.get(app.URL + "/api/auth/login?return_to=" + url.QueryEscape(target))
			if strings.Contains(b.loc(login).String(), "evil") {
				t.Errorf("return_to leaked into the authorize URL")
			}
			p := b.follow(login)
			cb := b.follow(b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "user": {adaID}, "org": {acmeOrgID}}))
			if got := b.loc(cb).String(); got != app.URL+want {
				t.Errorf("return_to %q: landed on %q, want %q", target, got, want)
			}
		}
	})
	t.Run("routing hints pass through", func(t *testing.T) {
		b := newBrowser(t)
		login := b.get(app.URL + "/api/auth/login?organization_id=" + acmeOrgID + "&login_hint=ada%40acme.test&domain_hint=acme.test&provider=google&connection_id=conn_1&evil=1")
		q := b.loc(login).Query()
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
			t.Errorf("second tab: %d %.300s", p.status, p.body)
		}
		if p := b.get(first.String()); p.status != http.StatusFound {
			t.Errorf("first tab: %d %.300s", p.status, p.body)
		}
	})
}
