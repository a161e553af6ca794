package mockidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/store"
	"golang.org/x/oauth2"
)

// TestSSOAcrossApps: a user signed in to one app is signed in to the other
// app of the environment with no page, in the same IdP session.
func TestSSOAcrossApps(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	a1 := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a2 := newApp(t, env, app2ID, app2Secret, app2Redirect)

	f := a1.start()
	t1, err := a1.exchange(f, a1.callback(f, b.pick(env, b.get(f.authURL), url.Values{"user": {ada}, "org": {acmeOrg}})))
	if err != nil {
		t.Fatal(err)
	}
	f = a2.start()
	p := b.get(f.authURL)
	if p.status != http.StatusFound {
		t.Fatalf("second app: %d, want an immediate redirect with a code", p.status)
	}
	t2, err := a2.exchange(f, a2.callback(f, p))
	if err != nil {
		t.Fatal(err)
	}
	if t2.idToken.Subject != ada || t2.claims["sid"] != t1.claims["sid"] || t2.idToken.Audience[0] != app2ID {
		t.Errorf("second app: sub %s sid %v aud %v; want %s, %v, %s", t2.idToken.Subject, t2.claims["sid"], t2.idToken.Audience, ada, t1.claims["sid"], app2ID)
	}

	// prompt=none now succeeds silently; prompt=login shows the page again.
	f = a2.start(oauth2.SetAuthURLParam("prompt", "none"))
	a2.callback(f, b.get(f.authURL))
	f = a2.start(oauth2.SetAuthURLParam("prompt", "login"))
	if p := b.get(f.authURL); p.status != http.StatusOK || !strings.Contains(p.body, "Sign in") {
		t.Errorf("prompt=login: %d, want the sign-in page", p.status)
	}
	// A different browser has no session.
	f = a2.start(oauth2.SetAuthURLParam("prompt", "none"))
	if p := newBrowser(t).get(f.authURL); p.location.Query().Get("error") != "login_required" {
		t.Errorf("prompt=none in another browser: %v", p.location)
	}
}

// TestSelectAccount: a user of two organizations picks one again.
func TestSelectAccount(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a.login(b, "hank@globex.test")
	f := a.start(oauth2.SetAuthURLParam("prompt", "select_account"))
	p := b.get(f.authURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Acme Corp") || strings.Contains(p.body, "Ada Lovelace") {
		t.Fatalf("select_account: %d; want a page with Hank's organizations only", p.status)
	}
	tok, err := a.exchange(f, a.callback(f, b.pick(env, p, url.Values{"user": {hank}, "org": {acmeOrg}})))
	if err != nil || tok.claims["oid"] != acmeOrg {
		t.Fatalf("select_account: %v oid %v", err, tok.claims["oid"])
	}
}

