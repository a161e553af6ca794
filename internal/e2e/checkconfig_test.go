package e2e_test

import (
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/skctl/skctl/internal/checkconfig"
	"github.com/skctl/skctl/internal/cli"
	"github.com/skctl/skctl/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in fixtures/golden")

// Timeouts of check-config's requests: generous on a happy path (the mock
// makes its RSA key on first use, which takes seconds on a busy machine),
// tight only where the fault under test is a timeout.
const (
	happyTimeout = "30s"
	faultTimeout = "1s"
)

// checkConfig runs `skctl check-config` with settings as flags (and the
// happy-path timeout, unless args set another) and returns its exit code
// and output.
func checkConfig(t *testing.T, settings map[string]string, args ...string) (int, string) {
	t.Helper()
	all := []string{"check-config", "--env-file", ""}
	if !slices.Contains(args, "--timeout") {
		all = append(all, "--timeout", happyTimeout)
	}
	for flagName, v := range settings {
		all = append(all, "--"+flagName, v)
	}
	var out, errOut syncBuffer
	d := cli.SystemDeps()
	d.Stdout, d.Stderr = &out, &errOut
	// No deadline of its own: each request is bounded by --timeout.
	code := cli.Run(t.Context(), append(all, args...), d)
	if errOut.String() != "" && code != cli.ExitUsage {
		t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

// reported is how many checks check-config reports for these flags, from
// the declared list: every check but those of optional settings left
// unset.
func reported(t *testing.T, flags map[string]string) int {
	t.Helper()
	s := checkconfig.Settings{}
	for name, v := range flags {
		found := false
		for _, st := range config.Settings() {
			if st.Flag == name {
				s[st.Env], found = v, true
			}
		}
		if !found {
			t.Fatalf("--%s is not a setting's flag", name)
		}
	}
	return len(checkconfig.IDs(checkconfig.Options{Settings: s}))
}

// statusOf returns the status of check id in text output.
func statusOf(out, id string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == id {
			return f[0]
		}
	}
	return ""
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "fixtures", "golden", name)
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/e2e/ -run CheckConfig -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestCheckConfigPasses: a correct configuration passes every check, and
// golden files pin the text and JSON output.
func TestCheckConfigPasses(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, nil, "http://localhost:4321")
	good := map[string]string{
		"environment-url": idp.URL, "client-id": app1ID, "client-secret": app1Secret,
		"redirect-uri": "http://localhost:4321/api/auth/callback", "post-logout-redirect-uri": "http://localhost:4321/",
	}
	code, out := checkConfig(t, good)
	if code != 0 || strings.Contains(out, "FAIL") || strings.Contains(out, "WARN") || strings.Contains(out, "SKIP") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// Only the address is replaced: the port's digits may occur in IDs.
	addr := strings.TrimPrefix(idp.URL, "http://")
	golden(t, "check-config-ok.txt", strings.ReplaceAll(out, addr, "127.0.0.1:PORT"))
	code, out = checkConfig(t, good, "--output", "json")
	var doc struct {
		Checks  []struct{ ID, Status string }
		Summary map[string]int
	}
	err := json.Unmarshal([]byte(out), &doc)
	if want := reported(t, good); err != nil || code != 0 || doc.Summary["pass"] != want || len(doc.Checks) != want {
		t.Errorf("json: exit %d %v %v, want %d passes", code, err, doc.Summary, want)
	}
	golden(t, "check-config-ok.json", strings.ReplaceAll(out, addr, "127.0.0.1:PORT"))
}

