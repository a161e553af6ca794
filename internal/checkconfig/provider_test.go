package checkconfig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
)

// TestPlaceholderSecretWarns: a secret that looks like documentation's
// placeholder is a warning that says why, never a failure (a real secret
// can look like one), and the value is never shown.
func TestPlaceholderSecretWarns(t *testing.T) {
	t.Parallel()
	for secret, why := range map[string]string{
		"secret":          "one of the words documentation and templates write in place of a secret",
		"<app-secret>":    "it starts with <",
		"your-app-secret": `it starts with "your"`,
		"xxxxxxxx":        "only x, * and . characters",
	} {
		r := Run(context.Background(), Options{Offline: true, Settings: Settings{
			config.EnvEnvironmentURL: "https://acme.scalekit.dev", config.EnvClientID: "skc_1", config.EnvClientSecret: secret}})
		c, _ := r.Find(SettingsClientSecret)
		if c.Status != Warn || !strings.HasPrefix(c.Message, "SCALEKIT_CLIENT_SECRET looks like a placeholder: ") || !strings.Contains(c.Message, why) {
			t.Errorf("%q: %s %q, want a warning saying %q", secret, c.Status, c.Message, why)
		}
		if secret != "secret" && strings.Contains(c.Message+c.Hint, secret) {
			t.Errorf("%q: the report shows the secret: %s / %s", secret, c.Message, c.Hint)
		}
		if !strings.Contains(c.Hint, string(Credentials)) {
			t.Errorf("%q: the hint does not point at the check that knows: %s", secret, c.Hint)
		}
		if r.Result(false) != Passed {
			t.Errorf("%q: a placeholder-looking secret failed the run", secret)
		}
	}
}

// TestEnvironmentURLSlashOffline: a trailing slash is Scalekit's rule
// only: a warning with the reason and the value to use on a Scalekit
// host, nothing elsewhere (another provider's issuer may end in one).
func TestEnvironmentURLSlashOffline(t *testing.T) {
	t.Parallel()
	check := func(env string) Check {
		r := Run(context.Background(), Options{Offline: true, Settings: Settings{
			config.EnvEnvironmentURL: env, config.EnvClientID: "skc_1", config.EnvClientSecret: "s3cret-value"}})
		c, _ := r.Find(SettingsEnvironmentURL)
		return c
	}
	c := check("https://acme.scalekit.dev/")
	if c.Status != Warn || c.Message != "SCALEKIT_ENVIRONMENT_URL ends with a slash, and a Scalekit environment's issuer has none" ||
		!strings.HasPrefix(c.Hint, "use https://acme.scalekit.dev: the tokens' iss is https://acme.scalekit.dev") {
		t.Errorf("Scalekit host: %+v", c)
	}
	for _, env := range []string{"http://localhost:9998/", "https://login.example.com/", "https://ACME.SCALEKIT.COM"} {
		if c := check(env); c.Status != Pass {
			t.Errorf("%s: %+v, want pass", env, c)
		}
	}
}

// provider is a minimal OpenID provider on loopback for the network
// checks: its issuer is issuer(its URL), and its token endpoint answers
// tokenAnswer and records each request's form and Authorization header.
type provider struct {
	*httptest.Server
	mu       sync.Mutex
	forms    []url.Values
	authz    []string
	answer   func(form url.Values, authz string) (int, string)
	issuerOf func(self string) string
}

