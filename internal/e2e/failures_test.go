package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// The fault groups of shared/mock-idp-scenarios.md that concern transport
// and availability (network, JWKS, token, refresh), run against serve:
// every fault leaves serve answering with the right page and status within
// its timeouts (never a 500, never a hang), and a transient IdP failure
// never signs a user out (B6, B7, D4, E4, I1, I2, I3, J1).

// failIdPTimeout is serve's --idp-timeout in these tests; failBound is how
// long any answer may take under a fault: the timeout plus 2 s.
const (
	failIdPTimeout = time.Second
	failBound      = failIdPTimeout + 2*time.Second
)

var failServeArgs = []string{"--idp-timeout", failIdPTimeout.String()}

// startFailureIdP pre-binds n app listeners, registers each one's callback
// and post-logout URL with app 1, and starts the mock with the given named
// scenario sets.
func startFailureIdP(t *testing.T, n int, scenarios map[string][]string) (*testIdP, []net.Listener) {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	lns := make([]net.Listener, n)
	for i := range lns {
		ln, u := listenApp(t)
		t.Cleanup(func() { ln.Close() }) // those of skipped cases are never served
		lns[i] = ln
		fx.Apps[0].RedirectURIs = append(fx.Apps[0].RedirectURIs, u+"/api/auth/callback")
		fx.Apps[0].PostLogoutRedirectURIs = append(fx.Apps[0].PostLogoutRedirectURIs, u+"/")
	}
	fx.Scenarios = scenarios
	return startIdPWith(t, fx), lns
}

// mockControl calls one of the mock's /__mock endpoints and fails the test
// unless it succeeds.
func mockControl(t *testing.T, idp *testIdP, method, path string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, idp.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

// setFault switches mode on in a scenario environment ("" is the root)
// until cleared.
func setFault(t *testing.T, idp *testIdP, scenario, mode string) {
	t.Helper()
	mockControl(t, idp, http.MethodPost, "/__mock/faults", map[string]any{"scenario": scenario, "mode": mode})
}

// clearFaults switches every mode of a scenario environment off, including
// those its name switched on.
func clearFaults(t *testing.T, idp *testIdP, scenario string) {
	t.Helper()
	mockControl(t, idp, http.MethodDelete, "/__mock/faults?scenario="+url.QueryEscape(scenario), nil)
}

// mockCounter reads one counter ("jwks.requests") of a scenario
// environment ("" is the root).
func mockCounter(t *testing.T, idp *testIdP, scenario, name string) int64 {
	t.Helper()
	var all map[string]map[string]json.RawMessage
	if err := json.Unmarshal(mockControl(t, idp, http.MethodGet, "/__mock/requests", nil), &all); err != nil {
		t.Fatal(err)
	}
	if scenario == "" {
		scenario = "root"
	}
	n, _ := strconv.ParseInt(string(all[scenario][name]), 10, 64)
	return n
}

// newFailBrowser is a browser that gives up well before the test's
// deadline, so a hang is reported as one.
func newFailBrowser(t *testing.T) *browser {
	b := newBrowser(t)
	b.client.Timeout = failBound + 5*time.Second
	return b
}

// timedGet is get, with how long the answer took.
func (b *browser) timedGet(u string) (page, time.Duration) {
	b.t.Helper()
	start := time.Now()
	p := b.get(u)
	return p, time.Since(start)
}

// checkErrorPage checks a failure page: one of the wanted statuses, within
// failBound, never a 500 or raw library text, and a reference that is the
// request's correlation ID (J1).
func checkErrorPage(t *testing.T, what string, p page, took time.Duration, want []int) {
	t.Helper()
	neverServerError(t, p)
	if !slices.Contains(want, p.status) {
		t.Errorf("%s: status %d, want one of %v: %.300s", what, p.status, want, p.body)
	}
	if took > failBound {
		t.Errorf("%s: answered after %v, want within %v", what, took.Round(time.Millisecond), failBound)
	}
	if id := p.header.Get("X-Request-Id"); id == "" || !strings.Contains(p.body, "Reference: "+id) {
		t.Errorf("%s: the error page shows no reference (X-Request-ID %q): %.300s", what, id, p.body)
	}
}

// failTable collects "mode, expected, got" rows and logs them once every
// case has run.
type failTable struct {
	mu   sync.Mutex
	rows [][3]string
}

func (ft *failTable) add(mode, want, got string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.rows = append(ft.rows, [3]string{mode, want, got})
}

func (ft *failTable) log(t *testing.T) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var s strings.Builder
	fmt.Fprintf(&s, "\n%-26s %-34s %s\n", "mode", "expected", "got")
	for _, r := range ft.rows {
		fmt.Fprintf(&s, "%-26s %-34s %s\n", r[0], r[1], r[2])
	}
	t.Log(s.String())
}

