package mockidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"golang.org/x/oauth2"
)

// authorizeURL builds an authorize request from scratch, so that a test can
// send what no well-behaved client would.
func authorizeURL(env string, params url.Values) string {
	return env + "/oauth/authorize?" + params.Encode()
}

func validParams() url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {app1ID},
		"redirect_uri":          {app1Redirect},
		"scope":                 {"openid profile email"},
		"state":                 {"st-123"},
		"nonce":                 {"n-456"},
		"code_challenge":        {"E9Melhoa2OwvFrEMTJguCQaoeFXLdWUVw8hT2Jt7Y3E"[:43]},
		"code_challenge_method": {"S256"},
	}
}

// TestAuthorizePageErrors: an unknown client or an unregistered redirect
// URI gets a 400 page and is never redirected to (RFC 6749 §4.1.2.1).
func TestAuthorizePageErrors(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	cases := []struct {
		name   string
		change func(url.Values)
		code   string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "skc_00000000000000000") }, "invalid_client"},
		{"no client", func(v url.Values) { v.Del("client_id") }, "invalid_client"},
		{"repeated client", func(v url.Values) { v.Add("client_id", app2ID) }, "invalid_client"},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, "invalid_redirect_uri"},
		{"redirect with trailing slash", func(v url.Values) { v.Set("redirect_uri", app1Redirect+"/") }, "invalid_redirect_uri"},
		{"redirect of another app", func(v url.Values) { v.Set("redirect_uri", app2Redirect) }, "invalid_redirect_uri"},
		{"no redirect", func(v url.Values) { v.Del("redirect_uri") }, "invalid_redirect_uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := validParams()
			tc.change(v)
			p := newBrowser(t).get(authorizeURL(env.URL, v))
			if p.status != http.StatusBadRequest || p.location != nil {
				t.Fatalf("status %d, location %v; want 400 and no redirect", p.status, p.location)
			}
			if !strings.Contains(p.body, tc.code) || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Errorf("page does not show %s as HTML: %.300s", tc.code, p.body)
			}
		})
	}
}

