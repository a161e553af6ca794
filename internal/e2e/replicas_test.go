package e2e_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/servemetrics/metricstest"
)

const refreshKey = "POST /oauth/token refresh_token"

// storm sends n parallel GET /dashboard through the proxy, each with
// cookie, and returns the answers.
func (rs *replicaSet) storm(t *testing.T, n int, cookie string) []page {
	t.Helper()
	pages := make([]page, n)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() { pages[i] = getWith(t, rs.URL+"/dashboard", cookie) })
	}
	wg.Wait()
	return pages
}

// TestReplicasRefreshStorm: 50 parallel requests carrying one expired
// session, spread by a round-robin proxy over three replicas, make
// exactly one refresh at the IdP; all 50 are served, and every session
// cookie they set holds the same new token set. The two replicas that
// did not redeem say they adopted the other's result.
func TestReplicasRefreshStorm(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 3)
	_, cookie := rs.signedIn(t)
	old := rs.sessionOf(t, http.Header{"Set-Cookie": setCookies(cookie)})
	rs.clock.Advance(6 * time.Minute)

	pages := rs.storm(t, 50, cookie)
	served := map[int]int{}
	var first map[string]any
	for i, p := range pages {
		neverServerError(t, p)
		if p.status != http.StatusOK || !strings.Contains(p.body, "Welcome, Ada Lovelace") {
			t.Errorf("request %d: %d %.200s", i, p.status, p.body)
		}
		served[replicaOf(t, p)]++
		got := rs.sessionOf(t, p.header)
		switch {
		case got == nil:
			t.Errorf("request %d (replica %d) set no session cookie", i, replicaOf(t, p))
		case first == nil:
			first = got
		case !reflect.DeepEqual(got, first):
			t.Errorf("request %d (replica %d) set another session than the first: two refreshes' tokens", i, replicaOf(t, p))
		}
	}
	if n := rs.idp.count(refreshKey); n != 1 {
		t.Fatalf("%d refreshes at the IdP, want exactly 1", n)
	}
	if len(served) != 3 {
		t.Errorf("the proxy spread the requests as %v, want all three replicas", served)
	}
	if first["a"] == old["a"] || first["r"] == old["r"] || first["s"] != old["s"] || first["s"] == nil {
		t.Errorf("the new session has the old tokens, or lost its session ID")
	}
	adopted := 0
	for _, a := range rs.replicas {
		adopted += a.countLog(msgIs("refresh adopted from another replica"))
	}
	if adopted != 2 {
		t.Errorf("%d replicas adopted another's refresh, want the 2 that did not redeem", adopted)
	}
	// The metrics say the same: one redemption among the replicas, two
	// adoptions of its result through Valkey, and Valkey up on all.
	var redeemed, fromReplica float64
	for i, a := range rs.replicas {
		e := metricstest.Scrape(t, nil, a.URL+"/metrics")
		redeemed += e.Value("skctl_serve_refreshes_total", "outcome", "redeemed")
		fromReplica += e.Value("skctl_serve_refresh_adoptions_total", "source", "replica")
		if up := e.Value("skctl_serve_redis_up"); up != 1 {
			t.Errorf("replica %d skctl_serve_redis_up %v, want 1 while Valkey answers", i, up)
		}
	}
	if redeemed != 1 || fromReplica != 2 {
		t.Errorf("metrics: %v successful refreshes and %v adopted from a replica, want 1 and 2", redeemed, fromReplica)
	}
	// The new session works on every replica without another refresh.
	newCookie := cookieHeaderOf(pages[0].header)
	for i, a := range rs.replicas {
		if p := getWith(t, a.URL+"/dashboard", newCookie); p.status != http.StatusOK {
			t.Errorf("replica %d with the new session: %d", i, p.status)
		}
	}
	if n := rs.idp.count(refreshKey); n != 1 {
		t.Errorf("%d refreshes after the storm, want 1", n)
	}
}

