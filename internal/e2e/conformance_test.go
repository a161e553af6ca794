package e2e_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// conformanceCase is one row of the OpenID RP certification mapping in
// the mock's scenario design: serve signs in against a scenario
// environment of the mock, and must refuse or succeed as the
// certification test asserts.
type conformanceCase struct {
	id, scenario string
	expect       string // "signed in", "refused", "either", "stopped"
	// reason is what serve logs when it refuses (for "refused", and for
	// "either" when it refuses): a refusal counts only with its page and
	// this reason, never as any failure (a timeout is no refusal).
	reason string
	args   []string
	// after runs extra steps on a signed-in session (refresh, logout,
	// a second login) and returns what happened.
	after func(t *testing.T, c *conformanceRun) string
}

// conformanceRun is serve running against one scenario environment.
type conformanceRun struct {
	app    *appUnderTest
	env    string // the scenario environment's URL
	idp    *testIdP
	b      *browser
	scName string
	reason string // the row's
}

var conformanceCases = []conformanceCase{
	{id: "rp-response_type-code", scenario: "", expect: "signed in"},
	{id: "rp-id_token-issuer-mismatch", scenario: "idt.iss_wrong", expect: "refused", reason: "ID token issuer mismatch"},
	{id: "rp-id_token-sub", scenario: "idt.sub_missing", expect: "refused", reason: "ID token sub missing or malformed"},
	{id: "rp-id_token-aud", scenario: "idt.aud_wrong", expect: "refused", reason: "ID token audience mismatch"},
	{id: "rp-id_token-iat", scenario: "idt.iat_missing", expect: "refused", reason: "ID token iat missing"},
	{id: "rp-id_token-kid-absent-single-jwks", scenario: "idt.kid_absent_single", expect: "signed in"},
	{id: "rp-id_token-kid-absent-multiple-jwks", scenario: "idt.kid_absent_multi", expect: "either", reason: "ID token signature invalid"},
	{id: "rp-id_token-sig-rs256", scenario: "", expect: "signed in"},
	{id: "rp-id_token-sig-none", scenario: "idt.alg_none", expect: "refused", reason: "ID token algorithm not allowed"},
	{id: "rp-id_token-bad-sig-rs256", scenario: "idt.sig_bad_rs256", expect: "refused", reason: "ID token signature invalid"},
	{id: "rp-userinfo-bad-sub-claim", scenario: "userinfo.sub_mismatch", expect: "refused", reason: "userinfo sub differs from the ID token sub"},
	{id: "rp-nonce-invalid", scenario: "idt.nonce_wrong", expect: "refused", reason: "ID token nonce mismatch"},
	{id: "rp-scope-userinfo-claims", scenario: "", expect: "signed in", after: func(t *testing.T, c *conformanceRun) string {
		q := c.b.loc(c.b.get(c.app.URL+"/api/auth/login", "Sec-Fetch-Site", "same-origin")).Query()
		if q.Get("scope") != "openid profile email offline_access" {
			return "scope " + q.Get("scope")
		}
		return "signed in"
	}},
	{id: "rp-token_endpoint-client_secret_basic", scenario: "token.require_basic", expect: "signed in", args: []string{"--token-auth-method", "client_secret_basic"}},
	{id: "rp-discovery-openid-configuration", scenario: "", expect: "signed in"},
	{id: "rp-discovery-jwks_uri-keys", scenario: "discovery.jwks_uri_random", expect: "signed in"},
	{id: "rp-discovery-issuer-not-matching-config", scenario: "discovery.issuer_mismatch", expect: "stopped"},
	{id: "rp-key-rotation-op-sign-key-native", scenario: "jwks.rotate_before_sign", expect: "signed in"},
	{id: "rp-key-rotation-op-sign-key", scenario: "jwks.rotate_after_first_token", expect: "signed in", after: func(t *testing.T, c *conformanceRun) string {
		// A second login, signed with the rotated key, reloads the keys.
		if p := newBrowser(t).signIn(c.app, &testIdP{URL: c.env}, adaID, acmeOrgID); p.status != http.StatusFound || p.location.Path != landing {
			return fmt.Sprintf("second login %d", p.status)
		}
		return "signed in"
	}},
	{id: "oidcc-client-test-missing-aud", scenario: "idt.aud_missing", expect: "refused", reason: "ID token audience mismatch"},
	{id: "rp-id_token-bad-sig-hs256", scenario: "idt.alg_hs256", expect: "refused", reason: "ID token algorithm not allowed"},
	{id: "rp-id_token-bad-sig-hs256 (public key as secret)", scenario: "idt.alg_hs256=pubkey", expect: "refused", reason: "ID token algorithm not allowed"},
	{id: "rp-id_token-bad-sig-es256", scenario: "idt.sig_bad_es256", expect: "refused", reason: "ID token algorithm not allowed"},
	{id: "malformed ID token", scenario: "idt.malformed=json", expect: "refused", reason: "ID token signature invalid"},
	{id: "rp-id_token-bad-at_hash", scenario: "idt.at_hash_wrong", expect: "refused", reason: "ID token at_hash"},
	{id: "oidcc-client-test-ignores-unparseable-key-in-jwks", scenario: "jwks.unparseable_extra_key", expect: "signed in"},
	{id: "oidcc-client-test-refresh-token", scenario: "at.exp_short=10s", expect: "signed in", after: refreshStep("signed in")},
	{id: "oidcc-client-test-refresh-token-invalid-issuer", scenario: "refresh-iss-changed", expect: "refused", reason: "refresh: ID token issuer mismatch", after: refreshStep("refused")},
	{id: "oidcc-client-test-refresh-token-invalid-sub", scenario: "refresh-sub-changed", expect: "refused", reason: "refresh: the new ID token is for another subject or audience", after: refreshStep("refused")},
	{id: "rp-init-logout", scenario: "", expect: "signed in", after: logoutStep("")},
	{id: "rp-init-logout-other-state", scenario: "logout.change_state", expect: "signed in", after: logoutStep("state-the-app-never-sent")},
	{id: "rp-init-logout-no-state", scenario: "logout.drop_state", expect: "signed in", after: logoutStep("-")},
}

