package mockidp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	"golang.org/x/oauth2"
)

// The default fixtures' apps and users (fixtures/default.yaml).
const (
	app1ID       = "skc_59615193906741387"
	app1Secret   = "test_secret_d8f1c5a2e0b94f7a9c3e6b1d"
	app1Redirect = "http://localhost:4321/api/auth/callback"
	app2ID       = "skc_59615193906806923"
	app2Secret   = "test_secret_7b2e9f4c1a6d48e3b5f0c8a2"
	app2Redirect = "http://localhost:4322/api/auth/callback"
	m2mID        = "m2morg_59615193906872459"
	m2mSecret    = "test_secret_4c9a1e7f2b5d4086a3e1f9c7"
	acmeOrg      = "org_59615193906282635"
	globexOrg    = "org_59615193906413707"
	acmeConn     = "conn_59615193906348171"
	ada          = "usr_59615193906544779"
	hank         = "usr_59615193906675851"
)

// browser is a cookie-jar client that follows no redirects, so each hop of
// a flow is asserted (zitadel's getRedirect).
type browser struct {
	t      testing.TB
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is a response with its body read.
type page struct {
	status   int
	location *url.URL
	header   http.Header
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" {
		p.location, err = url.Parse(loc)
		if err != nil {
			b.t.Fatalf("bad Location %q: %v", loc, err)
		}
	}
	return p
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) postForm(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var handleRE = regexp.MustCompile(`name="handle" value="([^"]+)"`)

// pick answers a sign-in page by choosing a user of an organization.
func (b *browser) pick(env *testenv.Env, p page, form url.Values) page {
	b.t.Helper()
	if p.status != http.StatusOK || !strings.Contains(p.body, "Sign in") && !strings.Contains(p.body, "Create your account") {
		b.t.Fatalf("want the sign-in page, got %d: %.300s", p.status, p.body)
	}
	m := handleRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("sign-in page has no handle: %.500s", p.body)
	}
	form.Set("handle", m[1])
	return b.postForm(env.URL+"/oauth/login", form)
}

// byEmail answers a sign-in page by typing an email, as a user does: the
// page emails a code, which the test reads from the mailbox's JSON (as a
// script would) and enters on the "check your email" page. It returns
// the answer to the code: a redirect to the app when the sign-in is done.
func (b *browser) byEmail(env *testenv.Env, p page, email string) page {
	b.t.Helper()
	return b.byEmailAt(env.URL, b.pick(env, p, url.Values{"email": {email}}), email)
}

// byEmailAt enters the emailed code on a "check your email" page of the
// environment at envURL.
func (b *browser) byEmailAt(envURL string, check page, email string) page {
	b.t.Helper()
	if check.status != http.StatusOK || !strings.Contains(check.body, "Check your email") {
		b.t.Fatalf("after typing %s: want the \"check your email\" page, got %d: %.300s", email, check.status, check.body)
	}
	m := handleRE.FindStringSubmatch(check.body)
	if m == nil {
		b.t.Fatalf("the \"check your email\" page has no handle: %.500s", check.body)
	}
	return b.postForm(envURL+"/oauth/passwordless", url.Values{"handle": {m[1]}, "code": {mailedCode(b.t, envURL, email)}})
}

// mailedCode reads the one-time code of the newest email to an address
// from GET /__mock/mail?to=…&last=1.
func mailedCode(t testing.TB, envURL, email string) string {
	t.Helper()
	resp, err := http.Get(envURL + "/__mock/mail?to=" + url.QueryEscape(email) + "&last=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct{ Kind, Code string }
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /__mock/mail?to=%s&last=1: %d, %v", email, resp.StatusCode, err)
	}
	if m.Kind != "passwordless" || len(m.Code) != 6 {
		t.Fatalf("the newest email to %s: kind %q, code %q; want a passwordless one with a six-digit code", email, m.Kind, m.Code)
	}
	return m.Code
}

