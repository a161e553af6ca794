package mockidp_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"golang.org/x/oauth2"
)

// fakeClock is the mock's clock, moved forward by tests.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// tokenReply is a raw token-endpoint answer.
type tokenReply struct {
	status int
	header http.Header
	body   map[string]any
}

func postToken(t testing.TB, env string, form url.Values, mutate func(*http.Request)) tokenReply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := tokenReply{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&r.body); err != nil {
		t.Fatalf("token endpoint answered %d with a body that is not JSON: %v", resp.StatusCode, err)
	}
	return r
}

func (r tokenReply) wantError(t testing.TB, status int, code string) {
	t.Helper()
	if r.status != status || r.body["error"] != code || r.body["error_description"] == nil {
		t.Errorf("got %d error=%v (%v); want %d error=%s with a description", r.status, r.body["error"], r.body["error_description"], status, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// codeFor runs the authorize step with login_hint and returns the code and
// the PKCE verifier.
func codeFor(t testing.TB, env, clientID, redirect, scope string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	v := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"scope": {scope}, "state": {"s"}, "login_hint": {"ada@acme.test"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	p := newBrowser(t).get(authorizeURL(env, v))
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %v %.200s", p.status, p.location, p.body)
	}
	return p.location.Query().Get("code"), verifier
}

func codeForm(code, verifier string) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app1Redirect},
		"client_id": {app1ID}, "client_secret": {app1Secret}, "code_verifier": {verifier},
	}
}

// TestCodeGrantErrors covers every way a code redemption fails (contract §5).
func TestCodeGrantErrors(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	env := startEnv(t, mockidp.Options{Now: clock.Now})
	scope := "openid email"
	cases := []struct {
		name   string
		change func(url.Values)
		status int
		code   string
	}{
		{"wrong secret", func(v url.Values) { v.Set("client_secret", "nope") }, 401, "invalid_client"},
		{"unknown client", func(v url.Values) { v.Set("client_id", "skc_1") }, 401, "invalid_client"},
		{"no credentials", func(v url.Values) { v.Del("client_id"); v.Del("client_secret") }, 401, "invalid_client"},
		{"another client's code", func(v url.Values) { v.Set("client_id", app2ID); v.Set("client_secret", app2Secret) }, 400, "invalid_grant"},
		{"redirect_uri mismatch", func(v url.Values) { v.Set("redirect_uri", app1Redirect+"?x=1") }, 400, "invalid_grant"},
		{"no redirect_uri", func(v url.Values) { v.Del("redirect_uri") }, 400, "invalid_grant"},
		{"wrong verifier", func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }, 400, "invalid_grant"},
		{"no verifier", func(v url.Values) { v.Del("code_verifier") }, 400, "invalid_grant"},
		{"short verifier", func(v url.Values) { v.Set("code_verifier", "abc") }, 400, "invalid_grant"},
		{"unknown code", func(v url.Values) { v.Set("code", "made-up") }, 400, "invalid_grant"},
		// The client before the grant: check-config proves credentials so.
		{"unknown code, wrong secret", func(v url.Values) { v.Set("code", "made-up"); v.Set("client_secret", "nope") }, 401, "invalid_client"},
		{"no code", func(v url.Values) { v.Del("code") }, 400, "invalid_request"},
		{"no grant_type", func(v url.Values) { v.Del("grant_type") }, 400, "invalid_request"},
		{"unknown grant_type", func(v url.Values) { v.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		{"repeated code", func(v url.Values) { v.Add("code", "x") }, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, scope)
			form := codeForm(code, verifier)
			tc.change(form)
			postToken(t, env.URL, form, nil).wantError(t, tc.status, tc.code)
		})
	}

	t.Run("reused code", func(t *testing.T) {
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, scope)
		if r := postToken(t, env.URL, codeForm(code, verifier), nil); r.status != 200 {
			t.Fatalf("first use: %d %v", r.status, r.body)
		}
		postToken(t, env.URL, codeForm(code, verifier), nil).wantError(t, 400, "invalid_grant")
	})
	t.Run("expired code", func(t *testing.T) {
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, scope)
		clock.Advance(11 * time.Minute)
		defer clock.Advance(-11 * time.Minute)
		postToken(t, env.URL, codeForm(code, verifier), nil).wantError(t, 400, "invalid_grant")
	})
	t.Run("verifier without challenge", func(t *testing.T) {
		v := validParams()
		v.Del("code_challenge")
		v.Del("code_challenge_method")
		v.Set("login_hint", "ada@acme.test")
		p := newBrowser(t).get(authorizeURL(env.URL, v))
		form := codeForm(p.location.Query().Get("code"), oauth2.GenerateVerifier())
		postToken(t, env.URL, form, nil).wantError(t, 400, "invalid_grant")
	})
	t.Run("GET is 405", func(t *testing.T) {
		resp, err := http.Get(env.URL + "/oauth/token")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /oauth/token: %d, want 405", resp.StatusCode)
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		r := postToken(t, env.URL, url.Values{}, func(r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			r.Body = http.NoBody
		})
		r.wantError(t, 400, "invalid_request")
	})
}