// refreshStep makes the expired access token refresh (the scenario makes
// access tokens live 10 s, which serve refreshes at once) and reports
// whether the session survived: "refused" only when serve signed the user
// out and logged the row's reason for it.
func refreshStep(want string) func(*testing.T, *conformanceRun) string {
	return func(t *testing.T, c *conformanceRun) string {
		p := c.b.get(c.app.URL + "/dashboard")
		refreshes := c.counter(t, "refresh.requests")
		switch {
		case refreshes != 1:
			return fmt.Sprintf("%d refreshes", refreshes)
		case p.status == http.StatusOK:
			return "signed in"
		case p.status == http.StatusFound && sessionCleared(p):
			if reason := c.app.requestLog(t, p, "session ended")["reason"]; reason != c.reason {
				return fmt.Sprintf("signed out for %q", reason)
			}
			return "refused"
		}
		return fmt.Sprintf("dashboard %d", p.status)
	}
}

// logoutStep signs out through the end-session endpoint and checks the
// state the IdP sends back ("-": none), and that the session is gone.
func logoutStep(wantState string) func(*testing.T, *conformanceRun) string {
	return func(t *testing.T, c *conformanceRun) string {
		out := c.b.get(c.app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
		if out.location == nil || !strings.HasPrefix(out.location.String(), c.env+"/oidc/logout?") || !sessionCleared(out) {
			return fmt.Sprintf("logout %d %v", out.status, out.location)
		}
		sent := out.location.Query().Get("state")
		back := c.b.follow(out)
		got := c.b.loc(back).Query().Get("state")
		switch {
		case wantState == "" && got != sent, wantState == "-" && got != "", wantState != "" && wantState != "-" && got != wantState:
			return "state " + got
		}
		home := c.b.follow(back)
		if back.location.Query().Has("state") {
			// The landing checks the state, then drops the query.
			if home.status != http.StatusFound || home.location.String() != c.app.URL+"/" {
				return fmt.Sprintf("landing %d %v", home.status, home.location)
			}
			home = c.b.follow(home)
		}
		if !strings.Contains(home.body, "Sign in") {
			return "still signed in"
		}
		// Only the state this browser was sent off with earns the notice
		// (G2).
		if notice := strings.Contains(home.body, "You are signed out"); notice != (wantState == "") {
			return fmt.Sprintf("signed out, notice shown=%v", notice)
		}
		return "signed in" // the journey completed
	}
}

// counter reads one of the scenario environment's counters; an answer
// that does not decode fails the test (mockCounter).
func (c *conformanceRun) counter(t *testing.T, name string) int64 {
	t.Helper()
	return mockCounter(t, c.idp, c.scName, name)
}

// TestConformance runs the RP certification mapping against serve and
// prints the table: test ID, scenario, expected, got.
func TestConformance(t *testing.T) {
	t.Parallel()
	// One listener per row, registered with the mock before it starts.
	lns := make([]net.Listener, len(conformanceCases))
	var urls []string
	for i := range lns {
		ln, u := listenApp(t)
		t.Cleanup(func() { ln.Close() }) // in case a row ends before serving it
		lns[i], urls = ln, append(urls, u)
	}
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		fx.Apps[0].RedirectURIs = append(fx.Apps[0].RedirectURIs, u+"/api/auth/callback")
		fx.Apps[0].PostLogoutRedirectURIs = append(fx.Apps[0].PostLogoutRedirectURIs, u+"/")
	}
	fx.Scenarios = map[string][]string{
		"refresh-iss-changed": {"at.exp_short=10s", "refresh.id_token_iss_changed"},
		"refresh-sub-changed": {"at.exp_short=10s", "refresh.id_token_sub_changed"},
	}
	// Strict mode checks serve's own requests as the conformance suite
	// does: state, nonce, PKCE S256, openid, one client auth method.
	// The canary is in every token, code, refresh token and error
	// description: it must never reach serve's logs or pages (J2).
	canary := "CANARY" + strings.ReplaceAll(fmt.Sprint(time.Now().UnixNano()), "-", "")
	idp := startIdPOptions(t, nil, mockidp.Options{Fixtures: fx, Strict: true, Canary: canary})

	var mu sync.Mutex
	rows := make([][4]string, len(conformanceCases))
	t.Run("rows", func(t *testing.T) {
		for i, tc := range conformanceCases {
			t.Run(tc.id, func(t *testing.T) {
				t.Parallel()
				got := runConformance(t, tc, idp, lns[i], canary)
				mu.Lock()
				rows[i] = [4]string{tc.id, tc.scenario, tc.expect, got}
				mu.Unlock()
				if got != tc.expect && !(tc.expect == "either" && (got == "signed in" || got == "refused")) {
					t.Errorf("%s (%s): expected %s, got %s", tc.id, tc.scenario, tc.expect, got)
				}
			})
		}
	})
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-52s %-30s %-10s %s\n", "test ID", "scenario", "expected", "got")
	for _, r := range rows {
		if r[1] == "" {
			r[1] = "(none)"
		}
		fmt.Fprintf(&table, "%-52s %-30s %-10s %s\n", r[0], r[1], r[2], r[3])
	}
	t.Log(table.String())

	var envs map[string]struct{ Violations []string }
	if err := json.Unmarshal(mockControl(t, idp, http.MethodGet, "/__mock/requests?log=1", nil), &envs); err != nil {
		t.Fatalf("GET /__mock/requests?log=1: %v", err)
	}
	if len(envs) < 10 {
		t.Errorf("only %d environments in the request log", len(envs))
	}
	for name, e := range envs {
		for _, v := range e.Violations {
			t.Errorf("strict mode, %s: %s", name, v)
		}
	}
}

