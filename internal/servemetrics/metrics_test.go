package servemetrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/skctl/skctl/internal/servemetrics/metricstest"
)

func gather(t *testing.T, m *servemetrics.Metrics) *metricstest.Exposition {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	return metricstest.FromFamilies(t, fams)
}

// TestNilMetricsCountNothing: the web app runs without metrics (its tests
// do), so every method of a nil *Metrics must be a no-op, its transport the
// one it wraps, and its handler a 404.
func TestNilMetricsCountNothing(t *testing.T) {
	t.Parallel()
	var m *servemetrics.Metrics
	m.Request("GET /", 200, time.Millisecond)
	m.SignIn(servemetrics.SignInSuccess)
	m.Refreshed(servemetrics.RefreshRedeemed)
	m.RefreshAdopted(servemetrics.AdoptedFromReplica)
	m.JWKSFetched(servemetrics.JWKSSuccess)
	m.Revoked()
	m.RedisError(servemetrics.RedisCallback)
	m.RedisUp(true)
	if m.Registry() != nil {
		t.Error("a nil Metrics has a registry")
	}
	base := http.DefaultTransport
	if got := m.IdPTransport(base, nil); got != base {
		t.Errorf("a nil Metrics wrapped the IdP transport: %T", got)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("a nil Metrics' handler answered %d, want 404", rec.Code)
	}
}

// TestClosedSetsPreset: the series of every closed label value show as 0
// before anything happens (a rate over a series that appears with its
// first event misses that event), and a value outside its set makes no
// series: a label never grows with what callers pass.
func TestClosedSetsPreset(t *testing.T) {
	t.Parallel()
	m := servemetrics.New()
	m.SignIn("no such outcome")
	m.Refreshed("no such outcome")
	m.RefreshAdopted("no such source")
	m.JWKSFetched("no such outcome")
	m.RedisError("no such op")
	e := gather(t, m)
	for _, c := range []struct {
		name, label string
		want        []string
	}{
		{"skctl_serve_sign_ins_total", "outcome", []string{"expired", "failed", "idp_error", "idp_unavailable", "malformed", "rejected", "success"}},
		{"skctl_serve_refreshes_total", "outcome", []string{"failed", "redeemed", "refused"}},
		{"skctl_serve_refresh_adoptions_total", "source", []string{"replica", "request"}},
		{"skctl_serve_jwks_fetches_total", "outcome", []string{"error", "rate_limited", "success"}},
	} {
		if got := e.LabelValues(c.name, c.label); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %s values %v, want %v", c.name, c.label, got, c.want)
		}
		for _, l := range e.Series(c.name) {
			if v := e.Value(c.name, c.label, l[c.label]); v != 0 {
				t.Errorf("%s{%s=%q} = %v before anything happened", c.name, c.label, l[c.label], v)
			}
		}
	}
	if got := e.Series("skctl_serve_redis_errors_total"); len(got) != 0 {
		t.Errorf("an unknown op made Valkey error series: %v", got)
	}
	if got := e.LabelValues("skctl_serve_idp_requests_total", "endpoint"); strings.Join(got, ",") != "discovery,jwks,other,token,userinfo" {
		t.Errorf("IdP endpoints %v", got)
	}
}

// TestValkeySeriesOnlyWhenUsed: a serve without Valkey shows no
// redis_up (a 0 would read as an outage); once reported, it follows, and
// errors are counted by op.
func TestValkeySeriesOnlyWhenUsed(t *testing.T) {
	t.Parallel()
	m := servemetrics.New()
	if e := gather(t, m); e.Families["skctl_serve_redis_up"] != nil || e.Families["skctl_serve_redis_errors_total"] != nil {
		t.Fatalf("Valkey series before any Valkey use:\n%s", e)
	}
	m.RedisUp(true)
	if v := gather(t, m).Value("skctl_serve_redis_up"); v != 1 {
		t.Errorf("redis_up %v after RedisUp(true)", v)
	}
	m.RedisUp(false)
	m.RedisError(servemetrics.RedisRevokedSync)
	m.RedisError(servemetrics.RedisRevokedSync)
	e := gather(t, m)
	if v := e.Value("skctl_serve_redis_up"); v != 0 {
		t.Errorf("redis_up %v after RedisUp(false)", v)
	}
	if v := e.Value("skctl_serve_redis_errors_total", "op", "revoked_sync"); v != 2 {
		t.Errorf("redis_errors_total{op=revoked_sync} %v, want 2", v)
	}
	m.Revoked()
	if v := gather(t, m).Value("skctl_serve_session_revocations_total"); v != 1 {
		t.Errorf("session_revocations_total %v, want 1", v)
	}
}

