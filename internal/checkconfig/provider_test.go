package checkconfig

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
)

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
