package servemetrics

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteUnmatched is the route label of a request answered before the
// router matched a pattern: a redirect to the app's own host name, or to
// the cleaned form of a path.
const RouteUnmatched = "unmatched"

// Request counts an answered HTTP request and observes its duration.
// route must be the pattern that matched (http.Request.Pattern), never the
// path: the label's values are then the app's routes, a handful, whatever
// paths clients send. "" is RouteUnmatched; code 0 (nothing written) is
// 200, as net/http answers.
//
// It allocates nothing once a route and code have been seen: their series
// are kept in a map that is only read on this path.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = RouteUnmatched
	}
	if code == 0 {
		code = 200
	}
	s := m.routes.get(routeKey{route, code})
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}

type routeKey struct {
	route string
	code  int
}

type routeSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// routeCache resolves the series of a route and code once. Reads load an
// immutable map; a new key copies it under the lock. There are as many
// keys as routes times the codes each answers, a few dozen, so copies
// stop after the first requests.
type routeCache struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mu       sync.Mutex
	series   atomic.Pointer[map[routeKey]routeSeries]
}

func (c *routeCache) init(requests *prometheus.CounterVec, duration *prometheus.HistogramVec) {
	c.requests, c.duration = requests, duration
	c.series.Store(&map[routeKey]routeSeries{})
}

func (c *routeCache) get(k routeKey) routeSeries {
	if s, ok := (*c.series.Load())[k]; ok {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := routeSeries{count: c.requests.WithLabelValues(k.route, strconv.Itoa(k.code)), duration: c.duration.WithLabelValues(k.route)}
	next := maps.Clone(old)
	next[k] = s
	c.series.Store(&next)
	return s
}