func statuses(want []int) string {
	var s []string
	for _, w := range want {
		s = append(s, strconv.Itoa(w))
	}
	return strings.Join(s, "/")
}

// secs renders a duration for the table.
func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// signedIn reports whether a callback answer started a session.
func signedIn(b *browser, app *appUnderTest, cb page) bool {
	return cb.status == http.StatusFound && cb.location != nil && cb.location.Path == "/" && b.cookie(app.URL, "skctl_session") != nil
}

// logLines returns the lines of serve's log that contain any of words.
func logLines(app *appUnderTest, words ...string) string {
	var out []string
	for _, line := range strings.Split(app.run.stderr.String(), "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestFailureToken: every token-endpoint fault during the code exchange
// gives an error page with the status of B6/B7/I1/I2 and a reference,
// within the IdP timeout plus 2 s, and no session.
func TestFailureToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode string
		want []int
		skip string
	}{
		{mode: "token.status=500", want: []int{502, 503}},
		{mode: "token.status=503", want: []int{502, 503}},
		{mode: "token.slow=3s", want: []int{504}}, // longer than --idp-timeout
		{mode: "token.hang", want: []int{504}},
		{mode: "token.reset", want: []int{502, 503}},
		{mode: "token.html_body", want: []int{502, 503}},
		{mode: "token.malformed", want: []int{502, 503}},
		{mode: "token.huge", want: []int{502, 503}},
		{mode: "token.invalid_grant", want: []int{400}},
		// B7: a malformed success is refused: a 4xx page or a 502 (J1).
		{mode: "token.missing_id_token", want: []int{400, 502}},
		{mode: "token.token_type=mac", want: []int{400, 502}},
		{mode: "token.expires_in=0", want: []int{400, 502}},
		{mode: "token.expires_in=-1", want: []int{400, 502}},
	}
	idp, lns := startFailureIdP(t, len(cases), nil)
	var table failTable
	t.Run("modes", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.mode, func(t *testing.T) {
				t.Parallel()
				want := statuses(tc.want) + " page, no session"
				if tc.skip != "" {
					table.add(tc.mode, want, "skipped: "+tc.skip)
					t.Skip(tc.skip)
				}
				env := &testIdP{URL: idp.URL + "/" + tc.mode}
				app := startServe(t, lns[i], env, nil, app1ID, app1Secret, nil, failServeArgs...)
				b := newFailBrowser(t)
				start := time.Now()
				cb := b.signIn(app, env, adaID, acmeOrgID)
				took := time.Since(start)
				got := fmt.Sprintf("%d in %s", cb.status, secs(took))
				if signedIn(b, app, cb) {
					got = "signed in: 302 /, session set"
					t.Errorf("%s: the sign-in succeeded: serve accepted the fault (or the mode is a no-op)", tc.mode)
				} else {
					checkErrorPage(t, "callback", cb, took, tc.want)
					if cb.status == http.StatusBadRequest && !strings.Contains(cb.body, `href="/api/auth/login"`) {
						t.Errorf("the sign-in-expired page has no fresh-login link (B6)")
					}
					assertNoSessionCookie(t, cb)
					if b.cookie(app.URL, "skctl_session") != nil {
						t.Errorf("the browser holds a session cookie after the failed callback")
						got += ", session cookie!"
					} else {
						got += ", no session"
					}
				}
				table.add(tc.mode, want, got)
			})
		}
	})
	table.log(t)
}