// TestReplicasRefusalShared: when the IdP refuses the refresh (its
// session ended), the one refusal signs every request out, on every
// replica, without a second refresh call.
func TestReplicasRefusalShared(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 3)
	b, cookie := rs.signedIn(t)
	if p := b.get(rs.idp.URL + "/oidc/logout"); p.status != http.StatusOK {
		t.Fatalf("IdP logout: %d", p.status)
	}
	rs.clock.Advance(6 * time.Minute)
	for i, p := range rs.storm(t, 30, cookie) {
		neverServerError(t, p)
		if !toLogin(p, "/dashboard") || !sessionCleared(p) {
			t.Errorf("request %d (replica %d): %d %v cleared=%v, want signed out", i, replicaOf(t, p), p.status, p.location, sessionCleared(p))
		}
	}
	if n := rs.idp.count(refreshKey); n != 1 {
		t.Errorf("%d refreshes at the IdP, want 1", n)
	}
	for i, a := range rs.replicas {
		if a.countLog(func(e logEntry) bool {
			r, _ := e["reason"].(string)
			return e["msg"] == "session ended" && strings.Contains(r, "invalid_grant")
		}) == 0 {
			t.Errorf("replica %d logged no session ended for invalid_grant", i)
		}
	}
}

// TestReplicasSignOut: a sign-out through one replica makes the other
// two refuse the old cookie within a second, by pub/sub, with the reason
// in their logs.
func TestReplicasSignOut(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 3)
	b, cookie := rs.signedIn(t)
	for i, a := range rs.replicas {
		if p := getWith(t, a.URL+"/dashboard", cookie); p.status != http.StatusOK {
			t.Fatalf("replica %d before the sign-out: %d", i, p.status)
		}
	}
	rs.signOutRefused(t, b, cookie, make([]int, len(rs.replicas)))
}

