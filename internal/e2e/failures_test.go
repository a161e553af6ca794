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

// The fault groups of docs/failure-modes.md that concern transport
// and availability (network, JWKS, token, refresh), run against serve:
// every fault leaves serve answering with the right page and status within
// its timeouts (never a 500, never a hang), and a transient IdP failure
// never signs a user out (B6, B7, D4, E4, I1, I2, I3, J1).

// failIdPTimeout is serve's --idp-timeout in the cases that put a timeout
// under test (the slow and hanging modes); failBound is how long such a
// faulted answer may take: the timeout plus 4 s. The slow modes last
// longer than failBound, so an answer that waited for them is told from
// one that timed out. Every other case runs serve with the generous
// timeout of happyServeArgs: its fault is not a timeout, and a busy
// machine must not turn its answer into one.
const (
	failIdPTimeout = 2 * time.Second
	failBound      = failIdPTimeout + 4*time.Second
)

var failServeArgs = []string{"--idp-timeout", failIdPTimeout.String()}

// failArgs are serve's extra arguments for a case: the tight timeout when
// the case puts it under test, else none (the generous default).
func failArgs(timing bool) []string {
	if timing {
		return failServeArgs
	}
	return nil
}

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
		t.Cleanup(func() { ln.Close() }) // in case a test ends before serving it
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
// environment ("" is the root): 0 until the environment has been made.
// An answer that does not decode fails the test: a counter that reads as
// 0 on an error would let "no request was made" pass unseen.
func mockCounter(t *testing.T, idp *testIdP, scenario, name string) int64 {
	t.Helper()
	var all map[string]map[string]int64
	if err := json.Unmarshal(mockControl(t, idp, http.MethodGet, "/__mock/requests", nil), &all); err != nil {
		t.Fatalf("GET /__mock/requests: %v", err)
	}
	if scenario == "" {
		scenario = "root"
	}
	env, ok := all[scenario]
	if !ok {
		return 0
	}
	n, ok := env[name]
	if !ok {
		t.Fatalf("GET /__mock/requests: environment %s has no counter %s: %v", scenario, name, env)
	}
	return n
}

// waitCounter waits until a mock counter reaches at least n.
func waitCounter(t *testing.T, idp *testIdP, scenario, name string, n int64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s of %s reaches %d", name, scenario, n), func() bool { return mockCounter(t, idp, scenario, name) >= n })
}

// eventually polls cond until it holds, failing the test if it does not
// within hangDeadline. For conditions that only another process can tell
// (a counter behind HTTP); what can be waited on is waited on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangDeadline)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for: %s", hangDeadline, what)
		}
		<-tick.C
	}
}

// newFailBrowser is a browser that, in a case with a timeout under test,
// gives up soon after failBound, so a hang is reported as one.
func newFailBrowser(t *testing.T, timing bool) *browser {
	b := newBrowser(t)
	if timing {
		b.client.Timeout = failBound + 10*time.Second
	}
	return b
}

// timedGet is get, with how long the answer took.
func (b *browser) timedGet(u string) (page, time.Duration) {
	b.t.Helper()
	start := time.Now()
	p := b.get(u)
	return p, time.Since(start)
}

// checkErrorPage checks a failure page: one of the wanted statuses, never
// a 500 or raw library text, and a reference that is the request's
// correlation ID (J1); within failBound when bounded (a timeout is under
// test).
func checkErrorPage(t *testing.T, what string, p page, took time.Duration, want []int, bounded bool) {
	t.Helper()
	neverServerError(t, p)
	if !slices.Contains(want, p.status) {
		t.Errorf("%s: status %d, want one of %v: %.300s", what, p.status, want, p.body)
	}
	if bounded && took > failBound {
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
	fmt.Fprintf(&s, "\n%-26s %-38s %s\n", "mode", "expected", "got")
	for _, r := range ft.rows {
		fmt.Fprintf(&s, "%-26s %-38s %s\n", r[0], r[1], r[2])
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
	return cb.status == http.StatusFound && cb.location != nil && cb.location.Path == landing && b.cookie(app.URL, "skctl_session") != nil
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
// gives an error page with the status of B6/B7/I1/I2, a reference and no
// session, once the exchange has reached the faulted endpoint; a timeout
// under test answers within failBound.
func TestFailureToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode   string
		want   []int
		timing bool // the IdP timeout is under test
	}{
		{mode: "token.status=500", want: []int{502, 503}},
		{mode: "token.status=503", want: []int{502, 503}},
		{mode: "token.slow=10s", want: []int{504}, timing: true}, // longer than failBound
		{mode: "token.hang", want: []int{504}, timing: true},
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
				env := &testIdP{URL: idp.URL + "/" + tc.mode}
				preloadKeys(t, env.URL)
				app := startServe(t, lns[i], env, nil, app1ID, app1Secret, nil, failArgs(tc.timing)...)
				b := newFailBrowser(t, tc.timing)
				callback := b.callbackURL(app, env)
				before := mockCounter(t, idp, tc.mode, "token.requests")
				cb, took := b.timedGet(callback.String())
				// Only an exchange that reached the faulted endpoint says
				// anything about the fault.
				if n := mockCounter(t, idp, tc.mode, "token.requests") - before; n != 1 {
					t.Fatalf("%d token requests reached the environment, want 1 (callback %d)", n, cb.status)
				}
				got := fmt.Sprintf("%d in %s", cb.status, secs(took))
				if signedIn(b, app, cb) {
					t.Errorf("%s: the sign-in succeeded: serve accepted the fault (or the mode is a no-op)", tc.mode)
					table.add(tc.mode, want, "signed in: 302 /, session set")
					return
				}
				checkErrorPage(t, "callback", cb, took, tc.want, tc.timing)
				reason, _ := app.requestLog(t, cb, "request failed")["reason"].(string)
				got += ", " + reason
				if tc.timing && reason != "timeout" {
					t.Errorf("serve logged %q for the fault, want \"timeout\"", reason)
				}
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
				table.add(tc.mode, want, got)
			})
		}
	})
	table.log(t)
}

