package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/cli"
	"github.com/skctl/skctl/internal/servemetrics/metricstest"
)

// scraper is a client with one connection to each server: a request is
// only read once the one before it on the connection has been answered,
// so whatever the app logged or counted for a request it answered is in
// place before the next request.
func scraper() *http.Client {
	return &http.Client{Timeout: hangDeadline, Transport: &http.Transport{MaxConnsPerHost: 1}}
}

// waitRequestLog waits for serve's request log line of a request to path.
// The line is written after the request is counted, so a scrape after it
// sees the count.
func (a *appUnderTest) waitRequestLog(t *testing.T, path string) {
	t.Helper()
	if _, ok := a.waitLog(hangDeadline, func(e logEntry) bool { return e["msg"] == "request" && e["path"] == path }); !ok {
		t.Fatalf("serve logged no request to %s; stderr:\n%s", path, a.run.stderr)
	}
}

// TestServeMetricsCountWhatHappened: after a sign-in, a refresh and a
// 404, a scrape of /metrics (with no session: scrapers sign in to
// nothing) shows exactly those requests by route, one sign-in, one
// refresh, and each IdP call under its endpoint as often as the mock
// served it. The scrape itself is neither counted as a request of the app
// nor logged; promhttp counts it.
func TestServeMetricsCountWhatHappened(t *testing.T) {
	t.Parallel()
	c := &clock{}
	ln, appURL := listenApp(t)
	idp := startIdP(t, c, appURL)
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil)
	b := newBrowser(t)
	callback := b.signIn(app, idp, adaID, acmeOrgID)
	if callback.status != http.StatusFound {
		t.Fatalf("callback: %d %.300s", callback.status, callback.body)
	}
	c.Advance(6 * time.Minute) // past the access token's 5 minutes
	dashboard := b.get(app.URL + "/dashboard")
	if dashboard.status != http.StatusOK || idp.count("POST /oauth/token refresh_token") != 1 {
		t.Fatalf("dashboard after expiry: %d after %d refreshes, want 200 after 1", dashboard.status, idp.count("POST /oauth/token refresh_token"))
	}
	missing := b.get(app.URL + "/no/such/page?code=not-a-label")
	if missing.status != http.StatusNotFound {
		t.Fatalf("unknown page: %d", missing.status)
	}
	for _, p := range []string{"/api/auth/login", "/api/auth/callback", "/dashboard", "/no/such/page"} {
		app.waitRequestLog(t, p)
	}

	client := scraper()
	e := metricstest.Scrape(t, client, app.URL+"/metrics")
	// Every request the app answered, by route, and nothing else: no path,
	// no /metrics.
	want := map[[2]string]float64{
		{"GET /readyz", "200"}:            1, // startServe's readiness check
		{"GET /api/auth/login", "302"}:    1,
		{"GET /api/auth/callback", "302"}: 1,
		{"GET /dashboard", "200"}:         1,
		{"/", "404"}:                      1,
	}
	got := map[[2]string]float64{}
	for _, l := range e.Series("skctl_serve_http_requests_total") {
		got[[2]string{l["route"], l["code"]}] = e.Value("skctl_serve_http_requests_total", "route", l["route"], "code", l["code"])
	}
	if !mapsEqual(got, want) {
		t.Errorf("requests by route and code:\n got %v\nwant %v", got, want)
	}
	if n := e.Histogram("skctl_serve_http_request_duration_seconds", "route", "/").GetSampleCount(); n != 1 {
		t.Errorf("404 durations: %d, want 1", n)
	}

	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"skctl_serve_sign_ins_total", "outcome", "success", 1},
		{"skctl_serve_sign_ins_total", "outcome", "expired", 0},
		{"skctl_serve_sign_ins_total", "outcome", "rejected", 0},
		{"skctl_serve_refreshes_total", "outcome", "redeemed", float64(idp.count("POST /oauth/token refresh_token"))},
		{"skctl_serve_refreshes_total", "outcome", "refused", 0},
		{"skctl_serve_refreshes_total", "outcome", "failed", 0},
		{"skctl_serve_refresh_adoptions_total", "source", "request", 0},
		{"skctl_serve_jwks_fetches_total", "outcome", "success", float64(idp.count("GET /keys"))},
		{"skctl_serve_jwks_fetches_total", "outcome", "error", 0},
	} {
		if v := e.Value(c.name, c.label, c.value); v != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, v, c.want)
		}
	}
	if idp.count("GET /keys") == 0 {
		t.Error("the mock served no key set: the JWKS count above proves nothing")
	}

	// Each IdP call under its endpoint, as often as the mock served it.
	for endpoint, served := range map[string]int{
		"discovery": idp.count("GET /.well-known/openid-configuration"),
		"token":     idp.count("POST /oauth/token authorization_code") + idp.count("POST /oauth/token refresh_token"),
		"jwks":      idp.count("GET /keys"),
		"userinfo":  0,
		"other":     0,
	} {
		if v := e.Value("skctl_serve_idp_requests_total", "endpoint", endpoint, "code", "2xx"); v != float64(served) {
			t.Errorf("idp_requests_total{endpoint=%s,code=2xx} = %v, the mock served %d", endpoint, v, served)
		}
		if n := e.Histogram("skctl_serve_idp_request_duration_seconds", "endpoint", endpoint).GetSampleCount(); n != uint64(served) {
			t.Errorf("idp_request_duration_seconds{endpoint=%s} has %d samples, the mock served %d", endpoint, n, served)
		}
	}
	if e.Value("skctl_serve_idp_requests_total", "endpoint", "token", "code", "2xx") != 2 {
		t.Errorf("want the code exchange and the refresh at the token endpoint")
	}

	// The first scrape is counted by promhttp once it is answered; the
	// requests of the app are as they were.
	again := metricstest.Scrape(t, client, app.URL+"/metrics")
	if v := again.Value("promhttp_metric_handler_requests_total", "code", "200"); v != 1 {
		t.Errorf("promhttp counted %v scrapes before this one, want 1", v)
	}
	if got := again.LabelValues("skctl_serve_http_requests_total", "route"); slices.Contains(got, "/metrics") || len(got) != len(want) {
		t.Errorf("routes after two scrapes: %v", got)
	}
	// On the same connection, after the scrapes: its log line follows
	// theirs, were there any.
	resp, err := client.Get(app.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	app.waitRequestLog(t, "/healthz")
	if log := app.run.stderr.String(); strings.Contains(log, `"path":"/metrics"`) {
		t.Errorf("a scrape was logged:\n%s", log)
	}
}