// TestCheckConfigMisconfigurations: each mistake a user can make fails the
// right check with the right hint and exit code. The mock's root page is
// hidden: that page is what tells the mock apart, so without it the mock
// passes for a Scalekit environment, and the hints are the dashboard's.
func TestCheckConfigMisconfigurations(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, nil, "http://localhost:4321")
	idp.fault("/", http.NotFound)
	base := func(kv ...string) map[string]string {
		m := map[string]string{"environment-url": idp.URL, "client-id": app1ID, "client-secret": app1Secret,
			"redirect-uri": "http://localhost:4321/api/auth/callback"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// slow never answers: "timed out" can only come from --timeout.
	slowDone := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-slowDone:
		}
	}))
	defer slow.Close()
	defer close(slowDone)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) }))
	defer garbage.Close()
	noKeys := startIdP(t, nil, "http://localhost:4321")
	noKeys.fault("/keys", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) })
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String()
	closed.Close()

	cases := []struct {
		name     string
		settings map[string]string
		code     int
		id       string
		inOutput string
		args     []string
	}{
		{"wrong secret", base("client-secret", "wrong-secret-value"), 1, "credentials.client_credentials", "the client secret does not match this client ID", nil},
		{"wrong client ID", base("client-id", "skc_99999999999999999"), 1, "redirect.registered", "does not know the client ID", nil},
		{"unregistered redirect URI", base("redirect-uri", "http://localhost:9999/api/auth/callback"), 1, "redirect.registered", "under Redirects", nil},
		{"unregistered post-logout URI", base("post-logout-redirect-uri", "http://localhost:9999/"), 1, "redirect.post_logout", "Post logout URLs", nil},
		// The mock's issuer, like Scalekit's, has no slash: discovery says
		// the exact value to set.
		{"trailing slash", base("environment-url", idp.URL+"/"), 1, "discovery.issuer", "fix: set SCALEKIT_ENVIRONMENT_URL to exactly " + idp.URL + ": tokens", nil},
		{"http environment URL", base("environment-url", "http://acme.scalekit.example"), 1, "settings.environment_url", "is not https", nil},
		{"unreachable host", base("environment-url", closedURL), 3, "discovery.fetch", "could not fetch", []string{"--timeout", faultTimeout}},
		{"slow host", base("environment-url", slow.URL), 3, "discovery.fetch", "timed out", []string{"--timeout", faultTimeout}},
		{"garbage discovery", base("environment-url", garbage.URL), 1, "discovery.fetch", "is not an OpenID discovery document", nil},
		{"JWKS without keys", base("environment-url", noKeys.URL), 1, "keys.jwks", "no RS256 key with a kid", nil},
		{"wrong callback path", base("redirect-uri", "http://localhost:4321/callback"), 1, "settings.redirect_uri", "not the app's callback", nil},
		// A placeholder only warns; the token endpoint is what refuses it.
		{"placeholder secret", base("client-secret", "<client_secret>"), 1, "credentials.client_credentials", "the client secret does not match this client ID", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, out := checkConfig(t, tc.settings, tc.args...)
			if code != tc.code || statusOf(out, tc.id) != "FAIL" || !strings.Contains(out, tc.inOutput) {
				t.Errorf("exit %d (want %d), %s = %q (want FAIL), output lacks %q:\n%s", code, tc.code, tc.id, statusOf(out, tc.id), tc.inOutput, out)
			}
			if !strings.Contains(out, "fix: ") {
				t.Errorf("no hint in:\n%s", out)
			}
			if strings.Contains(out, "wrong-secret-value") || strings.Contains(out, app1Secret) {
				t.Errorf("the output shows the client secret")
			}
			// The slow host never answers: check-config ends by the
			// --timeout it was given, not its 5 s default.
			if tc.name == "slow host" && time.Since(start) > 4*time.Second {
				t.Errorf("took %v with --timeout %s", time.Since(start), faultTimeout)
			}
		})
	}
}