// TestLogout: RP-initiated logout ends the IdP session for every app,
// revokes refresh tokens and redirects only to registered URIs.
func TestLogout(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a1 := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a2 := newApp(t, env, app2ID, app2Secret, app2Redirect)

	t.Run("ends the session everywhere", func(t *testing.T) {
		b := newBrowser(t)
		t1 := a1.login(b, "ada@acme.test")
		f := a2.start()
		t2, _ := a2.exchange(f, a2.callback(f, b.get(f.authURL)))

		u := env.URL + "/oidc/logout?" + url.Values{
			"id_token_hint":            {t1.Extra("id_token").(string)},
			"post_logout_redirect_uri": {"http://localhost:4321/"},
			"state":                    {"bye-1"},
		}.Encode()
		p := b.get(u)
		if p.status != http.StatusFound || p.location.String() != "http://localhost:4321/?state=bye-1" {
			t.Fatalf("logout: %d %v", p.status, p.location)
		}
		for i, rt := range []string{t1.RefreshToken, t2.RefreshToken} {
			v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {[]string{app1ID, app2ID}[i]}, "client_secret": {[]string{app1Secret, app2Secret}[i]}}
			postToken(t, env.URL, v, nil).wantError(t, 400, "invalid_grant")
		}
		f = a2.start(oauth2.SetAuthURLParam("prompt", "none"))
		if p := b.get(f.authURL); p.location.Query().Get("error") != "login_required" {
			t.Errorf("after logout, prompt=none: %v", p.location)
		}
	})
	t.Run("an expired hint still works", func(t *testing.T) {
		clock := &fakeClock{}
		env := startEnv(t, mockidp.Options{Now: clock.Now})
		a := newApp(t, env, app1ID, app1Secret, app1Redirect)
		b := newBrowser(t)
		hint := a.login(b, "ada@acme.test").Extra("id_token").(string)
		clock.Advance(2 * time.Hour)
		p := b.get(env.URL + "/oidc/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://localhost:4321/"}}.Encode())
		if p.status != http.StatusFound {
			t.Errorf("expired hint: %d", p.status)
		}
	})
	t.Run("unregistered URI", func(t *testing.T) {
		b := newBrowser(t)
		hint := a1.login(b, "ada@acme.test").Extra("id_token").(string)
		for _, target := range []string{"https://evil.example/", "http://localhost:4322/"} { // the second is app 2's
			p := b.get(env.URL + "/oidc/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {target}}.Encode())
			if p.status != http.StatusBadRequest || p.location != nil {
				t.Errorf("logout to %s: %d %v, want a 400 page", target, p.status, p.location)
			}
		}
	})
	t.Run("bad hint", func(t *testing.T) {
		p := newBrowser(t).get(env.URL + "/oidc/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.")
		if p.status != http.StatusBadRequest {
			t.Errorf("bad hint: %d", p.status)
		}
		other := startEnv(t, mockidp.Options{})
		foreign := newApp(t, other, app1ID, app1Secret, app1Redirect).login(newBrowser(t), "ada@acme.test").Extra("id_token").(string)
		if p := newBrowser(t).get(env.URL + "/oidc/logout?id_token_hint=" + foreign); p.status != http.StatusBadRequest {
			t.Errorf("another environment's hint: %d, want 400", p.status)
		}
	})
	t.Run("no URI shows a page", func(t *testing.T) {
		b := newBrowser(t)
		a1.login(b, "ada@acme.test")
		p := b.get(env.URL + "/oidc/logout")
		if p.status != http.StatusOK || !strings.Contains(p.body, "signed out") {
			t.Errorf("logout without URI: %d", p.status)
		}
		f := a1.start(oauth2.SetAuthURLParam("prompt", "none"))
		if p := b.get(f.authURL); p.location.Query().Get("error") != "login_required" {
			t.Errorf("the cookie alone did not end the session: %v", p.location)
		}
	})
	t.Run("2024 alias", func(t *testing.T) {
		if p := newBrowser(t).get(env.URL + "/end_session"); p.status != http.StatusOK {
			t.Errorf("/end_session: %d", p.status)
		}
	})
}

// TestSessionTimeouts: refresh fails once the IdP session's idle or
// absolute timeout passes.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	env := startEnv(t, mockidp.Options{Now: clock.Now, Lifetimes: mockidp.Lifetimes{SessionIdle: time.Hour, SessionAbsolute: 3 * time.Hour}})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	rt := a.login(newBrowser(t), "ada@acme.test").RefreshToken
	refresh := func() tokenReply {
		return postToken(t, env.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil)
	}
	for range 2 { // each refresh within the idle timeout keeps the session alive
		clock.Advance(50 * time.Minute)
		r := refresh()
		if r.status != 200 {
			t.Fatalf("refresh within idle timeout: %d %v", r.status, r.body)
		}
		rt = r.body["refresh_token"].(string)
	}
	clock.Advance(61 * time.Minute)
	refresh().wantError(t, 400, "invalid_grant")
}