func mapsEqual[K comparable](a, b map[K]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestServeMetricsRouteNeverAPath: a thousand distinct unknown paths are
// one series, the catch-all route's, counted a thousand times; no label
// value anywhere carries a path.
func TestServeMetricsRouteNeverAPath(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	client := scraper()
	var segments []string
	for i := range 1000 {
		var b [6]byte
		rand.Read(b[:])
		seg := hex.EncodeToString(b[:])
		segments = append(segments, seg)
		resp, err := client.Get(app.URL + "/" + seg + "/" + strings.Repeat("x", i%7) + "?q=" + seg)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/%s: %d, want 404", seg, resp.StatusCode)
		}
	}
	e := metricstest.Scrape(t, client, app.URL+"/metrics")
	if v := e.Value("skctl_serve_http_requests_total", "route", "/", "code", "404"); v != 1000 {
		t.Errorf("404s on the catch-all route: %v, want 1000", v)
	}
	if got := e.Series("skctl_serve_http_requests_total"); len(got) != 2 { // and startServe's /readyz
		t.Errorf("request series: %v, want the 404s' and /readyz's", got)
	}
	for name := range e.Families {
		for _, l := range e.Series(name) {
			for k, v := range l {
				for _, seg := range segments {
					if strings.Contains(v, seg) {
						t.Fatalf("%s{%s=%q} carries a requested path", name, k, v)
					}
				}
			}
		}
	}
}

