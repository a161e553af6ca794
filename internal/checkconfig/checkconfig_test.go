package checkconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/skctl/skctl/internal/config"
)

// rowID matches what a message or hint must not cite: a requirement row
// ("C10", "F1"), a contract section, or the documents they live in.
var rowID = regexp.MustCompile(`\b[A-K][0-9]{1,2}\b|§|serve-security|contract|shared\/`)

// citesNoRows fails the test when a check's message or hint cites a row:
// the user is told the reason in words.
func citesNoRows(t *testing.T, r *Report) {
	t.Helper()
	for _, c := range r.Checks {
		if m := rowID.FindString(c.Message + " " + c.Hint); m != "" {
			t.Errorf("%s cites %q: %s / %s", c.ID, m, c.Message, c.Hint)
		}
	}
}

// TestResult: unreachable beats failed beats warned (with strict).
func TestResult(t *testing.T) {
	r := &Report{}
	r.add("a", pass("ok"))
	r.add("b", warn("hmm", "do x"))
	if r.Result(false) != Passed || r.Result(true) != Failed {
		t.Errorf("warn: %d / strict %d", r.Result(false), r.Result(true))
	}
	r.add("c", fail("bad", "do y"))
	if r.Result(false) != Failed {
		t.Errorf("fail: %d", r.Result(false))
	}
	r.add("d", result{status: Fail, message: "gone", hint: "h", unreachable: true})
	if !r.Unreachable || r.Result(false) != Unreachable {
		t.Errorf("unreachable: %d", r.Result(false))
	}
}

// TestChecksDeclared: IDs are unique, a check needs only checks declared
// before it, and every setting serve reads has exactly one settings check
// (so check-config judges every value serve would refuse); the check of
// stray variables, like the settings checks, needs no network.
func TestChecksDeclared(t *testing.T) {
	seen := map[CheckID]bool{}
	bySetting := map[string]int{}
	for _, c := range checks() {
		if seen[c.id] {
			t.Errorf("%s is declared twice", c.id)
		}
		for _, n := range c.needs {
			if !seen[n] {
				t.Errorf("%s needs %s, which is not declared before it", c.id, n)
			}
		}
		seen[c.id] = true
		if c.strays {
			if c.setting != "" || c.network || len(c.needs) > 0 {
				t.Errorf("the stray variables' check %s judges a setting or needs the network or another check", c.id)
			}
		} else if c.setting != "" {
			bySetting[c.setting]++
			if c.network || len(c.needs) > 0 {
				t.Errorf("settings check %s needs the network or another check", c.id)
			}
		} else if !c.network {
			t.Errorf("%s judges no setting and needs no network", c.id)
		}
		for _, env := range c.needsSet {
			if _, ok := config.Lookup(env); !ok {
				t.Errorf("%s needs an unknown setting %s", c.id, env)
			}
		}
	}
	for _, s := range config.Settings() {
		if bySetting[s.Env] != 1 {
			t.Errorf("%s has %d settings checks, want 1", s.Env, bySetting[s.Env])
		}
	}
}

// TestSettingsUseServeValidators: each settings check fails a value with
// the message and hint of the setting's own validator, the one serve uses.
func TestSettingsUseServeValidators(t *testing.T) {
	bad := map[string]string{
		config.EnvEnvironmentURL: "http://acme.scalekit.dev",
		config.EnvClientID:       "skc 1",
		config.EnvClientSecret:   "",
		config.EnvRedirectURI:    "https://app.example.com/auth/cb",
		config.EnvPostLogoutURI:  "http://app.example.com/",
		config.EnvCookieSecret:   "c2hvcnQ=",
		config.EnvAddr:           "4321",
		config.EnvUserinfo:       "maybe",
		config.EnvTokenAuth:      "private_key_jwt",
		config.EnvMetricsAddr:    "9464",
		config.EnvRedisURL:       "http://:hunter2@cache:6379",
	}
	ids := map[string]CheckID{}
	for _, c := range checks() {
		if c.setting != "" {
			ids[c.setting] = c.id
		}
	}
	r := Run(context.Background(), Options{Offline: true, Settings: Settings(bad)})
	citesNoRows(t, r)
	for _, s := range config.Settings() {
		v, ok := bad[s.Env]
		if !ok {
			t.Errorf("no bad value of %s in this test", s.Env)
			continue
		}
		f := s.Validate(v)
		if f == nil {
			t.Errorf("%s accepts %q", s.Env, v)
			continue
		}
		got, _ := r.Find(ids[s.Env])
		if got.Status != Fail || got.Message != s.Env+" "+f.Message || got.Hint != f.Hint {
			t.Errorf("%s: %+v, want fail %q, hint %q", ids[s.Env], got, f.Message, f.Hint)
		}
	}
}

