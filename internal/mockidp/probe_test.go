package mockidp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"golang.org/x/oauth2"
)

// The findings of a hostile probe of the mock, each a test that failed
// before its fix.

// TestSignInPageOffersOnlyTheRoutedOrganization: a sign-in page for a
// request routed to Globex lists Globex's members only; a forged post
// choosing Ada in Acme is refused, rather than signing her in to Acme
// through Globex's connection (an oid and an amr that disagree).
func TestSignInPageOffersOnlyTheRoutedOrganization(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	v := validParams()
	v.Set("organization_id", globexOrg)
	page := b.get(authorizeURL(env.URL, v))
	if strings.Contains(page.body, "Ada Lovelace") {
		t.Fatalf("the page for Globex offers Ada, who is not a member: %.300s", page.body)
	}
	p := b.pick(env, page, url.Values{"user": {ada}, "org": {acmeOrg}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "not offered") {
		t.Fatalf("a choice the page did not offer: %d %v %.300s", p.status, p.location, p.body)
	}
	// The page still signs in whom it offers: Hank, in Globex.
	p = b.pick(env, p, url.Values{"user": {hank}, "org": {globexOrg}})
	if p.status != http.StatusFound || p.location.Query().Get("code") == "" {
		t.Fatalf("Hank in Globex: %d %v %.300s", p.status, p.location, p.body)
	}
}

// TestControlRefusesCrossSiteNavigation: a cross-site page can make the
// browser navigate to a control endpoint without an Origin header; the
// browser's Sec-Fetch-Site says where it came from, and the mock refuses
// it. A JSON body must be sent as exactly application/json.
func TestControlRefusesCrossSiteNavigation(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	get := func(site string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/__mock/idp-initiated?client_id="+app1ID+"&email=ada@acme.test", nil)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		p := newBrowser(t).do(req)
		return p.status, p.body
	}
	for _, site := range []string{"cross-site", "same-site", "same-origin"} {
		if status, body := get(site); status != http.StatusForbidden || !strings.Contains(body, "Sec-Fetch-Site") {
			t.Errorf("Sec-Fetch-Site: %s: %d %.200s, want 403 naming the header", site, status, body)
		}
	}
	// A typed URL (none) or a tool without fetch metadata is the developer.
	for _, site := range []string{"none", ""} {
		if status, _ := get(site); status == http.StatusForbidden {
			t.Errorf("Sec-Fetch-Site %q: refused", site)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/__mock/faults", strings.NewReader(`{"mode":"token.hang"}`))
	req.Header.Set("Content-Type", "application/jsonp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Content-Type application/jsonp: %d, want 403", resp.StatusCode)
	}
}

// TestLogoutHintIsAnIDToken: an access token of the environment is no
// id_token_hint: logout refuses it and the session lives on.
func TestLogoutHintIsAnIDToken(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	tok := a.login(newBrowser(t), "ada@acme.test")
	p := newBrowser(t).get(env.URL + "/oidc/logout?" + url.Values{"id_token_hint": {tok.AccessToken}}.Encode())
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "not an ID token") {
		t.Fatalf("an access token as id_token_hint: %d %.300s", p.status, p.body)
	}
	r := postToken(t, env.URL, refreshForm(tok.RefreshToken, app1ID, app1Secret), nil)
	if r.status != http.StatusOK {
		t.Errorf("the session ended anyway: refresh %d %v", r.status, r.body)
	}
}

// TestSessionCap: past MaxSessions, the longest-idle IdP sessions are
// evicted with their refresh tokens, and /__mock/requests counts them; the
// newest sessions keep working.
func TestSessionCap(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{MaxSessions: 8})
	var refresh []string
	for range 20 {
		refresh = append(refresh, exchangeFor(t, env.URL).body["refresh_token"].(string))
	}
	st := env.Stats()
	if st.Sessions > 8 || st.RefreshTokens > 8 {
		t.Errorf("after 20 sign-ins with a cap of 8: %+v", st)
	}
	counters, _ := getJSON(t, env.URL+"/__mock/requests")
	evicted := counters["root"].(map[string]any)["sessions.evicted"]
	if evicted != float64(20-st.Sessions) {
		t.Errorf("sessions.evicted = %v, want %d", evicted, 20-st.Sessions)
	}
	postToken(t, env.URL, refreshForm(refresh[0], app1ID, app1Secret), nil).wantError(t, http.StatusBadRequest, "invalid_grant")
	if r := postToken(t, env.URL, refreshForm(refresh[19], app1ID, app1Secret), nil); r.status != http.StatusOK {
		t.Errorf("the newest session's refresh: %d %v", r.status, r.body)
	}
}

