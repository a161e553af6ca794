package conformance_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
)

// brokenTests are the tests the broken apps are run with: a sign-in and an
// observation of the login.
var brokenTests = []string{"rp-response_type-code", "authorize.state"}

// TestBrokenApps runs against an app that hangs and one that answers 500
// everywhere: each run ends within its timeouts, every test failed as
// broken, saying why.
func TestBrokenApps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		why     string
		// slowHome: GET / gets no answer either, which the preflight
		// notes and lets pass.
		slowHome bool
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, time.Second, "no answer within the test's timeout", true},
		{"answers 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }, 5 * time.Second, "answered 500", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, appURL := listen(t)
			env := startMock(t, appURL)
			serveOn(t, ln, tc.handler)
			var log bytes.Buffer
			start := time.Now()
			rn, err := conformance.NewRunner(t.Context(), conformance.Options{IdPURL: env.URL, AppURL: appURL, Timeout: tc.timeout,
				Log: slog.New(slog.NewTextHandler(&log, nil))}, nil)
			if err != nil {
				t.Fatalf("NewRunner: %v: an app that takes the connection is reachable, if broken", err)
			}
			if tc.slowHome != strings.Contains(log.String(), "did not answer GET / properly") {
				t.Errorf("the preflight's log (want a warning that GET / did not answer: %v):\n%s", tc.slowHome, log.String())
			}
			tests, err := conformance.Select(conformance.Tests(), brokenTests, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep := rn.Run(t.Context(), tests)
			wall := time.Since(start)
			// The preflight and each test wait one timeout at most; the
			// mock's cleanup is quick, and the slack is for a loaded machine.
			if bound := time.Duration(len(tests)+1)*tc.timeout + 10*time.Second; wall > bound {
				t.Errorf("the run took %s, more than %s", wall, bound)
			}
			t.Logf("the run took %s", wall.Round(time.Millisecond))
			if len(rep.Results) != len(brokenTests) {
				t.Fatalf("%d results, want %d", len(rep.Results), len(brokenTests))
			}
			for _, res := range rep.Results {
				t.Logf("%s: %s: %s", res.ID, res.Status, res.Message)
				if res.Status != report.Fail || !strings.HasPrefix(res.Message, "broken: ") || !strings.Contains(res.Message, tc.why) {
					t.Errorf("%s: %s %q, want a failure saying broken: … %s", res.ID, res.Status, res.Message, tc.why)
				}
			}
		})
	}
}

// TestUnreachable: an app or a mock that is not listening is
// ErrUnreachable, saying which and what to do; a client the mock does not
// have is ErrUsage, naming the mock's apps.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, appURL := listen(t)
	env := startMock(t, appURL)
	ln.Close() // nothing listens at appURL
	liveApp, liveURL := listen(t)
	serveOn(t, liveApp, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	deadMock, deadMockURL := listen(t)
	deadMock.Close()

	for _, tc := range []struct {
		name string
		opts conformance.Options
		is   error
		says []string
	}{
		{"app not listening", conformance.Options{IdPURL: env.URL, AppURL: appURL}, conformance.ErrUnreachable,
			[]string{"the app at " + appURL, "start it", "SCALEKIT_ENVIRONMENT_URL=" + env.URL}},
		{"mock not listening", conformance.Options{IdPURL: deadMockURL, AppURL: liveURL}, conformance.ErrUnreachable,
			[]string{"the mock at " + deadMockURL, "skctl mock-idp --addr " + strings.TrimPrefix(deadMockURL, "http://")}},
		{"unknown client", conformance.Options{IdPURL: env.URL, AppURL: liveURL, ClientID: "skc_nosuchapp"}, conformance.ErrUsage,
			[]string{`no app "skc_nosuchapp"`, "--client-id", app1ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Timeout = 5 * time.Second
			rn, err := conformance.NewRunner(t.Context(), tc.opts, nil)
			if !errors.Is(err, tc.is) {
				t.Fatalf("NewRunner = %v, %v; want an error wrapping %v", rn, err, tc.is)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error %q does not say %q", err, s)
				}
			}
		})
	}
}