// TestClientAuthentication: client_secret_post and client_secret_basic
// both work; a stray Bearer header is ignored; Basic and body must agree.
func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	cc := func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
		}
	}
	post := func() url.Values {
		v := cc()
		v.Set("client_id", m2mID)
		v.Set("client_secret", m2mSecret)
		return v
	}
	if r := postToken(t, env.URL, post(), nil); r.status != 200 {
		t.Errorf("client_secret_post: %d %v", r.status, r.body)
	}
	if r := postToken(t, env.URL, cc(), basic(m2mID, m2mSecret)); r.status != 200 {
		t.Errorf("client_secret_basic: %d %v", r.status, r.body)
	}
	if r := postToken(t, env.URL, post(), func(r *http.Request) { r.Header.Set("Authorization", "Bearer some-management-token") }); r.status != 200 {
		t.Errorf("stray Bearer header: %d %v, want it ignored", r.status, r.body)
	}
	r := postToken(t, env.URL, cc(), basic(m2mID, "wrong"))
	r.wantError(t, 401, "invalid_client")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("401 after Basic lacks WWW-Authenticate: Basic")
	}
	v := cc()
	v.Set("client_id", app1ID)
	postToken(t, env.URL, v, basic(m2mID, m2mSecret)).wantError(t, 400, "invalid_request")
	postToken(t, env.URL, cc(), func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }).wantError(t, 401, "invalid_client")

	// x/oauth2 with AuthStyleInHeader is a real client_secret_basic client.
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := oauth2.Config{ClientID: app1ID, ClientSecret: app1Secret, RedirectURL: app1Redirect,
			Endpoint: oauth2.Endpoint{TokenURL: env.URL + "/oauth/token", AuthStyle: style}}
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, "openid")
		if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
			t.Errorf("x/oauth2 auth style %d: %v", style, err)
		}
	}
}

// TestClientCredentials: the M2M token's claims and types (contract §7).
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	r := postToken(t, env.URL, url.Values{"grant_type": {"client_credentials"}, "client_id": {m2mID}, "client_secret": {m2mSecret}}, nil)
	if r.status != 200 || r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(86399) || r.body["scope"] != "invoices:read invoices:write" {
		t.Fatalf("client_credentials: %d %v", r.status, r.body)
	}
	if r.body["id_token"] != nil || r.body["refresh_token"] != nil {
		t.Errorf("client_credentials returned an ID or refresh token")
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("token response caching headers: %v", r.header)
	}
	claims := jwtClaims(t, r.body["access_token"].(string))
	if claims["sub"] != m2mID || claims["client_id"] != m2mID || claims["oid"] != acmeOrg || claims["sid"] != nil {
		t.Errorf("M2M claims: %v", claims)
	}
	if jti, _ := claims["jti"].(string); !strings.HasPrefix(jti, "tkn_") {
		t.Errorf("jti = %v, want tkn_…", claims["jti"])
	}
	postToken(t, env.URL, url.Values{"grant_type": {"client_credentials"}, "client_id": {m2mID}, "client_secret": {m2mSecret}, "scope": {"payroll:write"}}, nil).wantError(t, 400, "invalid_scope")

	fx, _ := fixture.Default()
	fx.Apps[0].Grants = []string{"authorization_code", "refresh_token"}
	env2 := startEnv(t, mockidp.Options{Fixtures: fx})
	postToken(t, env2.URL, url.Values{"grant_type": {"client_credentials"}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil).wantError(t, 400, "unauthorized_client")
}