func startProvider(t *testing.T, issuerOf func(string) string, answer func(url.Values, string) (int, string)) *provider {
	p := &provider{answer: answer, issuerOf: issuerOf}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": p.issuerOf(p.URL), "authorization_endpoint": p.URL + "/authorize",
				"token_endpoint": p.URL + "/oauth/token", "jwks_uri": p.URL + "/keys", "end_session_endpoint": p.URL + "/end_session",
				"code_challenge_methods_supported": []string{"S256"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
		case "/oauth/token":
			r.ParseForm()
			p.mu.Lock()
			p.forms, p.authz = append(p.forms, r.PostForm), append(p.authz, r.Header.Get("Authorization"))
			p.mu.Unlock()
			status, code := p.answer(r.PostForm, r.Header.Get("Authorization"))
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": code})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *provider) tokenRequests() ([]url.Values, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forms, p.authz
}

func runAgainst(p *provider, s Settings) *Report {
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return Run(context.Background(), Options{Settings: s, Client: client})
}

// TestIssuerAsDiscoveryNamesIt: an issuer that ends in a slash works when
// it is set so, and when it is set without, the one message says the
// exact value to set; the settings check never says otherwise.
func TestIssuerAsDiscoveryNamesIt(t *testing.T) {
	t.Parallel()
	p := startProvider(t, func(self string) string { return self + "/" }, func(url.Values, string) (int, string) { return 400, "invalid_grant" })
	s := Settings{config.EnvEnvironmentURL: p.URL + "/", config.EnvClientID: "web", config.EnvClientSecret: "s3cret-value"}
	r := runAgainst(p, s)
	citesNoRows(t, r)
	for _, id := range []CheckID{SettingsEnvironmentURL, DiscoveryFetch, DiscoveryIssuer} {
		if c, _ := r.Find(id); c.Status != Pass {
			t.Errorf("with the slash: %s = %+v, want pass", id, c)
		}
	}
	s[config.EnvEnvironmentURL] = p.URL
	r = runAgainst(p, s)
	if c, _ := r.Find(SettingsEnvironmentURL); c.Status != Pass {
		t.Errorf("without the slash: %+v, want pass", c)
	}
	c, _ := r.Find(DiscoveryIssuer)
	if want := "set SCALEKIT_ENVIRONMENT_URL to exactly " + p.URL + "/: tokens are checked against it byte for byte"; c.Status != Fail || c.Hint != want {
		t.Errorf("without the slash: %+v, want fail with the hint %q", c, want)
	}
}

// TestCredentialsByMadeUpCode: the credentials are proven by grants that
// cannot succeed, never by client_credentials, sent the configured way.
// invalid_client fails; invalid_grant passes only once the same request
// with a wrong secret got invalid_client (the server checks the client
// first). A server that looks at the code first (zitadel/oidc's op does)
// is asked a made-up refresh token instead; one that looks at both first
// leaves the secret unverified, a warning, never a pass.
func TestCredentialsByMadeUpCode(t *testing.T) {
	t.Parallel()
	const id, secret = "web", "s3cret-value"
	credsOf := func(form url.Values, authz string) (string, string) {
		gotID, gotSecret := form.Get("client_id"), form.Get("client_secret")
		if b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(authz, "Basic ")); err == nil && authz != "" {
			i, s, _ := strings.Cut(string(b), ":")
			gotID, _ = url.QueryUnescape(i)
			gotSecret, _ = url.QueryUnescape(s)
		}
		return gotID, gotSecret
	}
	// clientFirst answers as RFC 6749 intends; grantFirst refuses the
	// grants it names before it looks at the client.
	server := func(grantFirst ...string) func(url.Values, string) (int, string) {
		return func(form url.Values, authz string) (int, string) {
			if slices.Contains(grantFirst, form.Get("grant_type")) {
				return 400, "invalid_grant"
			}
			if i, s := credsOf(form, authz); i != id || s != secret {
				return 401, "invalid_client"
			}
			return 400, "invalid_grant"
		}
	}
	cases := []struct {
		name, method, secret string
		answer               func(url.Values, string) (int, string)
		want                 Status
		message              string
		grants               []string // the grant of each token request, in order
	}{
		{"right secret, post", "", secret, server(), Pass, "the client ID and secret are valid (client_secret_post): the token endpoint answered a made-up authorization code with invalid_grant, and the same request with a wrong secret with invalid_client",
			[]string{"authorization_code", "authorization_code"}},
		{"right secret, basic", "client_secret_basic", secret, server(), Pass, "are valid (client_secret_basic)", []string{"authorization_code", "authorization_code"}},
		{"wrong secret", "", "wrong-secret-value", server(), Fail, "the client secret does not match this client ID in this environment (the token endpoint answered invalid_client to client_secret_post)",
			[]string{"authorization_code"}},
		{"code grant not allowed", "", secret, func(url.Values, string) (int, string) { return 400, "unauthorized_client" }, Fail, "this client may not use the authorization_code grant",
			[]string{"authorization_code"}},
		{"code first, right secret", "", secret, server("authorization_code"), Pass, "answered a made-up refresh token with invalid_grant",
			[]string{"authorization_code", "authorization_code", "refresh_token", "refresh_token"}},
		{"code first, wrong secret", "", "wrong-secret-value", server("authorization_code"), Fail, "the client secret does not match",
			[]string{"authorization_code", "authorization_code", "refresh_token"}},
		{"both first, wrong secret", "", "wrong-secret-value", server("authorization_code", "refresh_token"), Warn,
			"the secret could not be verified: a made-up authorization code got invalid_grant even with a wrong secret; a made-up refresh token got invalid_grant even with a wrong secret",
			[]string{"authorization_code", "authorization_code", "refresh_token", "refresh_token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(self string) string { return self }, tc.answer)
			s := Settings{config.EnvEnvironmentURL: p.URL, config.EnvClientID: id, config.EnvClientSecret: tc.secret}
			if tc.method != "" {
				s[config.EnvTokenAuth] = tc.method
			}
			r := runAgainst(p, s)
			citesNoRows(t, r)
			c, _ := r.Find(Credentials)
			if c.Status != tc.want || !strings.Contains(c.Message, tc.message) {
				t.Errorf("%s %q, want %s %q", c.Status, c.Message, tc.want, tc.message)
			}
			if strings.Contains(c.Message+c.Hint, tc.secret) {
				t.Errorf("the report shows the secret")
			}
			forms, authz := p.tokenRequests()
			var grants []string
			for i, f := range forms {
				grants = append(grants, f.Get("grant_type"))
				switch f.Get("grant_type") {
				case "authorization_code":
					if len(f.Get("code")) < 43 || f.Get("redirect_uri") != config.DefaultRedirectURI || len(f.Get("code_verifier")) < 43 {
						t.Errorf("token request %v, want a made-up code, the redirect URI and a verifier", f)
					}
				case "refresh_token":
					if len(f.Get("refresh_token")) < 43 {
						t.Errorf("token request %v, want a made-up refresh token", f)
					}
				}
				if basic := tc.method == "client_secret_basic"; basic != strings.HasPrefix(authz[i], "Basic ") || basic == f.Has("client_secret") {
					t.Errorf("method %q: Authorization sent %v, client_secret in the body %v", tc.method, authz[i] != "", f.Has("client_secret"))
				}
				// Every other request is the control, with a wrong secret.
				if _, got := credsOf(f, authz[i]); (i%2 == 1) == (got == tc.secret) {
					t.Errorf("request %d (%s) sent the configured secret: %v", i, grants[i], got == tc.secret)
				}
			}
			if !slices.Equal(grants, tc.grants) {
				t.Errorf("token requests %v, want %v", grants, tc.grants)
			}
		})
	}
}
