package e2e_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestMockIDPPrintsEnv: the four .env lines on stdout, logs on stderr.
func TestMockIDPPrintsEnv(t *testing.T) {
	t.Parallel()
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--client-id", "skc_12345678901234567",
		"--client-secret", "s3cret-value", "--redirect-uri", "http://127.0.0.1:9999/cb")
	env := envLines(t, r.stdout.String())
	want := map[string]string{
		"SCALEKIT_ENVIRONMENT_URL": "http://" + r.addr.String(),
		"SCALEKIT_CLIENT_ID":       "skc_12345678901234567",
		"SCALEKIT_CLIENT_SECRET":   "s3cret-value",
		"SCALEKIT_REDIRECT_URI":    "http://127.0.0.1:9999/cb",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%s, want %s", k, env[k], v)
		}
	}
	if strings.Contains(r.stderr.String(), "s3cret-value") {
		t.Errorf("the client secret is in the logs")
	}
	if resp := httpGet(t, env["SCALEKIT_ENVIRONMENT_URL"]+"/.well-known/openid-configuration"); resp.StatusCode != 200 {
		t.Errorf("discovery: %d", resp.StatusCode)
	}
}

// TestMockIDPRestartKeepsSessions: with --state-dir, a restart keeps the
// signing key, the browser's IdP session and the app's refresh token, so
// the app's signed-in users stay signed in.
func TestMockIDPRestartKeepsSessions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "not-yet") // made by the mock
	first := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--state-dir", dir, "--log-format", "json")
	env := envLines(t, first.stdout.String())
	issuer := env["SCALEKIT_ENVIRONMENT_URL"]

	// No keep-alive: a connection idle across the restart would end in EOF
	// on the next POST, which net/http does not retry.
	ctx := oidc.ClientContext(t.Context(), &http.Client{Transport: &http.Transport{DisableKeepAlives: true}})
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: env["SCALEKIT_CLIENT_ID"], ClientSecret: env["SCALEKIT_CLIENT_SECRET"],
		RedirectURL: env["SCALEKIT_REDIRECT_URI"], Endpoint: provider.Endpoint(),
		Scopes: []string{"openid", "email", "offline_access"}}
	// The verifier keeps the keys it fetched, as a running app does.
	verifier := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: &http.Transport{DisableKeepAlives: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(extra ...oauth2.AuthCodeOption) *oauth2.Token {
		t.Helper()
		pkce := oauth2.GenerateVerifier()
		resp, err := browser.Get(cfg.AuthCodeURL("st", append(extra, oauth2.S256ChallengeOption(pkce))...))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v", resp.StatusCode, loc)
		}
		tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatal(err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		if _, err := verifier.Verify(ctx, rawID); err != nil {
			t.Fatalf("verify: %v", err)
		}
		return tok
	}
	tok := login(oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))
	first.stop(t)

	for _, f := range []string{"signing-key.json", "state.json"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want a 0600 file", f, err, st)
		}
	}
	state, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	if strings.Contains(string(state), tok.RefreshToken) {
		t.Errorf("state.json holds a usable refresh token")
	}
	logs := first.stderr.String()
	if !strings.HasPrefix(logs, "{") || strings.Contains(logs, tok.RefreshToken) || strings.Contains(logs, tok.AccessToken) {
		t.Errorf("logs are not JSON, or hold a token:\n%s", logs)
	}

	// Same port, same state dir.
	second := startCmd(t, "mock-idp", "--addr", first.addr.String(), "--state-dir", dir)
	if got := envLines(t, second.stdout.String())["SCALEKIT_ENVIRONMENT_URL"]; got != issuer {
		t.Fatalf("issuer changed across the restart: %s, want %s", got, issuer)
	}
	refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}).Token()
	if err != nil {
		t.Fatalf("refresh after restart: %v", err)
	}
	rawID, _ := refreshed.Extra("id_token").(string)
	if _, err := verifier.Verify(ctx, rawID); err != nil {
		t.Fatalf("a token signed after the restart fails the app's cached keys: %v", err)
	}
	// The browser's IdP session survived too: no page, no hint.
	login(oauth2.SetAuthURLParam("prompt", "none"))
}

