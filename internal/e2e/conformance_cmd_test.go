package e2e_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/cli"
	"github.com/skctl/skctl/internal/conformance"
)

// junitReport is the part of a JUnit XML report the tests read.
type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestConformanceCommand runs `skctl conformance` in-process against
// `skctl serve` and a mock of its own: every test of the catalog passes
// (JUnit, one test case each); an app configured wrongly fails the known
// test for the known reason (GitHub annotations, evidence escaped, the
// refusals it makes meaningless skipped); an app or mock with nothing
// listening exits 3; an interrupt ends the run and leaves nothing armed.
func TestConformanceCommand(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	target := []string{"conformance", "--idp-url", idp.URL, "--app-url", app.URL, "--log-format", "json"}

	// The runner moves the mock's keys and arms its modes: the runs take
	// turns on this one stack.
	t.Run("serve passes, JUnit", func(t *testing.T) {
		start := time.Now()
		code, out, errOut := run(t, append(target, "--output", "junit")...)
		wall := time.Since(start)
		if code != cli.ExitOK {
			t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		var rep junitReport
		if err := xml.Unmarshal([]byte(out), &rep); err != nil || len(rep.Suites) != 1 {
			t.Fatalf("the JUnit output does not parse (%v, %d suites):\n%s", err, len(rep.Suites), out)
		}
		s, catalog := rep.Suites[0], conformance.Tests()
		if len(s.Cases) != len(catalog) || s.Tests != len(catalog) || s.Failures != 0 {
			t.Errorf("JUnit: %d test cases (tests=%d), %d failures; want one per test of the catalog (%d), none failed", len(s.Cases), s.Tests, s.Failures, len(catalog))
		}
		for i := range min(len(s.Cases), len(catalog)) {
			if c := s.Cases[i]; c.Name != catalog[i].ID || c.Failure != nil {
				t.Errorf("test case %d: %s (failure %v), want %s passed", i, c.Name, c.Failure, catalog[i].ID)
			}
		}
		// Progress: one log line per test, on stderr, in run order.
		var logged []string
		for _, line := range strings.Split(errOut, "\n") {
			var e struct{ Msg, ID string }
			if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "test" {
				logged = append(logged, e.ID)
			}
		}
		if len(logged) != len(catalog) {
			t.Errorf("%d progress lines for %d tests; stderr:\n%s", len(logged), len(catalog), errOut)
		}
		t.Logf("a full run of skctl conformance against serve: %d tests in %.2f s wall time (the 30 s target: %.3f×)", len(catalog), wall.Seconds(), wall.Seconds()/30)
	})

	// "/" answers 200 to everyone, and says "Welcome" to visitors: as the
	// protected path with that text, a visitor looks signed in, which
	// would make every sign-in test pass whatever the app did. The runner
	// asks the path as a visitor first, and refuses the configuration.
	t.Run("a protected path that visitors see", func(t *testing.T) {
		code, out, errOut := run(t, append(target, "--protected-path", "/", "--signed-in-text", "Welcome")...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, "--protected-path / answers a visitor who is not signed in as it answers a signed-in user") {
			t.Fatalf("exit %d, want 2 and the reason; stdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})

	// serve's /dashboard answers 200, not the 201 given here: the runner
	// sees every signed-in user as refused, so the plain sign-in fails,
	// and a refusal test, which proves something only when a plain
	// sign-in works, is skipped for that reason.
	t.Run("a wrong signed-in status, GitHub", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "conformance.xml")
		code, out, errOut := run(t, append(target, "--output", "github", "--junit-file", junit,
			"--signed-in-status", "201", "--only", "rp-response_type-code,rp-nonce-invalid")...)
		if code != cli.ExitError {
			t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		var errs []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasPrefix(line, "::error ") {
				errs = append(errs, line)
			}
		}
		if len(errs) != 1 || !strings.HasPrefix(errs[0], "::error title=conformance rp-response_type-code::") {
			t.Fatalf("want one ::error for rp-response_type-code, got:\n%s", out)
		}
		for _, want := range []string{
			"refused, though the sign-in should have worked", "the protected path answered 200",
			"%0Afix: Make a plain sign-in work first", "%0Aproves: a plain sign-in works", "%0Asource: OpenID RP certification rp-response_type-code",
			"/api/auth/callback?code=…&state=… → 302, Location ", "%0Athe mock counted: authorize +1, token +1",
		} {
			if !strings.Contains(errs[0], want) {
				t.Errorf("the annotation lacks %q:\n%s", want, errs[0])
			}
		}
		// The evidence quotes requests, never a code, state or token.
		if m := regexp.MustCompile(`(code|state|nonce|token)=[^…&%]`).FindString(out); m != "" {
			t.Errorf("the annotation shows a credential (%s…):\n%s", m, out)
		}
		if !strings.Contains(out, "::notice title=conformance::tests: 0 pass, 0 warn, 1 fail, 1 skipped; failed: rp-response_type-code\n") {
			t.Errorf("no summary notice:\n%s", out)
		}
		b, err := os.ReadFile(junit)
		var rep junitReport
		if err != nil || xml.Unmarshal(b, &rep) != nil || len(rep.Suites) != 1 || len(rep.Suites[0].Cases) != 2 {
			t.Fatalf("--junit-file: %v:\n%s", err, b)
		}
		failed, skipped := rep.Suites[0].Cases[0], rep.Suites[0].Cases[1]
		if failed.Name != "rp-response_type-code" || failed.Failure == nil || !strings.Contains(failed.Failure.Text, "the mock counted:") {
			t.Errorf("--junit-file: %+v, want rp-response_type-code failed with its evidence", failed)
		}
		if skipped.Name != "rp-nonce-invalid" || skipped.Skipped == nil || !strings.Contains(skipped.Skipped.Message, "a plain sign-in does not work") {
			t.Errorf("--junit-file: %+v, want rp-nonce-invalid skipped for the plain sign-in", skipped)
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		closed := closedAddr(t)
		code, out, errOut := run(t, "conformance", "--idp-url", idp.URL, "--app-url", closed)
		if code != cli.ExitUnreachable || !strings.Contains(errOut, "the app at "+closed) || !strings.Contains(errOut, "SCALEKIT_ENVIRONMENT_URL="+idp.URL) || out != "" {
			t.Errorf("no app: exit %d (want 3), stdout %q, stderr %q", code, out, errOut)
		}
		code, _, errOut = run(t, "conformance", "--idp-url", closed, "--app-url", app.URL)
		if code != cli.ExitUnreachable || !strings.Contains(errOut, "the mock at "+closed) {
			t.Errorf("no mock: exit %d (want 3), stderr %q", code, errOut)
		}
	})

	// The token endpoint hangs: the second test's sign-in waits at the
	// callback until the interrupt, which ends the run at once, with the
	// mode the test armed cleared.
	t.Run("interrupted", func(t *testing.T) {
		reached, release := make(chan struct{}, 1), make(chan struct{})
		idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
			select {
			case reached <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			http.Error(w, "released", http.StatusServiceUnavailable)
		})
		defer idp.fault("/oauth/token", nil)
		defer close(release)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var out, errOut syncBuffer
		d := cli.SystemDeps()
		d.Stdout, d.Stderr = &out, &errOut
		exit := make(chan int, 1)
		go func() {
			exit <- cli.Run(ctx, append(target, "--output", "json", "--timeout", "60s", "--only", "authorize.state,rp-id_token-kid-absent-single-jwks"), d)
		}()
		select {
		case <-reached:
		case code := <-exit:
			t.Fatalf("exit %d before the sign-in reached the token endpoint; stderr:\n%s", code, errOut.String())
		case <-time.After(hangDeadline):
			t.Fatalf("no sign-in reached the token endpoint in %v; stderr:\n%s", hangDeadline, errOut.String())
		}
		cancel()
		var code int
		select {
		case code = <-exit:
		case <-time.After(hangDeadline):
			t.Fatalf("no exit %v after the interrupt", hangDeadline)
		}
		var rep struct {
			Tests []struct {
				ID, Status, Message string
				Evidence            []string
			}
		}
		if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || code != cli.ExitError || len(rep.Tests) != 2 ||
			!strings.Contains(errOut.String(), "error: interrupted: the report holds 2 of the 2 tests") {
			t.Fatalf("exit %d (want 1), %v; stdout:\n%s\nstderr:\n%s", code, err, out.String(), errOut.String())
		}
		if first := rep.Tests[0]; first.ID != "authorize.state" || first.Status != "pass" {
			t.Errorf("the test before the interrupt: %+v, want passed", first)
		}
		last := rep.Tests[1]
		if last.Status != "fail" || !strings.Contains(last.Message, "the run was interrupted") ||
			!strings.Contains(strings.Join(last.Evidence, "\n"), "armed idt.kid_absent_single for "+app1ID) {
			t.Errorf("the interrupted test: %+v, want failed, saying the run was interrupted, with its mode armed", last)
		}
		if modes := armedModes(t, idp.URL); len(modes) != 0 {
			t.Errorf("after the interrupt the mock still has %v armed", modes)
		}
	})
}

// closedAddr is the URL of a loopback port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// armedModes returns the modes armed at the mock's root.
func armedModes(t *testing.T, idpURL string) []string {
	t.Helper()
	resp, err := http.Get(idpURL + "/__mock/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var envs map[string][]struct{ Mode string }
	if err := json.NewDecoder(resp.Body).Decode(&envs); err != nil {
		t.Fatal(err)
	}
	var modes []string
	for _, f := range envs["root"] {
		modes = append(modes, f.Mode)
	}
	return modes
}