// TestServeMetricsSignInRefusals: refused callbacks are counted by class,
// each under its own outcome, and no sign-in is counted a success.
func TestServeMetricsSignInRefusals(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	b := newBrowser(t)
	for _, c := range []struct {
		query  string
		status int
	}{
		{"state=never-issued&code=c", http.StatusBadRequest},      // no sign-in in progress: expired
		{"state=s&code=a&code=b", http.StatusBadRequest},          // malformed
		{"error=access_denied", http.StatusForbidden},             // the user cancelled at the IdP
		{"state=also-never-issued&code=d", http.StatusBadRequest}, // expired again
	} {
		if p := b.get(app.URL + "/api/auth/callback?" + c.query); p.status != c.status {
			t.Fatalf("callback?%s: %d, want %d", c.query, p.status, c.status)
		}
	}
	e := metricstest.Scrape(t, nil, app.URL+"/metrics")
	for outcome, want := range map[string]float64{"expired": 2, "malformed": 1, "idp_error": 1, "success": 0, "rejected": 0, "failed": 0, "idp_unavailable": 0} {
		if v := e.Value("skctl_serve_sign_ins_total", "outcome", outcome); v != want {
			t.Errorf("sign_ins_total{outcome=%s} = %v, want %v", outcome, v, want)
		}
	}
}

// TestServeMetricsRefreshOutcomes: twenty requests carrying one expired
// session make one redemption and nineteen adoptions of its result; a
// refresh the IdP cannot answer counts as failed, one it refuses (the IdP
// session ended) as refused. Together they are the refresh grants the mock
// received.
func TestServeMetricsRefreshOutcomes(t *testing.T) {
	t.Parallel()
	c, idp, app, b := signedInServe(t)
	cookie := b.cookieHeader(app.URL)
	c.Advance(6 * time.Minute)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
			req.Header.Set("Cookie", cookie)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("a concurrent request: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()

	down := newBrowser(t)
	down.signIn(app, idp, adaID, acmeOrgID)
	c.Advance(6 * time.Minute)
	idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	p := down.get(app.URL + "/dashboard")
	idp.fault("/oauth/token", nil)
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("refresh during an outage: %d, want 503", p.status)
	}

	ended := newBrowser(t)
	ended.signIn(app, idp, adaID, acmeOrgID)
	if p := ended.get(idp.URL + "/oidc/logout"); p.status != http.StatusOK {
		t.Fatalf("IdP logout: %d", p.status)
	}
	c.Advance(6 * time.Minute)
	if p := ended.get(app.URL + "/dashboard"); !toLogin(p, "/dashboard") {
		t.Fatalf("refresh after the IdP session ended: %d %v", p.status, p.location)
	}

	e := metricstest.Scrape(t, nil, app.URL+"/metrics")
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"skctl_serve_refreshes_total", "outcome", "redeemed", 1},
		{"skctl_serve_refresh_adoptions_total", "source", "request", 19},
		{"skctl_serve_refresh_adoptions_total", "source", "replica", 0},
		{"skctl_serve_refreshes_total", "outcome", "failed", 1},
		{"skctl_serve_refreshes_total", "outcome", "refused", 1},
		{"skctl_serve_sign_ins_total", "outcome", "success", 3},
	} {
		if v := e.Value(c.name, c.label, c.value); v != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, v, c.want)
		}
	}
	if n := idp.count("POST /oauth/token refresh_token"); n != 3 {
		t.Errorf("the mock got %d refresh grants, want the 3 counted", n)
	}
	if v := e.Value("skctl_serve_idp_requests_total", "endpoint", "token", "code", "5xx"); v != 1 {
		t.Errorf("token endpoint 5xx: %v, want the outage's 1", v)
	}
}