// TestUserinfo: only a live access token of this environment gets claims.
func TestUserinfo(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	env := startEnv(t, mockidp.Options{Now: clock.Now})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	tok := a.login(newBrowser(t), "ada@acme.test")

	info, err := a.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok.Token))
	if err != nil {
		t.Fatalf("go-oidc UserInfo: %v", err)
	}
	var claims map[string]any
	info.Claims(&claims)
	if info.Subject != ada || info.Email != "ada@acme.test" || !info.EmailVerified || claims["name"] != "Ada Lovelace" {
		t.Errorf("userinfo: %+v %v", info, claims)
	}

	call := func(method, token string) (int, string) {
		var req *http.Request
		if method == http.MethodPost {
			req, _ = http.NewRequest(method, env.URL+"/userinfo", strings.NewReader(url.Values{"access_token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest(method, env.URL+"/userinfo", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	if status, _ := call(http.MethodPost, tok.AccessToken); status != 200 {
		t.Errorf("form-body token: %d", status)
	}
	m2m := postToken(t, env.URL, url.Values{"grant_type": {"client_credentials"}, "client_id": {m2mID}, "client_secret": {m2mSecret}}, nil).body["access_token"].(string)
	for name, token := range map[string]string{
		"none": "", "garbage": "abc.def.ghi", "ID token": tok.Extra("id_token").(string),
		"refresh token": tok.RefreshToken, "M2M token": m2m,
	} {
		if status, www := call(http.MethodGet, token); status != 401 || !strings.Contains(www, `error="invalid_token"`) {
			t.Errorf("%s: %d %q, want 401 invalid_token", name, status, www)
		}
	}
	clock.Advance(6 * time.Minute)
	if status, _ := call(http.MethodGet, tok.AccessToken); status != 401 {
		t.Errorf("expired access token: %d, want 401", status)
	}
}

// TestConcurrentLogins: 64 browsers sign in at once, through the page and
// with login_hint, across both apps; every one gets its own verified
// session. Run with -race.
func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	apps := []*app{newApp(t, env, app1ID, app1Secret, app1Redirect), newApp(t, env, app2ID, app2Secret, app2Redirect)}
	var mu sync.Mutex
	sids := map[any]bool{}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			a, b := apps[i%2], newBrowser(t)
			var tok *tokens
			if i%4 < 2 {
				tok = a.login(b, "grace@acme.test")
			} else {
				f := a.start()
				var err error
				tok, err = a.exchange(f, a.callback(f, b.pick(env, b.get(f.authURL), url.Values{"user": {hank}, "org": {globexOrg}})))
				if err != nil {
					t.Error(err)
					return
				}
			}
			mu.Lock()
			sids[tok.claims["sid"]] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(sids) != 64 {
		t.Errorf("%d distinct sessions for 64 logins", len(sids))
	}
	if s := env.Stats(); s.Sessions != 64 || s.RefreshTokens != 64 || s.Codes != 0 || s.PendingLogins != 0 {
		t.Errorf("after 64 logins: %+v", s)
	}
}

// TestSweep: expired codes, pages, sessions and their refresh tokens are
// dropped, so memory stays flat.
func TestSweep(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	env := startEnv(t, mockidp.Options{Now: clock.Now})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	for range 5 {
		a.login(newBrowser(t), "ada@acme.test")
	}
	codeFor(t, env.URL, app1ID, app1Redirect, "openid") // an unredeemed code
	newBrowser(t).get(a.start().authURL)                // an unanswered page
	before := env.Stats()
	if before.Sessions != 6 || before.RefreshTokens != 5 || before.Codes != 1 || before.PendingLogins != 1 {
		t.Fatalf("before: %+v", before)
	}
	clock.Advance(time.Hour)
	env.Sweep()
	if s := env.Stats(); s.Codes != 0 || s.PendingLogins != 0 || s.Sessions != 6 {
		t.Errorf("after an hour: %+v; want codes and pages gone, sessions kept", s)
	}
	clock.Advance(25 * time.Hour)
	env.Sweep()
	if s := env.Stats(); s != (store.Stats{}) {
		t.Errorf("after the idle timeout: %+v; want everything gone", s)
	}
}

// TestSessionForAnotherOrganization: a request routed to another
// organization than the session's signs in anew rather than reusing it.
func TestSessionForAnotherOrganization(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	f := a.start(oauth2.SetAuthURLParam("organization_id", globexOrg))
	a.exchange(f, a.callback(f, b.pick(env, b.get(f.authURL), url.Values{"user": {hank}, "org": {globexOrg}})))

	f = a.start(oauth2.SetAuthURLParam("organization_id", globexOrg), oauth2.SetAuthURLParam("prompt", "none"))
	a.callback(f, b.get(f.authURL)) // same organization: silent
	f = a.start(oauth2.SetAuthURLParam("organization_id", acmeOrg), oauth2.SetAuthURLParam("prompt", "none"))
	if p := b.get(f.authURL); p.location.Query().Get("error") != "login_required" {
		t.Errorf("prompt=none for another organization: %v, want login_required", p.location)
	}
	f = a.start(oauth2.SetAuthURLParam("organization_id", acmeOrg))
	if p := b.get(f.authURL); p.status != http.StatusOK || !strings.Contains(p.body, "Acme Corp") {
		t.Errorf("another organization: %d, want its sign-in page", p.status)
	}
}

// TestLoginHintSwitchesUser: with a live session, a login_hint naming
// another seeded user signs that user in; one naming the session's user
// reuses the session.
func TestLoginHintSwitchesUser(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)
	first := a.login(b, "ada@acme.test")
	again := a.login(b, "ada@acme.test")
	if again.claims["sid"] != first.claims["sid"] {
		t.Errorf("the same hint started a new session")
	}
	other := a.login(b, "grace@acme.test")
	if other.idToken.Subject == ada {
		t.Errorf("a hint for another user was answered with the session's user")
	}
}

// TestRoutedOrganizationNonMember: a hinted user who is not a member of
// the requested organization signs in to their own, and oid and amr agree.
func TestRoutedOrganizationNonMember(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	f := a.start(oauth2.SetAuthURLParam("organization_id", globexOrg), oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))
	tok, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
	if err != nil {
		t.Fatal(err)
	}
	if amr := strs(tok.claims["amr"]); tok.claims["oid"] != acmeOrg || len(amr) != 1 || amr[0] != acmeConn {
		t.Errorf("oid %v, amr %v; want %s through %s", tok.claims["oid"], tok.claims["amr"], acmeOrg, acmeConn)
	}
}