// TestRequestSeriesByRouteAndCode: requests are counted by the route and
// code given, "" is "unmatched" and 0 is 200 (what net/http sends when a
// handler writes nothing), and the duration goes to the route's histogram.
func TestRequestSeriesByRouteAndCode(t *testing.T) {
	t.Parallel()
	m := servemetrics.New()
	m.Request("GET /dashboard", 200, 3*time.Millisecond)
	m.Request("GET /dashboard", 0, 3*time.Millisecond)
	m.Request("GET /dashboard", 302, 200*time.Millisecond)
	m.Request("", 302, time.Millisecond)
	e := gather(t, m)
	for _, c := range []struct {
		route, code string
		want        float64
	}{{"GET /dashboard", "200", 2}, {"GET /dashboard", "302", 1}, {servemetrics.RouteUnmatched, "302", 1}} {
		if v := e.Value("skctl_serve_http_requests_total", "route", c.route, "code", c.code); v != c.want {
			t.Errorf("requests{route=%q,code=%s} = %v, want %v", c.route, c.code, v, c.want)
		}
	}
	h := e.Histogram("skctl_serve_http_request_duration_seconds", "route", "GET /dashboard")
	if h.GetSampleCount() != 3 || metricstest.Bucket(t, h, 0.005) != 2 || metricstest.Bucket(t, h, 0.1) != 2 || metricstest.Bucket(t, h, 0.25) != 3 {
		t.Errorf("dashboard durations: %v", h)
	}
}

// TestRequestAllocatesNothing: once a route and code have been seen,
// counting a request allocates nothing (serve's pages are held to 0.9×
// a bare net/http server).
func TestRequestAllocatesNothing(t *testing.T) {
	m := servemetrics.New()
	m.Request("GET /dashboard", 200, time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() { m.Request("GET /dashboard", 200, time.Millisecond) }); n != 0 {
		t.Errorf("Request allocates %v times per call", n)
	}
}

func BenchmarkRequest(b *testing.B) {
	m := servemetrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("GET /dashboard", 200, time.Millisecond)
		}
	})
}

// TestIdPTransport: calls are timed and counted under the endpoint the
// classifier names, by status class, or "error" when no response came;
// an endpoint outside the set counts as other.
func TestIdPTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	m := servemetrics.New()
	endpoint := func(r *http.Request) servemetrics.IdPEndpoint {
		switch r.URL.Path {
		case "/token":
			return servemetrics.EndpointToken
		case "/keys":
			return servemetrics.EndpointJWKS
		}
		return "not an endpoint"
	}
	refused := errors.New("refused")
	client := &http.Client{Transport: m.IdPTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/down" {
			return nil, refused
		}
		return http.DefaultTransport.RoundTrip(r)
	}), endpoint)}
	for _, p := range []string{"/keys", "/keys", "/token", "/down"} {
		resp, err := client.Get(srv.URL + p)
		if err == nil {
			resp.Body.Close()
		} else if !errors.Is(err, refused) {
			t.Fatal(err)
		}
	}
	e := gather(t, m)
	for _, c := range []struct {
		endpoint, code string
		want           float64
	}{{"jwks", "2xx", 2}, {"token", "5xx", 1}, {"other", "error", 1}, {"token", "2xx", 0}} {
		if v := e.Value("skctl_serve_idp_requests_total", "endpoint", c.endpoint, "code", c.code); v != c.want {
			t.Errorf("idp_requests_total{endpoint=%s,code=%s} = %v, want %v", c.endpoint, c.code, v, c.want)
		}
	}
	if n := e.Histogram("skctl_serve_idp_request_duration_seconds", "endpoint", "jwks").GetSampleCount(); n != 2 {
		t.Errorf("jwks durations: %d, want 2", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestServeMuxServesOnlyMetrics: the metrics' own listener serves
// /metrics in the text format, and nothing else.
func TestServeMuxServesOnlyMetrics(t *testing.T) {
	t.Parallel()
	m := servemetrics.New()
	srv := httptest.NewServer(m.ServeMux())
	defer srv.Close()
	e := metricstest.Scrape(t, srv.Client(), srv.URL+servemetrics.Path)
	if e.Families["go_goroutines"] == nil || e.Families["process_start_time_seconds"] == nil {
		t.Errorf("no Go or process metrics:\n%s", e)
	}
	resp, err := srv.Client().Get(srv.URL + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/dashboard on the metrics listener: %d", resp.StatusCode)
	}
}