// app is one relying party of the environment, built the way `serve` is:
// go-oidc discovery and verification, x/oauth2 for the code exchange.
type app struct {
	t        testing.TB
	env      *testenv.Env
	provider *oidc.Provider
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newApp(t testing.TB, env *testenv.Env, id, secret, redirect string, scopes ...string) *app {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: 10 * time.Second})
	provider, err := oidc.NewProvider(ctx, env.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}
	}
	return &app{
		t: t, env: env, provider: provider,
		cfg: oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(),
			RedirectURL: redirect, Scopes: scopes},
		verifier: provider.Verifier(&oidc.Config{ClientID: id}),
	}
}

// flow is one sign-in in progress: the values the app keeps between the
// redirect to the IdP and the callback.
type flow struct {
	state, nonce, verifier string
	authURL                string
}

func (a *app) start(opts ...oauth2.AuthCodeOption) *flow {
	f := &flow{state: oauth2.GenerateVerifier()[:20], nonce: oauth2.GenerateVerifier()[:20], verifier: oauth2.GenerateVerifier()}
	opts = append([]oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}, opts...)
	f.authURL = a.cfg.AuthCodeURL(f.state, opts...)
	return f
}

// callback checks that p redirects to the app's callback with the flow's
// state and returns the code.
func (a *app) callback(f *flow, p page) string {
	a.t.Helper()
	if p.status != http.StatusFound || p.location == nil {
		a.t.Fatalf("want a redirect to the app, got %d: %.300s", p.status, p.body)
	}
	q := p.location.Query()
	if got := p.location.Scheme + "://" + p.location.Host + p.location.Path; got != a.cfg.RedirectURL {
		a.t.Fatalf("redirected to %s, want %s", got, a.cfg.RedirectURL)
	}
	if q.Get("error") != "" {
		a.t.Fatalf("authorize error %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != f.state {
		a.t.Fatalf("state = %q, want %q", q.Get("state"), f.state)
	}
	return q.Get("code")
}

// tokens is the result of a verified code exchange.
type tokens struct {
	*oauth2.Token
	idToken *oidc.IDToken
	claims  map[string]any
}

// exchange redeems a code and verifies the ID token as an RP must: go-oidc
// for signature, issuer, audience and expiry; then nonce and at_hash.
func (a *app) exchange(f *flow, code string) (*tokens, error) {
	ctx := oidc.ClientContext(a.t.Context(), &http.Client{Timeout: 10 * time.Second})
	tok, err := a.cfg.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, err
	}
	return a.verify(tok, f.nonce), nil
}

func (a *app) verify(tok *oauth2.Token, nonce string) *tokens {
	a.t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		a.t.Fatalf("no id_token in the token response")
	}
	idt, err := a.verifier.Verify(a.t.Context(), raw)
	if err != nil {
		a.t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != nonce {
		a.t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		a.t.Fatalf("at_hash: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		a.t.Fatal(err)
	}
	return &tokens{Token: tok, idToken: idt, claims: claims}
}

// login runs a whole sign-in with login_hint (no page) and returns the
// verified tokens.
func (a *app) login(b *browser, email string) *tokens {
	a.t.Helper()
	f := a.start(oauth2.SetAuthURLParam("login_hint", email))
	code := a.callback(f, b.get(f.authURL))
	tok, err := a.exchange(f, code)
	if err != nil {
		a.t.Fatalf("exchange: %v", err)
	}
	return tok
}

func startEnv(t testing.TB, opts mockidp.Options) *testenv.Env {
	t.Helper()
	return testenv.Start(t, opts)
}

// tokenErr returns the RFC 6749 error code of an x/oauth2 error.
func tokenErr(t testing.TB, err error) (string, int) {
	t.Helper()
	re, ok := err.(*oauth2.RetrieveError)
	if !ok {
		t.Fatalf("want an *oauth2.RetrieveError, got %T: %v", err, err)
	}
	return re.ErrorCode, re.Response.StatusCode
}