// TestFailureRefresh: on a signed-in session whose access token has
// expired, a transient refresh failure answers 503/504 and keeps the
// session, which works again once the IdP recovers; a refused refresh
// (invalid_grant, invalid_client) signs the user out (E4, I1).
func TestFailureRefresh(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scenario, mode string
		fatal          bool
		skip           string
	}{
		{scenario: "refresh-status-503", mode: "refresh.status=503"},
		{scenario: "refresh-slow", mode: "refresh.slow=3s"}, // longer than --idp-timeout
		{scenario: "refresh-hang", mode: "refresh.hang"},
		{scenario: "refresh-reset", mode: "refresh.reset"},
		{scenario: "refresh-invalid-grant", mode: "refresh.invalid_grant", fatal: true},
		{scenario: "refresh-invalid-client", mode: "refresh.invalid_client", fatal: true},
	}
	// Access tokens of 10 s are refreshed at once: serve refreshes 10 s
	// before expiry (E1).
	sets := map[string][]string{}
	for _, tc := range cases {
		sets[tc.scenario] = []string{"at.exp_short=10s", tc.mode}
	}
	idp, lns := startFailureIdP(t, len(cases), sets)
	var table failTable
	t.Run("modes", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.mode, func(t *testing.T) {
				t.Parallel()
				want := "503/504 page, session kept, recovers"
				if tc.fatal {
					want = "signed out: cookie cleared, 302 /"
				}
				if tc.skip != "" {
					table.add(tc.mode, want, "skipped: "+tc.skip)
					t.Skip(tc.skip)
				}
				env := &testIdP{URL: idp.URL + "/" + tc.scenario}
				app := startServe(t, lns[i], env, nil, app1ID, app1Secret, nil, failServeArgs...)
				b := newFailBrowser(t)
				if cb := b.signIn(app, env, adaID, acmeOrgID); !signedIn(b, app, cb) {
					t.Fatalf("sign-in before the refresh: %d %v", cb.status, cb.location)
				}
				p, took := b.timedGet(app.URL + "/dashboard")
				refreshes := mockCounter(t, idp, tc.scenario, "refresh.requests")
				neverServerError(t, p)
				if refreshes == 0 {
					t.Errorf("no refresh was attempted (dashboard %d)", p.status)
				}
				if took > failBound {
					t.Errorf("the dashboard answered after %v, want within %v", took.Round(time.Millisecond), failBound)
				}
				got := fmt.Sprintf("%d in %s", p.status, secs(took))
				if tc.fatal {
					cleared := sessionCleared(p)
					if p.status != http.StatusFound || p.location == nil || p.location.Path != "/" || !cleared {
						t.Errorf("refused refresh: %d %v cleared=%v, want a redirect home with the session cleared", p.status, p.location, cleared)
					}
					if next := b.get(app.URL + "/dashboard"); next.status != http.StatusFound || next.location == nil || next.location.Path != "/" {
						t.Errorf("after the refused refresh the dashboard answers %d, want a redirect home (signed out)", next.status)
					}
					got += fmt.Sprintf(" to %v, cleared=%v", p.location, cleared)
					table.add(tc.mode, want, got)
					return
				}
				if p.status == http.StatusOK {
					got = "dashboard 200 (the mode looks like a no-op)"
					t.Errorf("the dashboard was served: the mode is a no-op")
				} else {
					checkErrorPage(t, "dashboard", p, took, []int{503, 504})
				}
				kept := !sessionCleared(p) && b.cookie(app.URL, "skctl_session") != nil
				if !kept {
					t.Errorf("a transient refresh failure cleared the session cookie (%d)", p.status)
					got += ", session CLEARED"
				} else {
					got += ", session kept"
				}
				clearFaults(t, idp, tc.scenario)
				after := b.get(app.URL + "/dashboard")
				if after.status != http.StatusOK || !strings.Contains(after.body, "Welcome, Ada Lovelace") {
					t.Errorf("after the IdP recovered the dashboard answers %d %v cleared=%v (%d refresh requests): the user was signed out after a transient failure; serve's log:\n%s",
						after.status, after.location, sessionCleared(after), mockCounter(t, idp, tc.scenario, "refresh.requests"), logLines(app, "request failed", "session ended"))
					got += fmt.Sprintf(", after recovery %d", after.status)
				} else {
					got += ", recovers (200)"
				}
				table.add(tc.mode, want, got)
			})
		}
	})
	table.log(t)
}