// TestAuthorizeRedirectErrors: every other error goes back to the redirect
// URI with error, error_description and the original state.
func TestAuthorizeRedirectErrors(t *testing.T) {
	t.Parallel()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Apps[1].EnforcePKCE = true
	env := startEnv(t, mockidp.Options{Fixtures: fx})
	cases := []struct {
		name   string
		change func(url.Values)
		code   string
	}{
		{"response_type token", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"no response_type", func(v url.Values) { v.Del("response_type") }, "invalid_request"},
		{"no openid scope", func(v url.Values) { v.Set("scope", "profile email") }, "invalid_scope"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"challenge without method", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request"},
		{"method without challenge", func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request"},
		{"PKCE required", func(v url.Values) {
			v.Set("client_id", app2ID)
			v.Set("redirect_uri", app2Redirect)
			v.Del("code_challenge")
			v.Del("code_challenge_method")
		}, "invalid_request"},
		{"repeated scope", func(v url.Values) { v.Add("scope", "openid") }, "invalid_request"},
		{"unknown organization", func(v url.Values) { v.Set("organization_id", "org_11111111111111111") }, "invalid_organization_id"},
		{"unknown connection", func(v url.Values) { v.Set("connection_id", "conn_11111111111111111") }, "invalid_connection_id"},
		{"unknown provider", func(v url.Values) { v.Set("provider", "myspace") }, "invalid_request"},
		{"prompt none without session", func(v url.Values) { v.Set("prompt", "none") }, "login_required"},
		{"prompt none with login", func(v url.Values) { v.Set("prompt", "none login") }, "invalid_request"},
		{"m2m client", func(v url.Values) { v.Set("client_id", m2mID) }, "invalid_redirect_uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := validParams()
			tc.change(v)
			p := newBrowser(t).get(authorizeURL(env.URL, v))
			if tc.code == "invalid_redirect_uri" { // the M2M app has no redirect URIs at all
				if p.status != http.StatusBadRequest || p.location != nil {
					t.Fatalf("status %d, location %v; want a 400 page", p.status, p.location)
				}
				return
			}
			if p.status != http.StatusFound || p.location == nil {
				t.Fatalf("status %d; want a redirect: %.300s", p.status, p.body)
			}
			q := p.location.Query()
			if q.Get("error") != tc.code || q.Get("error_description") == "" || q.Get("state") != "st-123" {
				t.Errorf("redirect query %v; want error=%s, a description and state=st-123", q, tc.code)
			}
			if q.Get("code") != "" {
				t.Errorf("an error redirect carries a code")
			}
		})
	}
}

// TestCancelIsAccessDenied: the page's cancel button sends access_denied.
func TestCancelIsAccessDenied(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	p := b.pick(env, b.get(authorizeURL(env.URL, validParams())), url.Values{"cancel": {"1"}})
	if p.location == nil || p.location.Query().Get("error") != "access_denied" || p.location.Query().Get("state") != "st-123" {
		t.Fatalf("cancel: got %d %v", p.status, p.location)
	}
}

// TestSignInPageIsOneTime: a sign-in page answers once; a replayed form is
// refused with a page, not a code.
func TestSignInPageIsOneTime(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	page := b.get(authorizeURL(env.URL, validParams()))
	handle := handleRE.FindStringSubmatch(page.body)[1]
	form := url.Values{"handle": {handle}, "user": {ada}, "org": {acmeOrg}}
	if p := b.postForm(env.URL+"/oauth/login", form); p.status != http.StatusFound {
		t.Fatalf("first answer: %d", p.status)
	}
	if p := b.postForm(env.URL+"/oauth/login", form); p.status != http.StatusBadRequest || p.location != nil {
		t.Fatalf("replayed answer: %d %v, want a 400 page", p.status, p.location)
	}
}

// TestSignInPageRefusesBadChoices: a user of another organization or a
// malformed email shows the page again with the problem.
func TestSignInPageRefusesBadChoices(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	p := b.pick(env, b.get(authorizeURL(env.URL, validParams())), url.Values{"user": {ada}, "org": {globexOrg}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "not in that organization") {
		t.Fatalf("wrong org: %d %.200s", p.status, p.body)
	}
	p = b.pick(env, p, url.Values{"email": {"not-an-email"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "Enter an email address") {
		t.Fatalf("bad email: %d %.200s", p.status, p.body)
	}
}

// TestRouting: organization_id, connection_id, domain and provider pick the
// organization and connection that end up in oid and amr.
func TestRouting(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	cases := []struct {
		name            string
		param, value    string
		wantOrg, wantIn string
	}{
		{"organization_id", "organization_id", globexOrg, globexOrg, "Hank Scorpio"},
		{"connection_id", "connection_id", acmeConn, acmeOrg, "Ada Lovelace"},
		{"domain", "domain", "globex.test", globexOrg, "Hank Scorpio"},
		{"domain_hint", "domain_hint", "acme.test", acmeOrg, "Grace Hopper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			f := a.start(oauth2.SetAuthURLParam(tc.param, tc.value))
			page := b.get(f.authURL)
			if !strings.Contains(page.body, tc.wantIn) {
				t.Fatalf("page for %s=%s lacks %s", tc.param, tc.value, tc.wantIn)
			}
			code := a.callback(f, b.pick(env, page, url.Values{"user": {hank}, "org": {tc.wantOrg}}))
			tok, err := a.exchange(f, code)
			if err != nil {
				t.Fatal(err)
			}
			if tok.claims["oid"] != tc.wantOrg {
				t.Errorf("oid = %v, want %s", tok.claims["oid"], tc.wantOrg)
			}
			if tc.param == "connection_id" {
				if amr, _ := tok.claims["amr"].([]any); len(amr) != 1 || amr[0] != acmeConn {
					t.Errorf("amr = %v, want [%s]", tok.claims["amr"], acmeConn)
				}
			}
		})
	}
	t.Run("provider", func(t *testing.T) {
		b := newBrowser(t)
		f := a.start(oauth2.SetAuthURLParam("provider", "google"), oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))
		tok, err := a.exchange(f, a.callback(f, b.get(f.authURL)))
		if err != nil {
			t.Fatal(err)
		}
		amr, _ := tok.claims["amr"].([]any)
		if len(amr) != 1 || !strings.HasPrefix(amr[0].(string), "conn_") || amr[0] == acmeConn {
			t.Errorf("amr = %v, want the google social connection", tok.claims["amr"])
		}
	})
}

// TestLoginHintAndAutoLogin: headless sign-in for CI. An unknown hint falls
// through to the page with the email filled in.
func TestLoginHintAndAutoLogin(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	if tok := a.login(newBrowser(t), "Grace@Acme.test"); tok.claims["email"] != "grace@acme.test" {
		t.Errorf("login_hint: email = %v", tok.claims["email"])
	}
	f := a.start(oauth2.SetAuthURLParam("login_hint", "nobody@nowhere.test"))
	if p := newBrowser(t).get(f.authURL); p.status != http.StatusOK || !strings.Contains(p.body, `value="nobody@nowhere.test"`) {
		t.Errorf("unknown hint: %d, want the page with the email filled in", p.status)
	}

	auto := startEnv(t, mockidp.Options{AutoLogin: "hank@globex.test"})
	a = newApp(t, auto, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)
	f = a.start()
	tok, err := a.exchange(f, a.callback(f, b.get(f.authURL)))
	if err != nil {
		t.Fatal(err)
	}
	if tok.idToken.Subject != hank {
		t.Errorf("auto-login: sub = %s, want %s", tok.idToken.Subject, hank)
	}
	if _, err := mockidp.New(mockidp.Options{Issuer: "http://127.0.0.1:1", AutoLogin: "ghost@acme.test"}); err == nil || !strings.Contains(err.Error(), "ada@acme.test") {
		t.Errorf("unknown --auto-login: err = %v, want one listing the users", err)
	}
}

// TestSignUpWithUnknownEmail: an email not in the fixtures signs up a new
// user with a usr_ ID, who then signs in again as the same user.
func TestSignUpWithUnknownEmail(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	var subs []string
	for range 2 {
		b := newBrowser(t)
		f := a.start(oauth2.SetAuthURLParam("prompt", "create"))
		page := b.get(f.authURL)
		if !strings.Contains(page.body, "Create your account") {
			t.Fatalf("prompt=create: not the sign-up page")
		}
		tok, err := a.exchange(f, a.callback(f, b.byEmail(env, page, "new.person@startup.test")))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, tok.idToken.Subject)
		if oid, _ := tok.claims["oid"].(string); !strings.HasPrefix(oid, "org_") || len(oid) != len("org_")+17 {
			t.Errorf("oid = %q, want a new org_ ID", oid)
		}
	}
	if !strings.HasPrefix(subs[0], "usr_") || len(subs[0]) != len("usr_")+17 || subs[0] != subs[1] {
		t.Errorf("subjects %v: want one usr_ ID of 17 digits, twice", subs)
	}
}