// TestOfflineSettings: the settings checks judge values without a network,
// optional settings left unset are not reported, and every network check
// is skipped for --offline.
func TestOfflineSettings(t *testing.T) {
	settings := Settings{
		config.EnvEnvironmentURL: "https://acme.scalekit.dev",
		config.EnvClientID:       "skc_1",
		config.EnvClientSecret:   "xxxxxxxx",
		config.EnvRedirectURI:    "https://app.example.com/api/auth/callback?next=1",
		config.EnvCookieSecret:   "dG9vIHNob3J0",
	}
	r := Run(context.Background(), Options{Offline: true, Settings: settings})
	want := map[CheckID]Status{
		SettingsEnvironmentURL: Pass, SettingsClientID: Pass, SettingsClientSecret: Warn,
		SettingsRedirectURI: Fail, SettingsCookieSecret: Fail,
	}
	for _, c := range r.Checks {
		if c.ID == "" || ((c.Status == Fail || c.Status == Warn) && c.Hint == "") {
			t.Errorf("%+v: no ID or no hint", c)
		}
		if s, ok := want[c.ID]; ok && c.Status != s {
			t.Errorf("%s = %s, want %s", c.ID, c.Status, s)
		}
		if !strings.HasPrefix(string(c.ID), "settings.") && (c.Status != Skipped || c.Message != "skipped: --offline") {
			t.Errorf("%s = %s %q, want skipped for --offline", c.ID, c.Status, c.Message)
		}
	}
	if got, want := ids(r), IDs(Options{Settings: settings}); !slices.Equal(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
	if _, ok := r.Find(SettingsPostLogoutURI); ok {
		t.Errorf("an unset optional setting was reported")
	}
}

func ids(r *Report) []CheckID {
	var out []CheckID
	for _, c := range r.Checks {
		out = append(out, c.ID)
	}
	return out
}

// fakeEnv answers requests in-process, recording them.
type fakeEnv struct {
	mu    sync.Mutex
	seen  []string
	serve func(*http.Request) (int, any)
}

func (f *fakeEnv) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.seen = append(f.seen, req.Method+" "+req.URL.String())
	f.mu.Unlock()
	code, body := f.serve(req)
	b, _ := json.Marshal(body)
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(b)), Request: req}, nil
}

func (f *fakeEnv) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