// TestFailureJWKS: a serve instance whose key cache is empty meets a
// session cookie made by another instance with the same client secret
// (so the same cookie key) while the JWKS endpoint fails: it answers 503
// (504 for a timeout), keeps the cookies, and serves the session once the
// endpoint recovers (D4, I1, I2).
func TestFailureJWKS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scenario, mode string
		want           []int
		skip           string
	}{
		{scenario: "jwks-status-500", mode: "jwks.status=500", want: []int{503}},
		{scenario: "jwks-hang", mode: "jwks.hang", want: []int{503, 504}},
		{scenario: "jwks-flap", mode: "jwks.flap", want: []int{503}},
		{scenario: "jwks-malformed", mode: "jwks.malformed", want: []int{503}},
		{scenario: "jwks-empty", mode: "jwks.empty", want: []int{503}},
		{scenario: "jwks-huge", mode: "jwks.huge", want: []int{503}},
	}
	// Each case has its own, fault-free environment: the fault is switched
	// on at runtime, after the first instance has signed in.
	sets := map[string][]string{}
	for _, tc := range cases {
		sets[tc.scenario] = []string{}
	}
	idp, lns := startFailureIdP(t, 2*len(cases), sets)
	var table failTable
	t.Run("modes", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.mode, func(t *testing.T) {
				t.Parallel()
				want := statuses(tc.want) + " page, cookies kept, recovers"
				if tc.skip != "" {
					table.add(tc.mode, want, "skipped: "+tc.skip)
					t.Skip(tc.skip)
				}
				env := &testIdP{URL: idp.URL + "/" + tc.scenario}
				first := startServe(t, lns[2*i], env, nil, app1ID, app1Secret, nil, failServeArgs...)
				b := newFailBrowser(t)
				if cb := b.signIn(first, env, adaID, acmeOrgID); !signedIn(b, first, cb) {
					t.Fatalf("sign-in on the first instance: %d %v", cb.status, cb.location)
				}
				// The jar sends 127.0.0.1's cookies to any port, as browsers do.
				fresh := startServe(t, lns[2*i+1], env, nil, app1ID, app1Secret, nil, failServeArgs...)
				setFault(t, idp, tc.scenario, tc.mode)
				before := mockCounter(t, idp, tc.scenario, "jwks.requests")

				p, took := b.timedGet(fresh.URL + "/dashboard")
				fetched := mockCounter(t, idp, tc.scenario, "jwks.requests") - before
				got := fmt.Sprintf("%d in %s", p.status, secs(took))
				if tc.mode == "jwks.flap" && p.status == http.StatusOK {
					// The flap let this fetch through: the next failure can
					// only show on a cache miss, so it is not observable
					// here. It must still never sign the user out.
					got += " (fetch let through by the flap)"
				} else if p.status == http.StatusOK {
					got = "dashboard 200 (the mode looks like a no-op)"
					t.Errorf("the dashboard was served with the JWKS fault on: the mode is a no-op")
				} else {
					checkErrorPage(t, "dashboard", p, took, tc.want)
				}
				neverServerError(t, p)
				if fetched == 0 {
					t.Errorf("the fresh instance made no JWKS request")
				}
				kept := !sessionCleared(p) && b.cookie(fresh.URL, "skctl_session") != nil
				if !kept {
					t.Errorf("the JWKS fault cleared the session cookie (%d %v); serve's log:\n%s", p.status, p.location, logLines(fresh, "request failed", "session ended"))
					got += ", session CLEARED"
				} else {
					got += ", kept"
				}
				if tc.mode == "jwks.flap" && p.status != http.StatusOK && kept {
					// Every other request fails: the next one goes through.
					q, took := b.timedGet(fresh.URL + "/dashboard")
					neverServerError(t, q)
					if q.status != http.StatusOK && (q.status != http.StatusServiceUnavailable || took > failBound) {
						t.Errorf("second request while flapping: %d after %v", q.status, took)
					}
					got += fmt.Sprintf(", then %d while flapping", q.status)
				}
				clearFaults(t, idp, tc.scenario)
				after := b.getUntilOK(fresh.URL + "/dashboard")
				if after.status != http.StatusOK || !strings.Contains(after.body, "Welcome, Ada Lovelace") {
					t.Errorf("after the JWKS endpoint recovered the dashboard answers %d %v cleared=%v", after.status, after.location, sessionCleared(after))
					got += fmt.Sprintf(", after recovery %d", after.status)
				} else {
					got += ", recovers (200)"
				}
				table.add(tc.mode, want, got)
			})
		}
	})
	table.log(t)
}