// TestFailureRefresh: on a signed-in session whose access token has
// expired, a transient refresh failure answers 503/504 and keeps the
// session, which works again once the IdP recovers; a refused refresh
// (invalid_grant, invalid_client) signs the user out (E4, I1). When the
// timeout is under test, the user signs in on an instance with a generous
// one and meets the fault on another with the tight one (the same client
// secret, so the same cookie key): only the refresh meets the timeout.
func TestFailureRefresh(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scenario, mode string
		fatal          bool
		timing         bool // the IdP timeout is under test
	}{
		{scenario: "refresh-status-503", mode: "refresh.status=503"},
		{scenario: "refresh-slow", mode: "refresh.slow=10s", timing: true}, // longer than failBound
		{scenario: "refresh-hang", mode: "refresh.hang", timing: true},
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
	idp, lns := startFailureIdP(t, 2*len(cases), sets)
	var table failTable
	t.Run("modes", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.mode, func(t *testing.T) {
				t.Parallel()
				want := "503/504 page, session kept, recovers"
				if tc.fatal {
					want = "signed out: cookie cleared, 302 /"
				}
				env := &testIdP{URL: idp.URL + "/" + tc.scenario}
				preloadKeys(t, env.URL)
				app := startServe(t, lns[2*i], env, nil, app1ID, app1Secret, nil, failArgs(tc.timing)...)
				signer := app
				if tc.timing {
					signer = startServe(t, lns[2*i+1], env, nil, app1ID, app1Secret, nil)
				}
				b := newFailBrowser(t, tc.timing)
				// The jar sends 127.0.0.1's cookies to any port, as browsers do.
				if cb := b.signIn(signer, env, adaID, acmeOrgID); !signedIn(b, signer, cb) {
					t.Fatalf("sign-in before the refresh: %d %v %.300s", cb.status, cb.location, cb.body)
				}
				before := mockCounter(t, idp, tc.scenario, "refresh.requests")
				p, took := b.timedGet(app.URL + "/dashboard")
				if n := mockCounter(t, idp, tc.scenario, "refresh.requests") - before; n != 1 {
					t.Fatalf("%d refresh requests reached the environment, want 1 (dashboard %d)", n, p.status)
				}
				neverServerError(t, p)
				if tc.timing && took > failBound {
					t.Errorf("the dashboard answered after %v, want within %v", took.Round(time.Millisecond), failBound)
				}
				got := fmt.Sprintf("%d in %s", p.status, secs(took))
				if tc.fatal {
					cleared := sessionCleared(p)
					if !toLogin(p, "/dashboard") || !cleared {
						t.Errorf("refused refresh: %d %v cleared=%v, want the session cleared and a redirect to sign in again", p.status, p.location, cleared)
					}
					wantReason := "refresh: " + strings.TrimPrefix(tc.mode, "refresh.")
					if e := app.requestLog(t, p, "session ended"); e["reason"] != wantReason {
						t.Errorf("serve logged the end of the session with %q, want %q", e["reason"], wantReason)
					}
					if next := b.get(app.URL + "/dashboard"); !toLogin(next, "/dashboard") {
						t.Errorf("after the refused refresh the dashboard answers %d %v, want a redirect to sign in (signed out)", next.status, next.location)
					}
					got += fmt.Sprintf(" to %v, cleared=%v", p.location, cleared)
					table.add(tc.mode, want, got)
					return
				}
				if p.status == http.StatusOK {
					t.Fatalf("the dashboard was served: the mode is a no-op")
				}
				checkErrorPage(t, "dashboard", p, took, []int{503, 504}, tc.timing)
				reason, _ := app.requestLog(t, p, "request failed")["reason"].(string)
				got += ", " + reason
				if tc.timing && reason != "timeout" {
					t.Errorf("serve logged %q for the fault, want \"timeout\"", reason)
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
// (so the same cookie key) while the JWKS endpoint fails: once it has
// asked the endpoint, it answers 503 (504 for a timeout), keeps the
// cookies, and serves the session once the endpoint recovers (D4, I1, I2).
func TestFailureJWKS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scenario, mode string
		want           []int
		timing         bool // the IdP timeout is under test
	}{
		{scenario: "jwks-status-500", mode: "jwks.status=500", want: []int{503}},
		{scenario: "jwks-hang", mode: "jwks.hang", want: []int{503, 504}, timing: true},
		{scenario: "jwks-flap", mode: "jwks.flap", want: []int{503}},
		{scenario: "jwks-malformed", mode: "jwks.malformed", want: []int{503}},
		{scenario: "jwks-empty", mode: "jwks.empty", want: []int{503}},
		{scenario: "jwks-huge", mode: "jwks.huge", want: []int{503}},
	}
	// Each case has its own, fault-free environment: the fault is switched
	// on at runtime, after the first instance has signed in and the fresh
	// one has done discovery.
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
				env := &testIdP{URL: idp.URL + "/" + tc.scenario}
				preloadKeys(t, env.URL)
				first := startServe(t, lns[2*i], env, nil, app1ID, app1Secret, nil)
				b := newFailBrowser(t, tc.timing)
				if cb := b.signIn(first, env, adaID, acmeOrgID); !signedIn(b, first, cb) {
					t.Fatalf("sign-in on the first instance: %d %v %.300s", cb.status, cb.location, cb.body)
				}
				// The jar sends 127.0.0.1's cookies to any port, as browsers do.
				fresh := startServe(t, lns[2*i+1], env, nil, app1ID, app1Secret, nil, failArgs(tc.timing)...)
				setFault(t, idp, tc.scenario, tc.mode)
				before := mockCounter(t, idp, tc.scenario, "jwks.requests")

				p, took := b.timedGet(fresh.URL + "/dashboard")
				if fetched := mockCounter(t, idp, tc.scenario, "jwks.requests") - before; fetched == 0 {
					t.Fatalf("the fresh instance made no JWKS request (dashboard %d): the answer is not the fault's", p.status)
				}
				neverServerError(t, p)
				got := fmt.Sprintf("%d in %s", p.status, secs(took))
				if tc.mode == "jwks.flap" && p.status == http.StatusOK {
					// The flap let this fetch through: the next failure can
					// only show on a cache miss, so it is not observable
					// here. It must still never sign the user out.
					got += " (fetch let through by the flap)"
				} else if p.status == http.StatusOK {
					t.Fatalf("the dashboard was served with the JWKS fault on: the mode is a no-op")
				} else {
					checkErrorPage(t, "dashboard", p, took, tc.want, tc.timing)
					reason, _ := fresh.requestLog(t, p, "request failed")["reason"].(string)
					got += ", " + reason
					if reason != "access token keys unavailable" {
						t.Errorf("serve logged %q for the fault, want %q", reason, "access token keys unavailable")
					}
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
					q := b.get(fresh.URL + "/dashboard")
					neverServerError(t, q)
					if q.status != http.StatusOK {
						t.Errorf("second request while flapping: %d, want the fetch the flap lets through", q.status)
					}
					got += fmt.Sprintf(", then %d while flapping", q.status)
				}
				clearFaults(t, idp, tc.scenario)
				// The first request after recovery fetches afresh
				// (oidcx.KeySet).
				after := b.get(fresh.URL + "/dashboard")
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
	}, slices.Concat([]string{"serve", "--env-file", ""}, happyServeArgs, args)...)
	return &appUnderTest{URL: appURL, run: r}
}

