// Package servemetrics is what `skctl serve` counts and times, exposed in
// Prometheus' format at /metrics: requests by route and status, sign-ins,
// refreshes, JWKS fetches, calls to the IdP, revocations and Valkey
// errors. docs/metrics.md lists every metric; a test holds it to the
// registry.
//
// Each Metrics has a registry of its own, never Prometheus' global one,
// so that apps (and tests running in parallel) do not share counters. A
// nil *Metrics is valid and counts nothing: the web app works without
// metrics.
package servemetrics

import (
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// namespace prefixes every metric of serve's own.
const namespace = "skctl_serve"

// Buckets of the duration histograms, in seconds. Pages are served in
// well under a millisecond, so the request buckets start lower than
// Prometheus' defaults; IdP calls end at the 10 s default timeout.
func requestBuckets() []float64 {
	return []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

func idpBuckets() []float64 {
	return []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// Metrics are one app's metrics and the registry that serves them.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	routes   routeCache

	// The series of closed label sets are resolved once, here: a method
	// call is then a map lookup and an atomic add, and a value outside
	// the set finds nothing to count.
	signIns   map[SignInOutcome]prometheus.Counter
	refreshes map[RefreshOutcome]prometheus.Counter
	adoptions map[AdoptionSource]prometheus.Counter
	jwks      map[JWKSOutcome]prometheus.Counter
	idp       map[IdPEndpoint]*idpSeries

	revocations prometheus.Counter
	// Valkey's series are made on first use, so that a serve without
	// --redis-url shows none (a redis_up of 0 would read as an outage).
	redisErrors *prometheus.CounterVec
	redisUp     *prometheus.GaugeVec
}

// idpSeries are the series of one IdP endpoint.
type idpSeries struct {
	duration prometheus.Observer
	calls    [idpCodes]prometheus.Counter
}

// New returns metrics on a registry of their own, which also holds the
// Go runtime's and the process's standard metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by route (the pattern that matched, never the path) and status code.",
	}, []string{"route", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: requestBuckets(),
	}, []string{"route"})
	signIns := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "sign_ins_total",
		Help: "Sign-in callbacks, by outcome: success or the class of refusal.",
	}, []string{"outcome"})
	refreshes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "refreshes_total",
		Help: "Refresh tokens this process redeemed at the IdP, by outcome.",
	}, []string{"outcome"})
	adoptions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "refresh_adoptions_total",
		Help: "Requests that used the result of a refresh made by another request or replica instead of redeeming the refresh token again.",
	}, []string{"source"})
	jwks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "jwks_fetches_total",
		Help: "Fetches of the IdP's key set (JWKS), by outcome.",
	}, []string{"outcome"})
	idpDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "idp_request_duration_seconds",
		Help:    "Time from sending a request to the IdP to its response headers, by endpoint of its discovery document.",
		Buckets: idpBuckets(),
	}, []string{"endpoint"})
	idpCalls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "idp_requests_total",
		Help: "Requests to the IdP, by endpoint and status class (error: no response).",
	}, []string{"endpoint", "code"})
	m.revocations = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "session_revocations_total",
		Help: "Sessions revoked at sign-out, so that every replica refuses their cookie.",
	})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "redis_errors_total",
		Help: "Failed Valkey (or Redis) operations, by what serve was doing.",
	}, []string{"op"})
	m.redisUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "redis_up",
		Help: "1 while Valkey (or Redis) answers, 0 during an outage (serve then shares nothing between replicas).",
	}, nil)

	m.signIns = resolve(signIns, SignInOutcomes())
	m.refreshes = resolve(refreshes, RefreshOutcomes())
	m.adoptions = resolve(adoptions, AdoptionSources())
	m.jwks = resolve(jwks, JWKSOutcomes())
	m.idp = map[IdPEndpoint]*idpSeries{}
	for _, e := range IdPEndpoints() {
		s := &idpSeries{duration: idpDuration.WithLabelValues(string(e))}
		for i := range s.calls {
			s.calls[i] = idpCalls.WithLabelValues(string(e), idpCodeLabel(i))
		}
		m.idp[e] = s
	}
	m.routes.init(m.requests, m.duration)

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, signIns, refreshes, adoptions, jwks, idpDuration, idpCalls,
		m.revocations, m.redisErrors, m.redisUp,
	)
	// Scrapes are counted by promhttp's own metrics, not among the app's
	// requests.
	m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector that fails leaves its metrics out of the scrape
		// rather than failing it whole.
		ErrorHandling: promhttp.ContinueOnError,
		// Gathering reads /proc: bound what a flood of scrapes costs.
		MaxRequestsInFlight: 4,
	}))
	return m
}

// resolve makes the series of every value of a closed label set, so that
// each shows (as 0) from the first scrape on: a rate over a series that
// appears only with its first event misses that event.
func resolve[V ~string](vec *prometheus.CounterVec, values []V) map[V]prometheus.Counter {
	out := make(map[V]prometheus.Counter, len(values))
	for _, v := range values {
		out[v] = vec.WithLabelValues(string(v))
	}
	return out
}

// Registry is the registry the metrics are gathered from, for tests and
// for collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the metrics in Prometheus' text format (or in another
// format the scraper asks for). On a nil Metrics it answers 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.handler
}

// ServeMux serves the metrics at Path and nothing else, for a listener of
// their own.
func (m *Metrics) ServeMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, m.Handler())
	return mux
}

// SignIn counts a sign-in callback's outcome.
func (m *Metrics) SignIn(o SignInOutcome) {
	if m != nil {
		inc(m.signIns, o)
	}
}

// Refreshed counts a refresh token this process redeemed at the IdP.
func (m *Metrics) Refreshed(o RefreshOutcome) {
	if m != nil {
		inc(m.refreshes, o)
	}
}

// RefreshAdopted counts a request that used the result of another's
// refresh.
func (m *Metrics) RefreshAdopted(s AdoptionSource) {
	if m != nil {
		inc(m.adoptions, s)
	}
}

// JWKSFetched counts a fetch of the IdP's key set.
func (m *Metrics) JWKSFetched(o JWKSOutcome) {
	if m != nil {
		inc(m.jwks, o)
	}
}

// Revoked counts a session revoked at sign-out.
func (m *Metrics) Revoked() {
	if m != nil {
		m.revocations.Inc()
	}
}

// RedisError counts a failed Valkey operation.
func (m *Metrics) RedisError(op RedisOp) {
	if m == nil || !slices.Contains(RedisOps(), op) {
		return
	}
	m.redisErrors.WithLabelValues(string(op)).Inc()
}

// RedisUp records whether Valkey answers.
func (m *Metrics) RedisUp(up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.redisUp.WithLabelValues().Set(v)
}

func inc[V comparable](series map[V]prometheus.Counter, v V) {
	if c, ok := series[v]; ok {
		c.Inc()
	}
}