// TestServeMetricsIdPLatency: the time of each IdP call goes to its own
// endpoint's histogram: a token endpoint held for 200 ms shows every
// token call at 200 ms or more, while discovery and userinfo are timed
// apart.
func TestServeMetricsIdPLatency(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, map[string]string{"SKCTL_USERINFO": "true"})
	const hold = 200 * time.Millisecond
	mock := idp.Server.Handler()
	// The latency under test: the token endpoint answers no sooner than
	// hold (a sleep as the fault, not to wait for anything).
	idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(hold)
		mock.ServeHTTP(w, r)
	})
	b := newBrowser(t)
	if p := b.signIn(app, idp, adaID, acmeOrgID); p.status != http.StatusFound {
		t.Fatalf("sign-in with a slow token endpoint: %d %.300s", p.status, p.body)
	}
	e := metricstest.Scrape(t, nil, app.URL+"/metrics")
	token := e.Histogram("skctl_serve_idp_request_duration_seconds", "endpoint", "token")
	if token.GetSampleCount() != 1 || metricstest.Bucket(t, token, 0.1) != 0 || token.GetSampleSum() < hold.Seconds() {
		t.Errorf("token endpoint held %v: %d samples, %d under 100 ms, %.3f s in all", hold, token.GetSampleCount(), metricstest.Bucket(t, token, 0.1), token.GetSampleSum())
	}
	for endpoint, path := range map[string]string{"discovery": "GET /.well-known/openid-configuration", "userinfo": "GET /userinfo"} {
		served := idp.count(path)
		if n := e.Histogram("skctl_serve_idp_request_duration_seconds", "endpoint", endpoint).GetSampleCount(); served == 0 || n != uint64(served) {
			t.Errorf("%s: %d samples, the mock served %d", endpoint, n, served)
		}
	}
}

// TestServeMetricsOwnListener: with SKCTL_METRICS_ADDR, /metrics is served
// there (and only /metrics), and the app's own /metrics is an unknown
// page; the app's requests are counted all the same.
func TestServeMetricsOwnListener(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	metricsAddr := make(chan net.Addr, 1)
	r := startCmdWith(t, func(d *cli.Deps) {
		env := map[string]string{
			"SCALEKIT_ENVIRONMENT_URL": idp.URL, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret,
			"SCALEKIT_REDIRECT_URI": appURL + "/api/auth/callback", "SKCTL_ADDR": ln.Addr().String(),
			"SKCTL_METRICS_ADDR": "127.0.0.1:0",
		}
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = func(network, addr string) (net.Listener, error) {
			if addr == ln.Addr().String() {
				return ln, nil
			}
			return net.Listen(network, addr)
		}
		ready := d.Ready
		d.Ready = func(name string, addr net.Addr) {
			if name == "metrics" {
				metricsAddr <- addr
				return
			}
			ready(name, addr)
		}
	}, slices.Concat([]string{"serve", "--env-file", ""}, happyServeArgs)...)
	app := &appUnderTest{URL: appURL, run: r}
	app.waitDiscovery(t)
	var metricsURL string
	select {
	case a := <-metricsAddr:
		metricsURL = "http://" + a.String()
	case <-time.After(hangDeadline):
		t.Fatalf("no metrics listener; stderr:\n%s", r.stderr)
	}
	if metricsURL == appURL {
		t.Fatalf("the metrics listener is the app's")
	}

	client := scraper()
	resp, err := client.Get(app.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the app's /metrics with a metrics listener: %d, want 404", resp.StatusCode)
	}
	app.waitRequestLog(t, "/metrics") // an unknown page of the app, logged as any
	e := metricstest.Scrape(t, client, metricsURL+"/metrics")
	if v := e.Value("skctl_serve_http_requests_total", "route", "/", "code", "404"); v != 1 {
		t.Errorf("the app's /metrics counted %v times as an unknown page, want 1", v)
	}
	if v := e.Value("skctl_serve_http_requests_total", "route", "GET /readyz", "code", "200"); v != 1 {
		t.Errorf("the app's /readyz counted %v times, want 1", v)
	}
	resp, err = client.Get(metricsURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/readyz on the metrics listener: %d, want 404", resp.StatusCode)
	}
	if !strings.Contains(r.stderr.String(), `"msg":"metrics ready"`) {
		t.Errorf("serve did not log the metrics listener:\n%s", r.stderr)
	}
}