// TestFailureDiscoveryAtStart: with the environment failing from the
// start, serve runs; once its discovery request has reached the failing
// environment, it is not ready and sign-in answers 503 for that reason;
// once the environment recovers it becomes ready without a restart (I1,
// I3).
func TestFailureDiscoveryAtStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode   string
		timing bool // the IdP timeout is under test
	}{
		{mode: "net.hang", timing: true},
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
				app := startServeUnready(t, lns[i], idp.URL+"/"+tc.mode, failArgs(tc.timing)...)
				waitCounter(t, idp, tc.mode, "discovery.requests", 1)
				b := newFailBrowser(t, tc.timing)
				ready := b.get(app.URL + "/readyz")
				got := fmt.Sprintf("readyz %d", ready.status)
				if ready.status != http.StatusServiceUnavailable {
					t.Fatalf("/readyz with discovery failing: %d %.200s, want 503", ready.status, ready.body)
				}
				login, took := b.timedGet(app.URL + "/api/auth/login")
				got += fmt.Sprintf(", login %d in %s", login.status, secs(took))
				checkErrorPage(t, "login", login, took, []int{503}, tc.timing)
				if e := app.requestLog(t, login, "request failed"); e["reason"] != "discovery not done" {
					t.Errorf("serve logged %q for the login, want %q", e["reason"], "discovery not done")
				}
				if h := b.get(app.URL + "/healthz"); h.status != http.StatusOK {
					t.Errorf("/healthz during the outage: %d", h.status)
				}
				clearFaults(t, idp, tc.mode)
				cleared := time.Now()
				// Retries back off from 1 s to 30 s: the next one after the
				// recovery succeeds, and says so.
				app.waitDiscovery(t)
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