// runConformance signs in to serve against the row's scenario environment
// and says what happened: "signed in", "refused" (serve's refusal page
// and the row's logged reason, no session, no userinfo call), or
// "stopped" (serve refused the environment before any authorization
// request).
func runConformance(t *testing.T, tc conformanceCase, idp *testIdP, ln net.Listener, canary string) string {
	c := &conformanceRun{b: newBrowser(t), reason: tc.reason}
	got, stderr := runConformanceFlow(t, tc, idp, ln, c)
	if c.app != nil {
		stderr += c.app.run.stderr.String()
	}
	c.b.mu.Lock()
	pages := c.b.seen.String()
	c.b.mu.Unlock()
	if strings.Contains(stderr, canary) {
		t.Errorf("%s: the canary reached serve's logs", tc.id)
	}
	if strings.Contains(pages, canary) {
		t.Errorf("%s: the canary reached a page of serve's", tc.id)
	}
	return got
}

func runConformanceFlow(t *testing.T, tc conformanceCase, idp *testIdP, ln net.Listener, c *conformanceRun) (string, string) {
	env := idp.URL
	if tc.scenario != "" {
		env += "/" + tc.scenario
	}
	c.env, c.idp, c.scName = env, idp, tc.scenario
	args := append([]string{"--userinfo", "true"}, tc.args...)
	if tc.expect == "stopped" {
		code, _, stderr := runServeOnce(t, ln, env, args)
		if code == 2 && strings.Contains(stderr, "names the issuer") && c.counter(t, "authorize.requests") == 0 {
			return "stopped", stderr
		}
		return fmt.Sprintf("exit %d", code), stderr
	}
	preloadKeys(t, env)
	c.app = startServe(t, ln, &testIdP{URL: env}, nil, app1ID, app1Secret, nil, args...)
	cb := c.b.signIn(c.app, &testIdP{URL: env}, adaID, acmeOrgID)
	if cb.status != http.StatusFound || cb.location.Path != landing {
		return c.refusal(t, cb), ""
	}
	if c.b.cookie(c.app.URL, "skctl_session") == nil {
		return "302 home without a session cookie", ""
	}
	if tc.after != nil {
		return tc.after(t, c), ""
	}
	if dash := c.b.get(c.app.URL + "/dashboard"); dash.status != http.StatusOK || !strings.Contains(dash.body, "Welcome, Ada Lovelace") {
		return fmt.Sprintf("signed in, but the dashboard answers %d", dash.status), ""
	}
	return "signed in", ""
}