// TestCheckConfigOutputs: --strict, --offline, and the github and junit
// formats.
func TestCheckConfigOutputs(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, nil, "http://localhost:4321")
	warnOnly := map[string]string{"environment-url": idp.URL, "client-id": "custom_1", "client-secret": "s3cret-value", "redirect-uri": "http://localhost:4321/api/auth/callback"}
	if code, out := checkConfig(t, warnOnly, "--offline"); code != 0 || statusOf(out, "settings.client_id") != "WARN" || statusOf(out, "discovery.fetch") != "SKIP" {
		t.Errorf("--offline with a warning: exit %d\n%s", code, out)
	}
	if code, _ := checkConfig(t, warnOnly, "--offline", "--strict"); code != 1 {
		t.Errorf("--strict with a warning: exit %d, want 1", code)
	}
	bad := map[string]string{"environment-url": idp.URL, "client-id": app1ID, "client-secret": "wrong"}
	code, out := checkConfig(t, bad, "--output", "github")
	if code != 1 || !strings.Contains(out, "::error title=check-config credentials.client_credentials::the client secret does not match") || !strings.Contains(out, "%0Afix: ") {
		t.Errorf("github output: exit %d\n%s", code, out)
	}
	code, out = checkConfig(t, bad, "--output", "junit")
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != 1 || len(suites.Suites) != 1 || suites.Suites[0].Failures != 1 || suites.Suites[0].Tests != reported(t, bad) {
		t.Fatalf("junit: exit %d %v %+v, want %d tests\n%s", code, err, suites, reported(t, bad), out)
	}
	if code, _, stderr := run(t, "check-config", "--output", "yaml"); code != 2 || !strings.Contains(stderr, "use text, json, github, junit") {
		t.Errorf("--output yaml: exit %d %s", code, stderr)
	}
}

// TestCheckConfigAgainstMockoidc: against a provider this project did not
// write, check-config reports what it lacks rather than failing blindly.
func TestCheckConfigAgainstMockoidc(t *testing.T) {
	// Not parallel: mockoidc has package-level state.
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	code, out := checkConfig(t, map[string]string{"environment-url": m.Issuer(), "client-id": m.ClientID, "client-secret": m.ClientSecret,
		"redirect-uri": "http://localhost:4321/api/auth/callback"})
	want := map[string]string{
		"settings.environment_url": "WARN", // a path: not a Scalekit URL
		"settings.client_id":       "WARN", // not a Scalekit client ID
		"discovery.fetch":          "PASS",
		"discovery.issuer":         "PASS",
		"discovery.endpoints":      "WARN", // no end_session_endpoint
		"keys.jwks":                "PASS",
		"redirect.registered":      "PASS", // mockoidc registers no redirect URIs
	}
	for id, status := range want {
		if got := statusOf(out, id); got != status {
			t.Errorf("%s = %s, want %s", id, got, status)
		}
	}
	// mockoidc has no client_credentials grant, and answers a made-up
	// code invalid_grant once the client has authenticated.
	if s := statusOf(out, "credentials.client_credentials"); s != "PASS" || !strings.Contains(out, "answered a made-up authorization code with invalid_grant") {
		t.Errorf("credentials.client_credentials = %s, want PASS by a made-up code:\n%s", s, out)
	}
	if code == 3 || code == 2 {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestCheckConfigForeignEndpoints: a discovery document whose token
// endpoint is on another origin fails discovery.endpoints, and the client
// secret is never sent there; serve refuses such an environment (I4).
func TestCheckConfigForeignEndpoints(t *testing.T) {
	t.Parallel()
	var secretSeen atomic.Bool
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_secret") != "" {
			secretSeen.Store(true)
		}
	}))
	defer foreign.Close()
	var env *httptest.Server
	env = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": env.URL, "authorization_endpoint": env.URL + "/oauth/authorize", "token_endpoint": foreign.URL + "/oauth/token",
			"jwks_uri": env.URL + "/keys", "code_challenge_methods_supported": []string{"S256"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	defer env.Close()
	settings := map[string]string{"environment-url": env.URL, "client-id": app1ID, "client-secret": app1Secret}
	code, out := checkConfig(t, settings)
	if code != 1 || statusOf(out, "discovery.endpoints") != "FAIL" || statusOf(out, "credentials.client_credentials") != "SKIP" || secretSeen.Load() {
		t.Errorf("exit %d, secret sent = %v:\n%s", code, secretSeen.Load(), out)
	}
	code, _, stderr := run(t, "serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", env.URL, "--client-id", app1ID, "--client-secret", app1Secret)
	if code != 2 || !strings.Contains(stderr, "token_endpoint is on another origin") {
		t.Errorf("serve: exit %d: %s", code, stderr)
	}
}