// TestRefreshRotation: a refresh returns new tokens, the old refresh token
// dies at once, a replay is invalid_grant, and the family stays valid.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	first := a.login(newBrowser(t), "ada@acme.test")

	refresh := func(rt string, extra url.Values) tokenReply {
		v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app1ID}, "client_secret": {app1Secret}}
		for k, vs := range extra {
			v[k] = vs
		}
		return postToken(t, env.URL, v, nil)
	}
	r := refresh(first.RefreshToken, nil)
	if r.status != 200 {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	second, _ := r.body["refresh_token"].(string)
	if second == "" || second == first.RefreshToken || r.body["access_token"] == first.AccessToken {
		t.Fatalf("refresh did not rotate: %v", r.body)
	}
	idt := a.verify((&oauth2.Token{AccessToken: r.body["access_token"].(string)}).WithExtra(map[string]any{"id_token": r.body["id_token"]}), "")
	if idt.claims["nonce"] != nil || idt.claims["sid"] != first.claims["sid"] || idt.idToken.Subject != ada {
		t.Errorf("refreshed ID token: %v", idt.claims)
	}
	refresh(first.RefreshToken, nil).wantError(t, 400, "invalid_grant")
	if r := refresh(second, nil); r.status != 200 {
		t.Errorf("the family died with the replay: %d %v", r.status, r.body)
	} else {
		second = r.body["refresh_token"].(string)
	}
	refresh(second, url.Values{"scope": {"openid admin"}}).wantError(t, 400, "invalid_scope")

	// x/oauth2's TokenSource refreshes through the same endpoint.
	expired := &oauth2.Token{AccessToken: "x", RefreshToken: second, Expiry: time.Now().Add(-time.Minute)}
	tok, err := a.cfg.TokenSource(t.Context(), expired).Token()
	if err != nil || tok.RefreshToken == second || tok.Expiry.Sub(time.Now()) > 301*time.Second {
		t.Errorf("x/oauth2 refresh: %v, token %+v", err, tok)
	}

	// The other app cannot use this app's refresh token.
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {app2ID}, "client_secret": {app2Secret}}
	postToken(t, env.URL, v, nil).wantError(t, 400, "invalid_grant")

	// No offline_access, no refresh token.
	plain := newApp(t, env, app1ID, app1Secret, app1Redirect, "openid", "email")
	if tok := plain.login(newBrowser(t), "ada@acme.test"); tok.RefreshToken != "" {
		t.Errorf("refresh token issued without offline_access")
	}
}

// TestConcurrentRefreshOneWins: of many refreshes with one token, exactly
// one succeeds (an atomic swap in the store).
func TestConcurrentRefreshOneWins(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	rt := a.login(newBrowser(t), "ada@acme.test").RefreshToken
	var ok, bad atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			r := postToken(t, env.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil)
			if r.status == 200 {
				ok.Add(1)
			} else if r.body["error"] == "invalid_grant" {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || bad.Load() != 15 {
		t.Errorf("%d refreshes succeeded and %d failed with invalid_grant; want 1 and 15", ok.Load(), bad.Load())
	}
}

// jwtClaims decodes a JWT's payload without verifying it (tests that need
// verification use go-oidc).
func jwtClaims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func jwtHeader(t testing.TB, jwt string) map[string]any {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(h, &m)
	return m
}