// TestServerLimits: the environment's HTTP server cuts a client that
// drips its request body, and refuses headers past 64 KiB.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{ReadTimeout: 300 * time.Millisecond})
	// The server's clock starts when it reads the request, after the dial.
	start := time.Now()
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A token request whose body never comes in full.
	fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=", strings.TrimPrefix(env.URL, "http://"))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // the happy bound: far past the server's
	_, err = io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the dripping client was not cut by the server: %v", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("the connection closed after %v, before the read timeout", took)
	}

	req, _ := http.NewRequest(http.MethodGet, env.URL+"/.well-known/openid-configuration", nil)
	req.Header.Set("X-Padding", strings.Repeat("x", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

// TestFaultScopeAndOrder: a fault armed for one client fires for that
// client's logout posted as a form and for its userinfo calls (the client
// is in the body, or in the bearer token); a request the endpoint refuses
// with 405 never meets an outage nor uses it up.
func TestFaultScopeAndOrder(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	arm := func(mode string, count int) {
		t.Helper()
		disarm(t, env.URL)
		setFault(t, env.URL, map[string]any{"mode": mode, "count": count, "client": app1ID})
	}
	arm("logout.status=503", 0)
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/oidc/logout", strings.NewReader(url.Values{"client_id": {app1ID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := newBrowser(t).do(req); p.status != http.StatusServiceUnavailable {
		t.Errorf("logout.status for app 1, a POST with its client_id in the body: %d", p.status)
	}

	at := exchangeFor(t, env.URL).body["access_token"].(string)
	userinfo := func(method string) int {
		t.Helper()
		req, _ := http.NewRequest(method, env.URL+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		return newBrowser(t).do(req).status
	}
	arm("userinfo.status=503", 1)
	if got := userinfo(http.MethodGet); got != http.StatusServiceUnavailable {
		t.Errorf("userinfo.status for app 1, app 1's token: %d, want 503", got)
	}
	if got := userinfo(http.MethodGet); got != http.StatusOK {
		t.Errorf("after its one use: %d", got)
	}

	disarm(t, env.URL)
	setFault(t, env.URL, map[string]any{"mode": "userinfo.status=503", "count": 1})
	if got := userinfo(http.MethodPut); got != http.StatusMethodNotAllowed {
		t.Errorf("PUT /userinfo under userinfo.status: %d, want 405", got)
	}
	if got := userinfo(http.MethodGet); got != http.StatusServiceUnavailable {
		t.Errorf("GET after the refused PUT: %d, want 503: the PUT must not use the outage up", got)
	}
}

// TestSelectAccountKeepsItsBinding: under select_account the page offers
// the signed-in user alone; after a forged choice is refused, the page
// shown again still offers that user alone.
func TestSelectAccountKeepsItsBinding(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a.login(b, "hank@globex.test")
	f := a.start(oauth2.SetAuthURLParam("prompt", "select_account"))
	p := b.pick(env, b.get(f.authURL), url.Values{"user": {ada}, "org": {acmeOrg}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "not offered") {
		t.Fatalf("a forged choice of Ada: %d %.300s", p.status, p.body)
	}
	if strings.Contains(p.body, "Ada Lovelace") || !strings.Contains(p.body, "Hank Scorpio") {
		t.Errorf("the page shown again offers more than Hank: %.2000s", p.body)
	}
	p = b.pick(env, p, url.Values{"user": {ada}, "org": {acmeOrg}})
	if p.status == http.StatusFound {
		t.Fatalf("a second forged choice signed Ada in: %v", p.location)
	}
}

// TestCodeReplayRacesItsRedemption: under code.single_use, two
// redemptions of one code sent at once leave no live refresh token: the
// one that wins issues a token that the replay revokes, however the two
// interleave. A replay that came while the first was still running used to
// revoke nothing.
func TestCodeReplayRacesItsRedemption(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Scenarios: []string{"code.single_use"}})
	for round := range 10 {
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, "openid offline_access")
		var wg sync.WaitGroup
		refresh := make([]string, 2)
		for i := range 2 {
			wg.Go(func() { // no t.Fatal here: a failure shows as no token
				resp, body, err := rawPost(env.URL, "/oauth/token", codeForm(code, verifier), 30*time.Second)
				var r struct {
					RefreshToken string `json:"refresh_token"`
				}
				if err == nil && resp.StatusCode == http.StatusOK && json.Unmarshal(body, &r) == nil {
					refresh[i] = r.RefreshToken
				}
			})
		}
		wg.Wait()
		won := refresh[0] + refresh[1]
		if won == "" || (refresh[0] != "" && refresh[1] != "") {
			t.Fatalf("round %d: want exactly one redemption to succeed, got %q", round, refresh)
		}
		postToken(t, env.URL, refreshForm(won, app1ID, app1Secret), nil).wantError(t, http.StatusBadRequest, "invalid_grant")
	}
}