// TestCheckConfigCookieKeys: check-config accepts every cookie key serve
// accepts, and refuses what serve refuses.
func TestCheckConfigCookieKeys(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8":  "PASS", // raw URL-safe base64 of 32 bytes
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=": "PASS",
		"c2hvcnQ=": "FAIL",
	} {
		var out syncBuffer
		d := cli.SystemDeps()
		d.Stdout, d.Stderr = &out, io.Discard
		d.LookupEnv = func(k string) (string, bool) {
			v, ok := map[string]string{"SKCTL_COOKIE_SECRET": key}[k]
			return v, ok
		}
		cli.Run(t.Context(), []string{"check-config", "--env-file", "", "--offline", "--environment-url", "https://acme.scalekit.dev",
			"--client-id", app1ID, "--client-secret", "s3cret-value"}, d)
		if got := statusOf(out.String(), "settings.cookie_secret"); got != want {
			t.Errorf("key %q: %s, want %s", key, got, want)
		}
	}
}

// TestCheckConfigClockSkew: a local clock off the IdP's by more than the
// leeway fails clock.skew.
func TestCheckConfigClockSkew(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, nil, "http://localhost:4321")
	for offset, want := range map[time.Duration]string{30 * time.Second: "PASS", -5 * time.Minute: "FAIL"} {
		var out syncBuffer
		d := cli.SystemDeps()
		d.Stdout, d.Stderr = &out, io.Discard
		d.Now = func() time.Time { return time.Now().Add(offset) }
		code := cli.Run(t.Context(), []string{"check-config", "--env-file", "", "--timeout", happyTimeout, "--environment-url", idp.URL, "--client-id", app1ID, "--client-secret", app1Secret}, d)
		if got := statusOf(out.String(), "clock.skew"); got != want || (want == "FAIL") != (code == 1) {
			t.Errorf("clock %v off: clock.skew %s (want %s), exit %d\n%s", offset, got, want, code, out.String())
		}
	}
}