// refusal says what a callback that did not sign in shows: "refused" only
// for serve's refusal page with the row's logged reason, no session
// cookie, and (unless the row is about userinfo) no userinfo call.
// Anything else, such as a gateway timeout, is reported as what it is.
func (c *conformanceRun) refusal(t *testing.T, cb page) string {
	t.Helper()
	if cb.status != http.StatusBadRequest || !strings.Contains(cb.body, "could not be verified") {
		return fmt.Sprintf("callback %d, not the refusal page", cb.status)
	}
	for _, sc := range (&http.Response{Header: cb.header}).Cookies() {
		if sc.Name == "skctl_session" && sc.MaxAge >= 0 {
			return "session cookie set"
		}
	}
	if reason := c.app.requestLog(t, cb, "request failed")["reason"]; reason != c.reason {
		return fmt.Sprintf("refused for %q", reason)
	}
	if c.scName != "userinfo.sub_mismatch" && c.counter(t, "userinfo.requests") != 0 {
		return "userinfo called after a bad ID token"
	}
	return "refused"
}

// runServeOnce runs serve expecting it to stop by itself.
func runServeOnce(t *testing.T, ln net.Listener, env string, args []string) (int, string, string) {
	t.Helper()
	all := slices.Concat([]string{"serve", "--env-file", "", "--environment-url", env, "--client-id", app1ID, "--client-secret", app1Secret,
		"--redirect-uri", "http://" + ln.Addr().String() + "/api/auth/callback", "--addr", "127.0.0.1:0"}, happyServeArgs, args)
	ln.Close()
	return run(t, all...)
}
