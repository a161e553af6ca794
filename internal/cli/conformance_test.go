package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/conformance"
)

// noNetwork is a transport that fails the test at any request: a command
// that must decide from its flags alone.
func noNetwork(t *testing.T) http.RoundTripper {
	return &recordingTransport{answer: func(req *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, errors.New("no network in this test")
	}}
}

// TestConformanceList: --list prints every test of the catalog, grouped,
// each on one line with what it proves, needs no URL and sends no request;
// --only and --skip select; --output json adds the arms and sources.
func TestConformanceList(t *testing.T) {
	t.Parallel()
	d, out, errOut := testDeps()
	d.Transport = noNetwork(t)
	if code := Run(context.Background(), []string{"conformance", "--list"}, d); code != ExitOK || errOut.Len() > 0 {
		t.Fatalf("--list: exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(out.String(), "\n")
	for _, g := range conformance.Groups() {
		has := false
		for _, tc := range conformance.Tests() {
			has = has || tc.Group == g
		}
		if has && !strings.Contains(out.String(), string(g)+":\n") {
			t.Errorf("--list has no heading for the group %s:\n%s", g, out)
		}
	}
	for _, tc := range conformance.Tests() {
		found := false
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 1 && f[0] == tc.ID && strings.HasSuffix(l, "  "+tc.Proves) {
				found = true
			}
		}
		if !found {
			t.Errorf("--list has no line %q with %q:\n%s", tc.ID, tc.Proves, out)
		}
	}

	d, out, _ = testDeps()
	d.Transport = noNetwork(t)
	code := Run(context.Background(), []string{"conformance", "--list", "--only", "rp,at-expired", "--skip", "rp-nonce-invalid", "--output", "json"}, d)
	var listed []listedTest
	if err := json.Unmarshal(out.Bytes(), &listed); code != ExitOK || err != nil {
		t.Fatalf("--list --output json: exit %d, %v:\n%s", code, err, out)
	}
	want, _ := conformance.Select(conformance.Tests(), []string{"rp", "at-expired"}, []string{"rp-nonce-invalid"})
	if len(listed) != len(want) {
		t.Fatalf("--list --only rp,at-expired --skip rp-nonce-invalid lists %d tests, want %d", len(listed), len(want))
	}
	for i, l := range listed {
		if l.ID != want[i].ID || l.Source != want[i].Source || l.Proves != want[i].Proves || l.Group != want[i].Group {
			t.Errorf("--list json entry %d: %+v, want %s", i, l, want[i].ID)
		}
	}
}

// TestConformanceUsage: each mistake in the flags exits 2 with what to
// change, before any request.
func TestConformanceUsage(t *testing.T) {
	t.Parallel()
	idp, app := []string{"--idp-url", "http://127.0.0.1:4400"}, []string{"--app-url", "http://localhost:3000"}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		inStderr string
	}{
		{"a misspelt test", append([]string{"--only", "rp-nonce-invald"}, append(idp, app...)...), nil, `no test or group "rp-nonce-invald": did you mean "rp-nonce-invalid"?`},
		{"a misspelt group in --list", []string{"--list", "--skip", "acess-token"}, nil, `did you mean "access-token"?`},
		{"no --app-url", idp, nil, "--app-url is required"},
		{"no --idp-url", app, nil, "--idp-url is required (or SCALEKIT_ENVIRONMENT_URL)"},
		{"an empty variable is unset", app, map[string]string{"SCALEKIT_ENVIRONMENT_URL": ""}, "--idp-url is required"},
		{"an unknown output", append([]string{"--output", "yaml"}, append(idp, app...)...), nil, `unknown output "yaml": use text, json, github, junit`},
		{"a zero timeout", append([]string{"--timeout", "0s"}, append(idp, app...)...), nil, "--timeout 0s: give a positive duration"},
		{"a URL with a path", append([]string{"--app-url", "http://localhost:3000/app"}, idp...), nil, "give the origin only"},
		{"a relative protected path", append([]string{"--protected-path", "dashboard"}, append(idp, app...)...), nil, "--protected-path \"dashboard\": give a path on the app"},
		{"a redirect as the signed-in status", append([]string{"--signed-in-status", "302"}, append(idp, app...)...), nil, "a signed-in page answers a 2xx status"},
		{"--skip everything", append([]string{"--only", "rp", "--skip", "rp"}, append(idp, app...)...), nil, "leaves no test to run"},
	} {
		d, out, errOut := testDeps()
		d.Transport = noNetwork(t)
		d.LookupEnv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		code := Run(context.Background(), append([]string{"conformance"}, tc.args...), d)
		if code != ExitUsage || !strings.Contains(errOut.String(), tc.inStderr) || out.Len() > 0 {
			t.Errorf("%s: exit %d (want 2), stderr %q (want %q), stdout %q", tc.name, code, errOut, tc.inStderr, out)
		}
		if strings.Contains(errOut.String(), "error: usage:") {
			t.Errorf("%s: the sentinel's prefix shows: %q", tc.name, errOut)
		}
	}
}