// TestCheckConfigServeSettings: check-config fails the settings serve
// would refuse, not only the ones Scalekit defines.
func TestCheckConfigServeSettings(t *testing.T) {
	t.Parallel()
	code, out := checkConfig(t, map[string]string{"environment-url": "https://acme.scalekit.dev", "client-id": app1ID, "client-secret": "s3cret-value",
		"userinfo": "maybe", "token-auth-method": "private_key_jwt", "addr": "4321"}, "--offline")
	for _, id := range []string{"settings.userinfo", "settings.token_auth_method", "settings.addr"} {
		if statusOf(out, id) != "FAIL" {
			t.Errorf("%s = %q, want FAIL:\n%s", id, statusOf(out, id), out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d", code)
	}
}

// TestCheckConfigStrayVariables: a misspelt variable, in .env or in the
// environment, is a warning naming the setting it was probably meant to
// be, and the setting it left unset says so too.
func TestCheckConfigStrayVariables(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(file, []byte("SCALEKIT_ENVIRONMENT_URL=https://acme.scalekit.dev\nSCALEKIT_CLIENT_ID=skc_1\nSCALEKIT_CLIENT_SECERT=s3cret-value\n"), 0o600)
	environ := map[string]string{"SCALEKIT_ENVIRONMENT_URL": "https://acme.scalekit.dev", "SCALEKIT_CLIENT_ID": "skc_1", "SCALEKIT_CLIENT_SECERT": "s3cret-value"}
	for _, tc := range []struct {
		name, in string
		deps     func(*cli.Deps)
		envFile  string
	}{
		{".env", file, func(d *cli.Deps) { d.LookupEnv = func(string) (string, bool) { return "", false } }, file},
		{"environment", "the environment", func(d *cli.Deps) {
			d.LookupEnv = func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
			d.Environ = func() []string {
				var out []string
				for k, v := range environ {
					out = append(out, k+"="+v)
				}
				return out
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			d := cli.SystemDeps()
			d.Stdout, d.Stderr = &out, io.Discard
			tc.deps(d)
			code := cli.Run(t.Context(), []string{"check-config", "--env-file", tc.envFile, "--offline"}, d)
			text := out.String()
			if code != 1 || statusOf(text, "settings.unknown_variables") != "WARN" || statusOf(text, "settings.client_secret") != "FAIL" {
				t.Errorf("exit %d, want 1 with settings.unknown_variables WARN and settings.client_secret FAIL:\n%s", code, text)
			}
			for _, want := range []string{
				"SCALEKIT_CLIENT_SECERT is set in " + tc.in + " but is not a setting skctl reads: did you mean SCALEKIT_CLIENT_SECRET?",
				"fix: rename SCALEKIT_CLIENT_SECERT to SCALEKIT_CLIENT_SECRET",
				"SCALEKIT_CLIENT_SECRET is not set",
				"fix: SCALEKIT_CLIENT_SECERT is set in " + tc.in + ": did you mean SCALEKIT_CLIENT_SECRET? Otherwise,",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "s3cret-value") {
				t.Errorf("the output shows the misspelt variable's value:\n%s", text)
			}
		})
	}
}

// TestCheckConfigSelfSignedMock: against the mock speaking TLS with a
// self-signed certificate (net.tls_selfsigned), discovery.fetch names the
// certificate problem and what to do, and the environment counts as
// reached (exit 1, not 3).
func TestCheckConfigSelfSignedMock(t *testing.T) {
	t.Parallel()
	mock := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--scenario", "net.tls_selfsigned")
	env := "https://" + mock.addr.String()
	code, out := checkConfig(t, map[string]string{"environment-url": env, "client-id": app1ID, "client-secret": app1Secret})
	want := "TLS: the certificate of " + mock.addr.String() + " is self-signed (skctl mock-idp (self-signed, net.tls_selfsigned))"
	if code != 1 || statusOf(out, "discovery.fetch") != "FAIL" || !strings.Contains(out, want) || !strings.Contains(out, "SSL_CERT_FILE") {
		t.Errorf("exit %d (want 1), output lacks %q or the SSL_CERT_FILE hint:\n%s", code, want, out)
	}
}

// TestCheckConfigMockHints: against skctl mock-idp, each mistake's hint
// says what to change in the mock (a flag, or the fixtures file), never
// the Scalekit dashboard.
func TestCheckConfigMockHints(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, nil, "http://localhost:4321")
	base := func(kv ...string) map[string]string {
		m := map[string]string{"environment-url": idp.URL, "client-id": app1ID, "client-secret": app1Secret,
			"redirect-uri": "http://localhost:4321/api/auth/callback"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name     string
		settings map[string]string
		id       string
		hint     []string
	}{
		{"wrong secret", base("client-secret", "wrong-secret-value"), "credentials.client_credentials", []string{"skctl mock-idp --client-id", "--client-secret", "apps[].client_secret"}},
		{"wrong client ID", base("client-id", "skc_99999999999999999"), "redirect.registered", []string{"--client-id", "apps[].client_id"}},
		{"unregistered redirect URI", base("redirect-uri", "http://localhost:9999/api/auth/callback"), "redirect.registered", []string{"--redirect-uri http://localhost:9999/api/auth/callback", "apps[].redirect_uris"}},
		{"unregistered post-logout URI", base("post-logout-redirect-uri", "http://localhost:9999/"), "redirect.post_logout", []string{"--post-logout-redirect-uri http://localhost:9999/", "apps[].post_logout_redirect_uris"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := checkConfig(t, tc.settings)
			if code != 1 || statusOf(out, tc.id) != "FAIL" {
				t.Errorf("exit %d, %s = %q; want 1 and FAIL:\n%s", code, tc.id, statusOf(out, tc.id), out)
			}
			if first, _, _ := strings.Cut(out, "\n"); first != "skctl check-config: "+idp.URL+" (a local skctl mock-idp)" {
				t.Errorf("header %q does not say the environment is the mock", first)
			}
			for _, w := range tc.hint {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "Scalekit dashboard") {
				t.Errorf("a hint names the Scalekit dashboard against the mock:\n%s", out)
			}
		})
	}
}