// TestRunnerSkips: the runner skips what a failed check or an unset
// setting leaves unanswerable, with the reason, and sends nothing to an
// untrustworthy endpoint.
func TestRunnerSkips(t *testing.T) {
	const env = "https://acme.scalekit.test"
	good := Settings{config.EnvEnvironmentURL: env, config.EnvClientID: "skc_1", config.EnvClientSecret: "s3cret-value"}
	t.Run("unusable environment URL", func(t *testing.T) {
		f := &fakeEnv{serve: func(*http.Request) (int, any) { return 500, nil }}
		r := Run(context.Background(), Options{Settings: Settings{config.EnvEnvironmentURL: "acme"}, Client: &http.Client{Transport: f}})
		if c, _ := r.Find(DiscoveryFetch); c.Status != Skipped || c.Message != "skipped: SCALEKIT_ENVIRONMENT_URL is unusable" || len(f.requests()) > 0 {
			t.Errorf("%+v, requests %v", c, f.requests())
		}
	})
	t.Run("no discovery document", func(t *testing.T) {
		f := &fakeEnv{serve: func(*http.Request) (int, any) { return 404, nil }}
		r := Run(context.Background(), Options{Settings: good, Client: &http.Client{Transport: f}})
		for _, c := range r.Checks[slices.IndexFunc(r.Checks, func(c Check) bool { return c.ID == DiscoveryFetch })+1:] {
			if c.Status != Skipped || c.Message != "skipped: "+noDiscovery {
				t.Errorf("%+v, want skipped for no discovery document", c)
			}
		}
		if got := f.requests(); len(got) != 1 || r.Result(false) != Failed {
			t.Errorf("requests %v, result %d", got, r.Result(false))
		}
	})
	t.Run("foreign token endpoint", func(t *testing.T) {
		f := &fakeEnv{serve: func(req *http.Request) (int, any) {
			return 200, map[string]any{"issuer": env, "authorization_endpoint": env + "/oauth/authorize", "token_endpoint": "https://evil.test/oauth/token",
				"jwks_uri": env + "/keys", "code_challenge_methods_supported": []string{"S256"}, "id_token_signing_alg_values_supported": []string{"RS256"}}
		}}
		r := Run(context.Background(), Options{Settings: good, Client: &http.Client{Transport: f}})
		citesNoRows(t, r)
		for _, id := range []CheckID{Credentials, RedirectRegistered, RedirectPostLogout} {
			if c, _ := r.Find(id); c.Status != Skipped || !strings.Contains(c.Message, "no secret was sent") {
				t.Errorf("%+v, want skipped for the endpoints", c)
			}
		}
		for _, req := range f.requests() {
			if strings.Contains(req, "evil.test") || strings.Contains(req, "/oauth/authorize") {
				t.Errorf("sent %s", req)
			}
		}
	})
	t.Run("client secret unset", func(t *testing.T) {
		f := &fakeEnv{serve: func(req *http.Request) (int, any) {
			return 200, map[string]any{"issuer": env, "authorization_endpoint": env + "/oauth/authorize", "token_endpoint": env + "/oauth/token",
				"jwks_uri": env + "/keys", "end_session_endpoint": env + "/oidc/logout"}
		}}
		s := Settings{config.EnvEnvironmentURL: env, config.EnvClientID: "skc_1"}
		r := Run(context.Background(), Options{Settings: s, Client: &http.Client{Transport: f}})
		citesNoRows(t, r)
		if c, _ := r.Find(Credentials); c.Status != Skipped || c.Message != "skipped: SCALEKIT_CLIENT_SECRET is not set" {
			t.Errorf("%+v", c)
		}
		for _, req := range f.requests() {
			if strings.Contains(req, "/oauth/token") {
				t.Errorf("sent %s", req)
			}
		}
	})
}

// TestGitHubEscaping: messages cannot break out of a workflow command.
func TestGitHubEscaping(t *testing.T) {
	r := &Report{}
	r.add("x", fail("line1\nline2 100%", "a:b,c"))
	var buf bytes.Buffer
	if err := r.Write(&buf, "github", false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "line1%0Aline2 100%25") {
		t.Errorf("escaping: %q", out)
	}
	if err := r.Write(&buf, "yaml", false); err == nil {
		t.Errorf("an unknown format was accepted")
	}
}

// TestTextColour: colour codes only when asked for (a terminal).
func TestTextColour(t *testing.T) {
	r := &Report{EnvironmentURL: "https://acme.scalekit.dev"}
	r.add("a", pass("ok"))
	var plain, coloured bytes.Buffer
	r.Write(&plain, "text", false)
	r.Write(&coloured, "text", true)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(coloured.String(), "\x1b[32m") {
		t.Errorf("plain %q, coloured %q", plain.String(), coloured.String())
	}
}