// TestConformanceFromEnvironment: without --idp-url and --client-id, the
// runner takes the settings the app reads, SCALEKIT_ENVIRONMENT_URL and
// SCALEKIT_CLIENT_ID; a flag wins over its variable. Every request goes
// through Deps.Transport.
func TestConformanceFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SCALEKIT_ENVIRONMENT_URL": "http://127.0.0.1:4401", "SCALEKIT_CLIENT_ID": "skc_from_env"}
	export := `{"apps":[{"client_id":"skc_first","type":"web","redirect_uris":["http://localhost:3000/api/auth/callback"]}]}`
	for _, tc := range []struct {
		args          []string
		wantURL       string
		wantInMessage string
	}{
		// The mock has no skc_from_env: the usage error names the client
		// the variable gave.
		{nil, "http://127.0.0.1:4401/__mock/export", `the mock has no app "skc_from_env": pass --client-id one of skc_first`},
		{[]string{"--idp-url", "http://127.0.0.1:4402", "--client-id", "skc_flag"}, "http://127.0.0.1:4402/__mock/export", `the mock has no app "skc_flag"`},
	} {
		rt := &recordingTransport{answer: respond(http.StatusOK, export)}
		d, _, errOut := testDeps()
		d.Transport = rt
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		code := Run(context.Background(), append([]string{"conformance", "--app-url", "http://localhost:3000"}, tc.args...), d)
		if code != ExitUsage || !strings.Contains(errOut.String(), tc.wantInMessage) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.wantInMessage)
		}
		if got := rt.requests(); len(got) != 1 || got[0] != "GET "+tc.wantURL {
			t.Errorf("%v: requests %v, want GET %s only", tc.args, got, tc.wantURL)
		}
	}
}

// TestConformanceUnreachable: a mock that does not answer exits 3, with
// the command that starts it.
func TestConformanceUnreachable(t *testing.T) {
	t.Parallel()
	d, out, errOut := testDeps()
	d.Transport = &recordingTransport{answer: func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	}}
	code := Run(context.Background(), []string{"conformance", "--idp-url", "http://127.0.0.1:4400", "--app-url", "http://localhost:3000"}, d)
	if code != ExitUnreachable || !strings.Contains(errOut.String(), "the mock at http://127.0.0.1:4400") ||
		!strings.Contains(errOut.String(), "start it with skctl mock-idp --addr 127.0.0.1:4400") || out.Len() > 0 {
		t.Errorf("exit %d (want 3), stdout %q, stderr %q", code, out, errOut)
	}
}

// TestConformanceHelp: --help names every flag with its default, and the
// exit codes.
func TestConformanceHelp(t *testing.T) {
	t.Parallel()
	d, out, _ := testDeps()
	if code := Run(context.Background(), []string{"conformance", "--help"}, d); code != ExitOK {
		t.Fatalf("--help: exit %d", code)
	}
	help := out.String()
	def := conformance.Defaults()
	for _, want := range []string{
		"--idp-url", "$SCALEKIT_ENVIRONMENT_URL", "--client-id", "$SCALEKIT_CLIENT_ID", "--app-url",
		`--login-path string        the app's path that starts a sign-in (default "` + def.LoginPath + `")`,
		`(default "` + def.ProtectedPath + `")`, `(default "` + def.LogoutPath + `")`, `(default "` + def.ReturnToParam + `")`,
		"--signed-in-status int", "(default 200)", "--signed-in-text", "--user", "--only strings", "--skip strings",
		"--timeout duration", "(default 10s)", "-o, --output string", "--junit-file", "--list",
		"Exit codes:\n  0  every test passed", "\n  1  a test failed", "\n  2  usage error", "\n  3  the app or the mock could not be reached",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("conformance --help lacks %q", want)
		}
	}
}

// TestConformanceCompletion: --only and --skip complete test IDs and
// groups, after the commas of a list already typed.
func TestConformanceCompletion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"rp-id_token-i", []string{"rp-id_token-issuer-mismatch", "rp-id_token-iat"}}, // in catalog order
		{"authorize.state,at-e", []string{"authorize.state,at-expired"}},
		{"acc", []string{"access-token"}},
	} {
		for _, flag := range []string{"--only", "--skip"} {
			d, out, _ := testDeps()
			Run(context.Background(), []string{"__complete", "conformance", flag, tc.typed}, d)
			var got []string
			for _, line := range strings.Split(out.String(), "\n") {
				if name, desc, ok := strings.Cut(line, "\t"); ok && desc != "" {
					got = append(got, name)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s %s completes %v, want %v:\n%s", flag, tc.typed, got, tc.want, out)
			}
		}
	}
}

// TestConformanceJUnitFileUnwritable: a --junit-file that cannot be
// created is a usage error before the first test, not after the run.
func TestConformanceJUnitFileUnwritable(t *testing.T) {
	t.Parallel()
	export := `{"apps":[{"client_id":"skc_first","type":"web","redirect_uris":["http://localhost:3000/api/auth/callback"]}]}`
	// The app's protected path sends a visitor to sign in, as it should;
	// everything else answers the mock's export.
	rt := &recordingTransport{answer: func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/dashboard" {
			return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"/api/auth/login"}}, Body: http.NoBody, Request: req}, nil
		}
		return respond(http.StatusOK, export)(req)
	}}
	d, out, errOut := testDeps()
	d.Transport = rt
	missing := t.TempDir() + "/no/such/dir/conformance.xml"
	code := Run(context.Background(), []string{"conformance", "--idp-url", "http://127.0.0.1:4400", "--app-url", "http://localhost:3000", "--junit-file", missing}, d)
	if code != ExitUsage || !strings.Contains(errOut.String(), "--junit-file: open "+missing) || out.Len() > 0 {
		t.Errorf("exit %d (want 2), stdout %q, stderr %q", code, out, errOut)
	}
	// The preflight's requests (the mock's export, the app's / and its
	// protected path as a visitor), and no test's.
	if got := rt.requests(); len(got) != 3 || got[1] != "GET http://localhost:3000/" || got[2] != "GET http://localhost:3000/dashboard" {
		t.Errorf("requests %v, want the mock's export, the app's / and /dashboard only", got)
	}
}