// TestCLIUsage: help, version, completion and the exit codes of usage
// errors (README, "Exit codes").
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	damaged := t.TempDir()
	os.WriteFile(filepath.Join(damaged, "signing-key.json"), []byte(`{"kid":`), 0o600)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("users:\n  - email: nope\n    colour: blue\n"), 0o600)

	cases := []struct {
		args     []string
		code     int
		inOutput string
	}{
		{[]string{"--help"}, 0, "mock-idp"},
		{[]string{"mock-idp", "--help"}, 0, "--state-dir"},
		{[]string{"--version"}, 0, "skctl version"},
		{[]string{"completion", "bash"}, 0, "bash completion"},
		{[]string{"mock-idp", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"mock-idp", "extra-arg"}, 2, "takes no arguments"},
		{[]string{"no-such-command"}, 2, "unknown command"},
		{[]string{"mock-idp", "--log-format", "xml"}, 2, "use text or json"},
		{[]string{"mock-idp", "--fixtures", "/does/not/exist.yaml"}, 2, "no such file"},
		{[]string{"mock-idp", "--fixtures", bad}, 2, "colour"},
		{[]string{"mock-idp", "--addr", ln.Addr().String()}, 2, "--addr"},
		{[]string{"mock-idp", "--addr", "127.0.0.1:0", "--issuer", "http://127.0.0.1:4400/"}, 2, "trailing slash"},
		{[]string{"mock-idp", "--addr", "127.0.0.1:0", "--auto-login", "ghost@acme.test"}, 2, "ada@acme.test"},
		{[]string{"mock-idp", "--addr", "127.0.0.1:0", "--redirect-uri", "not a uri"}, 2, "absolute URI"},
		{[]string{"mock-idp", "--addr", "127.0.0.1:0", "--state-dir", damaged}, 2, "signing-key.json is damaged: delete it"},
		{[]string{"mock-idp", "--webhook-secret", "whsec_AAAA"}, 2, "--webhook-secret needs --webhook-url"},
		{[]string{"mock-idp", "--webhook-url", "localhost:3000/hooks"}, 2, "want an absolute http(s) URL"},
		{[]string{"mock-idp", "--addr", "127.0.0.1:0", "--webhook-url", "http://localhost:3000/a", "--webhook-url", "http://localhost:3000/a"}, 2, "appears twice"},
	}
	for _, tc := range cases {
		code, out, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.inOutput) {
			t.Errorf("skctl %s: exit %d, want %d; output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.inOutput, out, errOut)
		}
	}
}

// TestCustomFixtures: a JSON fixtures file replaces the default seed: its
// app is the one printed, and its user signs in to it, with the claims
// the file gives them.
func TestCustomFixtures(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fx.json")
	if err := os.WriteFile(path, []byte(`{
  "organizations": [{"id": "org_10000000000000001", "name": "Initech", "domains": ["initech.test"]}],
  "users": [{"email": "peter@initech.test", "name": "Peter Gibbons",
             "memberships": [{"organization": "org_10000000000000001"}]}],
  "apps": [{"client_id": "webc_1", "client_secret": "x", "redirect_uris": ["http://127.0.0.1:1/cb"]}]
}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--fixtures", path, "--auto-login", "peter@initech.test")
	env := envLines(t, r.stdout.String())
	if env["SCALEKIT_CLIENT_ID"] != "webc_1" || env["SCALEKIT_CLIENT_SECRET"] != "x" || env["SCALEKIT_REDIRECT_URI"] != "http://127.0.0.1:1/cb" {
		t.Errorf("the printed app is not the file's: %v", env)
	}
	// The file's app, with the file's secret and redirect URI; the
	// auto-login user is the file's.
	_, idt := standardLogin(t, env["SCALEKIT_ENVIRONMENT_URL"], "webc_1", "x", "http://127.0.0.1:1/cb", []string{"openid", "email", "profile"})
	var claims struct {
		Email string   `json:"email"`
		Name  string   `json:"name"`
		OID   string   `json:"oid"`
		Aud   []string `json:"aud"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "peter@initech.test" || claims.Name != "Peter Gibbons" || claims.OID != "org_10000000000000001" || len(claims.Aud) != 1 || claims.Aud[0] != "webc_1" {
		t.Errorf("signed in as %+v, want Peter Gibbons of org_10000000000000001 to webc_1", claims)
	}
	if !strings.HasPrefix(idt.Subject, "usr_") {
		t.Errorf("sub %q, want a usr_ ID", idt.Subject)
	}
	resp := httpGet(t, env["SCALEKIT_ENVIRONMENT_URL"]+"/keys")
	var jwks struct{ Keys []map[string]any }
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &jwks); err != nil || len(jwks.Keys) != 1 {
		t.Errorf("/keys: %s", body)
	}
}