// startServeUnready runs serve like startServe but returns as soon as it
// listens, without waiting for discovery.
func startServeUnready(t *testing.T, ln net.Listener, envURL string, args ...string) *appUnderTest {
	t.Helper()
	appURL := "http://" + ln.Addr().String()
	env := map[string]string{
		"SCALEKIT_ENVIRONMENT_URL": envURL, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret,
		"SCALEKIT_REDIRECT_URI": appURL + "/api/auth/callback",
	}
	r := startCmdWith(t, func(d *cliDeps) {
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = listenerOnce(ln)
	}, append([]string{"serve", "--env-file", ""}, args...)...)
	return &appUnderTest{URL: appURL, run: r}
}

// TestFailureDiscoveryAtStart: with the environment failing from the
// start, serve runs but is not ready and sign-in answers 503, quickly;
// once the environment recovers it becomes ready without a restart (I1, I3).
func TestFailureDiscoveryAtStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode string
		skip string
	}{
		{mode: "net.hang"},
		{mode: "net.reset"},
		{mode: "discovery.status=500"},
	}
	idp, lns := startFailureIdP(t, len(cases), nil)
	var table failTable
	t.Run("modes", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.mode, func(t *testing.T) {
				t.Parallel()
				const want = "/readyz 503, login 503, then ready"
				if tc.skip != "" {
					table.add(tc.mode, want, "skipped: "+tc.skip)
					t.Skip(tc.skip)
				}
				app := startServeUnready(t, lns[i], idp.URL+"/"+tc.mode, failServeArgs...)
				// Let the first discovery attempt end: a hang ends at the
				// IdP timeout.
				time.Sleep(failIdPTimeout + 300*time.Millisecond)
				b := newFailBrowser(t)
				ready, took := b.timedGet(app.URL + "/readyz")
				got := fmt.Sprintf("readyz %d in %s", ready.status, secs(took))
				if ready.status == http.StatusOK {
					got += " (the mode looks like a no-op)"
					t.Errorf("serve is ready with discovery failing: the mode is a no-op")
				} else if ready.status != http.StatusServiceUnavailable || took > failBound {
					t.Errorf("/readyz during the outage: %d after %v, want 503 within %v", ready.status, took, failBound)
				}
				login, took := b.timedGet(app.URL + "/api/auth/login")
				got += fmt.Sprintf(", login %d in %s", login.status, secs(took))
				if ready.status != http.StatusOK {
					checkErrorPage(t, "login", login, took, []int{503})
				}
				if h := b.get(app.URL + "/healthz"); h.status != http.StatusOK {
					t.Errorf("/healthz during the outage: %d", h.status)
				}
				clearFaults(t, idp, tc.mode)
				cleared := time.Now()
				// Retries back off from 1 s: by now the next one comes within
				// 2 s (4 s if the clock slipped past a retry), plus the IdP
				// timeout if one is in flight.
				deadline := cleared.Add(4*time.Second + failIdPTimeout + time.Second)
				for b.get(app.URL+"/readyz").status != http.StatusOK {
					if time.Now().After(deadline) {
						t.Fatalf("not ready %v after the environment recovered; stderr:\n%s", time.Since(cleared).Round(time.Millisecond), app.run.stderr)
					}
					time.Sleep(50 * time.Millisecond)
				}
				got += fmt.Sprintf(", ready %s after recovery", secs(time.Since(cleared)))
				if p := b.get(app.URL + "/api/auth/login"); p.status != http.StatusFound {
					t.Errorf("login after recovery: %d, want a redirect to the IdP", p.status)
				}
				table.add(tc.mode, want, got)
			})
		}
	})
	table.log(t)
}

// getUntilOK GETs u until it answers 200, for up to a second. go-oidc
// hands a request that arrives just as a failed key fetch finishes that
// fetch's result, so the first request after recovery may still see it.
func (b *browser) getUntilOK(u string) page {
	b.t.Helper()
	p := b.get(u)
	for try := 0; try < 20 && p.status != http.StatusOK; try++ {
		time.Sleep(50 * time.Millisecond)
		p = b.get(u)
	}
	return p
}