// signOutRefused signs b out through the proxy and checks that every
// replica then refuses cookie, with the reason in its log: the others
// within a second of the sign-out, once they have received the
// revocation. received[i] is how many revocations replica i had
// received before.
func (rs *replicaSet) signOutRefused(t *testing.T, b *browser, cookie string, received []int) {
	t.Helper()
	out := b.get(rs.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
	signedOut := time.Now()
	if out.status != http.StatusFound || !sessionCleared(out) {
		t.Fatalf("sign-out: %d cleared=%v", out.status, sessionCleared(out))
	}
	by := replicaOf(t, out)
	for i, a := range rs.replicas {
		if i == by {
			continue
		}
		// The event: the replica's subscription received the revocation.
		if !a.waitLogCount(time.Second, received[i]+1, msgIs("revocation received")) {
			t.Errorf("replica %d did not receive the revocation within a second of the sign-out on replica %d", i, by)
		}
	}
	took := time.Since(signedOut)
	for i, a := range rs.replicas {
		p := getWith(t, a.URL+"/dashboard", cookie)
		if !toLogin(p, "/dashboard") || !sessionCleared(p) {
			t.Errorf("replica %d after the sign-out on replica %d: %d %v cleared=%v, want the old cookie refused", i, by, p.status, p.location, sessionCleared(p))
			continue
		}
		if e := a.requestLog(t, p, "session ended"); e["reason"] != "signed out: the session was revoked at sign-out" {
			t.Errorf("replica %d ended the session for %q", i, e["reason"])
		}
	}
	t.Logf("the other replicas had the revocation %v after the sign-out", took)
}

// TestReplicasValkeyDown: redis-server stopped mid-run costs no 500 and
// no hang: signed-in pages, a refresh and a sign-out all work, each
// replica warns once and says so in /readyz (still 200). Once the server
// is back, the replicas recover by themselves: the sign-out made during
// the outage reaches the others, and a new one arrives by pub/sub.
func TestReplicasValkeyDown(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 3)
	b, cookie := rs.signedIn(t)

	rs.redis.Stop()
	for i, a := range rs.replicas {
		if _, ok := a.waitLog(hangDeadline, msgIs("shared state unavailable: refresh and sign-out are per replica until it is back")); !ok {
			t.Fatalf("replica %d did not notice the outage; stderr:\n%s", i, a.run.stderr)
		}
	}
	// The metrics say so too: Valkey down, and the subscription's
	// failure counted.
	for i, a := range rs.replicas {
		e := metricstest.Scrape(t, nil, a.URL+"/metrics")
		if up, errs := e.Value("skctl_serve_redis_up"), e.Value("skctl_serve_redis_errors_total", "op", "revoked_sync"); up != 0 || errs < 1 {
			t.Errorf("replica %d during the outage: redis_up %v, redis_errors_total{op=revoked_sync} %v; want 0 and at least 1", i, up, errs)
		}
	}
	// No hang: each answer within the operation timeout and a margin.
	timed := func(what string, f func() page) page {
		t.Helper()
		start := time.Now()
		p := f()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s took %v during the outage", what, took)
		}
		neverServerError(t, p)
		return p
	}
	for i := range 6 {
		if p := timed("a signed-in page", func() page { return getWith(t, rs.URL+"/dashboard", cookie) }); p.status != http.StatusOK {
			t.Errorf("dashboard %d during the outage: %d", i, p.status)
		}
	}
	rs.clock.Advance(6 * time.Minute)
	refreshed := timed("a refresh", func() page { return getWith(t, rs.URL+"/dashboard", cookie) })
	if refreshed.status != http.StatusOK || rs.idp.count(refreshKey) != 1 {
		t.Errorf("refresh during the outage: %d, %d refreshes; want the page after one refresh by the replica alone", refreshed.status, rs.idp.count(refreshKey))
	}
	for i, a := range rs.replicas {
		p := timed("/readyz", func() page { return getWith(t, a.URL+"/readyz", "") })
		if p.status != http.StatusOK || !strings.Contains(p.body, "unavailable since") || !strings.Contains(p.body, "still ready: the app works without it") {
			t.Errorf("replica %d /readyz during the outage: %d %q", i, p.status, p.body)
		}
	}
	// Signed out during the outage: refused at once where it happened.
	b.jar.SetCookies(mustURL(rs.URL), (&http.Response{Header: refreshed.header}).Cookies())
	during := b.cookieHeader(rs.URL)
	out := timed("a sign-out", func() page { return b.get(rs.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin") })
	by := replicaOf(t, out)
	if p := getWith(t, rs.replicas[by].URL+"/dashboard", during); !toLogin(p, "/dashboard") {
		t.Errorf("the replica that signed out during the outage still serves the cookie: %d", p.status)
	}
	for i, a := range rs.replicas {
		if n := a.countLog(msgIs("shared state unavailable: refresh and sign-out are per replica until it is back")); n != 1 {
			t.Errorf("replica %d warned %d times of one outage, want once", i, n)
		}
	}

	rs.redis.Restart()
	for i, a := range rs.replicas {
		if _, ok := a.waitLog(hangDeadline, msgIs("shared state available again")); !ok {
			t.Fatalf("replica %d did not recover; stderr:\n%s", i, a.run.stderr)
		}
		if p := getWith(t, a.URL+"/readyz", ""); p.status != http.StatusOK || !strings.Contains(p.body, "shared state: connected to redis://127.0.0.1:") {
			t.Errorf("replica %d /readyz after recovery: %d %q", i, p.status, p.body)
		}
		if up := metricstest.Scrape(t, nil, a.URL+"/metrics").Value("skctl_serve_redis_up"); up != 1 {
			t.Errorf("replica %d skctl_serve_redis_up %v after recovery, want 1", i, up)
		}
	}
	// The sign-out kept during the outage was sent on recovery: the
	// others have it, from their reload or by pub/sub.
	for i, a := range rs.replicas {
		if i == by {
			continue
		}
		got := func(e logEntry) bool {
			n, _ := e["revocations"].(float64)
			return e["msg"] == "revocation received" || (e["msg"] == "revoked set reloaded" && n >= 1)
		}
		if !a.waitLogCount(hangDeadline, 1, got) {
			t.Fatalf("replica %d never received the sign-out made during the outage", i)
		}
		if p := getWith(t, a.URL+"/dashboard", during); !toLogin(p, "/dashboard") || !sessionCleared(p) {
			t.Errorf("replica %d after recovery serves the cookie signed out during the outage: %d", i, p.status)
		}
	}
	// Pub/sub works again: a new sign-out reaches the others within a
	// second.
	b2 := newBrowser(t)
	b2.signIn(rs.app(), rs.idp, adaID, acmeOrgID)
	received := make([]int, len(rs.replicas))
	for i, a := range rs.replicas {
		received[i] = a.countLog(msgIs("revocation received"))
	}
	rs.signOutRefused(t, b2, b2.cookieHeader(rs.URL), received)
	// A refresh is coordinated again, and nothing after the recovery
	// looked like a second outage (a stale pooled connection would).
	before := rs.idp.count(refreshKey)
	b3 := newBrowser(t)
	b3.signIn(rs.app(), rs.idp, adaID, acmeOrgID)
	rs.clock.Advance(6 * time.Minute)
	for i, p := range rs.storm(t, 12, b3.cookieHeader(rs.URL)) {
		if p.status != http.StatusOK {
			t.Errorf("storm request %d after recovery: %d", i, p.status)
		}
	}
	if n := rs.idp.count(refreshKey) - before; n != 1 {
		t.Errorf("%d refreshes after recovery, want 1", n)
	}
	for i, a := range rs.replicas {
		if n := a.countLog(msgIs("shared state unavailable: refresh and sign-out are per replica until it is back")); n != 1 {
			t.Errorf("replica %d warned %d times, want once for the one outage", i, n)
		}
	}
}

// setCookies turns a Cookie header into Set-Cookie lines, for sessionOf.
func setCookies(cookie string) []string {
	var out []string
	for _, part := range strings.Split(cookie, "; ") {
		out = append(out, part)
	}
	return out
}

// cookieHeaderOf is the Cookie header of the session cookies a response
// sets.
func cookieHeaderOf(h http.Header) string {
	var parts []string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.HasPrefix(c.Name, "skctl_session") && c.MaxAge >= 0 {
			parts = append(parts, fmt.Sprintf("%s=%s", c.Name, c.Value))
		}
	}
	return strings.Join(parts, "; ")
}

// TestReplicasCallbackOnce: a callback sent to two replicas (a browser
// that sends the redirect twice, with no sticky sessions) redeems the
// code once: the second replica refuses it, or, when the browser already
// got its session, sends it on, and neither redeems.
func TestReplicasCallbackOnce(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 3)
	b := newBrowser(t)
	login := b.get(rs.URL + "/api/auth/login?return_to=/dashboard")
	authorize := b.follow(login)
	if authorize.status == http.StatusOK {
		authorize = b.post(rs.idp.URL+"/oauth/login", map[string][]string{"handle": {b.handle(authorize)}, "user": {adaID}, "org": {acmeOrgID}})
	}
	callback := b.loc(authorize)
	if callback.Path != "/api/auth/callback" {
		t.Fatalf("the IdP sent the browser to %v", callback)
	}
	withTx := b.cookieHeader(rs.URL)
	at := func(i int) string { return rs.replicas[i].URL + callback.RequestURI() }

	first := getWith(t, at(0), withTx)
	if first.status != http.StatusFound || first.location.Path != "/dashboard" || rs.sessionOf(t, first.header) == nil {
		t.Fatalf("the first callback: %d %v", first.status, first.location)
	}
	second := getWith(t, at(1), withTx)
	if second.status != http.StatusBadRequest || !strings.Contains(second.body, "Sign-in expired") {
		t.Errorf("the callback again, on another replica: %d %.200s", second.status, second.body)
	}
	if e := rs.replicas[1].requestLog(t, second, "request failed"); e["reason"] != "transaction already used on another replica" {
		t.Errorf("the second replica refused it for %q", e["reason"])
	}
	third := getWith(t, at(2), withTx+"; "+cookieHeaderOf(first.header))
	if third.status != http.StatusFound || third.location.Path != "/dashboard" {
		t.Errorf("the callback again, signed in, on a third replica: %d %v, want on to /dashboard", third.status, third.location)
	}
	if n := rs.idp.count("POST /oauth/token authorization_code"); n != 1 {
		t.Errorf("the code was redeemed %d times, want once", n)
	}
}
