package e2e_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/loadtest"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/servemetrics/metricstest"
)

// BenchmarkReplicas measures what the shared state in Redis or Valkey
// costs, each against `serve` without it, measured in the same run:
//
//   - signed-in: GET /dashboard with a valid session on a replica with
//     SKCTL_REDIS_URL, against one without. The signed-in path looks the
//     session up in the in-memory revoked set and makes no round trip to
//     the store, so the two should serve alike. Reports req/s (with
//     Redis), base-req/s (without) and redis/none, their ratio; the
//     target is ≥ 0.95 (scripts/bench-replicas.sh).
//   - refresh-storm: stormSize parallel GET /dashboard carrying one
//     expired session, spread by a round-robin proxy over three replicas
//     on one redis-server, against the same storm through the same kind
//     of proxy to one replica without Redis (the per-process
//     single-flight alone). Reports p99-ms, base-p99-ms and p99/base.
//
// The replicas, the mock IdP and the proxies run in this process, as the
// end-to-end tests run them (startReplicaSet); redis-server is Debian's,
// started by redistest (skipped without it, failed under CI=true). Serve
// logs at its default level, a line per request, as JSON (which the
// helpers read) into memory.
//
// The client and the servers share the machine's cores, so the two sides
// are measured in alternating blocks of requests (loadtest.Alternate), or
// storms (A, B, B, A, …: each pair's order flips so neither always runs on
// a warmer cache), and each reported figure is a median over the blocks or
// storms, which a burst of other load spoiling a few does not move.
func BenchmarkReplicas(b *testing.B) {
	// The access token lives an hour, so no refresh happens in the
	// signed-in run (it fails if one did); the storm moves the clock past
	// it. The fake clocks only move when a storm moves them.
	life := mockidp.Lifetimes{AccessToken: benchAccessToken}
	shared := startReplicaSet(b, replicaConfig{n: 3, shared: true, life: life})
	alone := startReplicaSet(b, replicaConfig{n: 1, life: life})

	b.Run("signed-in", func(b *testing.B) { benchSignedIn(b, shared, alone) })
	b.Run("refresh-storm", func(b *testing.B) { benchRefreshStorm(b, shared, alone) })
}

const (
	benchAccessToken = time.Hour
	// stormSize is how many requests carry the expired session at once,
	// as in TestReplicasRefreshStorm: a page's worth of parallel fetches
	// from a few tabs.
	stormSize = 50
)

// benchSignedIn compares GET /dashboard on shared's first replica (with
// Redis) and on alone's one (without), each with a session of its own,
// straight to the replica: the proxy would only add the same cost to
// both and hide the difference.
func benchSignedIn(b *testing.B, shared, alone *replicaSet) {
	withRedis := newDashLoader(shared.replicas[0].URL, signedInCookie(b, shared))
	b.Cleanup(withRedis.Close)
	without := newDashLoader(alone.replicas[0].URL, signedInCookie(b, alone))
	b.Cleanup(without.Close)
	refreshes := func() int { return shared.idp.count(refreshKey) + alone.idp.count(refreshKey) }
	before := refreshes()
	// Open every client's connection to both before timing.
	for _, l := range []*loadtest.Client{withRedis, without} {
		if err := l.Run(loadtest.Conns, signedInPage); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	bl, err := loadtest.Alternate(b.N, loadtest.Block,
		func(n int) error { return withRedis.Run(n, signedInPage) },
		func(n int) error { return without.Run(n, signedInPage) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if n := refreshes() - before; n != 0 {
		b.Fatalf("%d refreshes during the signed-in run: it measured refreshes, not signed-in pages", n)
	}
	rate := loadtest.Median(bl.A)
	b.ReportMetric(1e9/rate, "ns/op")
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(loadtest.Median(bl.B), "base-req/s")
	b.ReportMetric(loadtest.Median(bl.Ratios), "redis/none")
}

// newDashLoader sends GET /dashboard with a session cookie to one
// server, over keep-alive connections of its own.
func newDashLoader(base, cookie string) *loadtest.Client {
	return loadtest.NewClient(base+"/dashboard", loadtest.Options{Header: http.Header{"Cookie": {cookie}}})
}

// signedInPage passes the signed-in page only: a signed-out answer is a
// 302 (the client follows no redirect), not the login page's 200.
func signedInPage(resp *http.Response, _ int64) error {
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%d, want 200 signed in", resp.StatusCode)
	}
	return nil
}

// benchRefreshStorm times, per iteration, one storm on each side, each
// with a session signed in for it (untimed) whose access token the clock
// then passes. Each storm's p99 is of its stormSize latencies, each from
// the request's send to its page's last byte; the reported p99-ms and
// base-p99-ms are the medians of the storms' p99s, and p99/base the
// median of the pairs' ratios. ns/op is one pair of storms.
//
// What the three replicas pay on top of the single-flight alone: the
// replica whose request comes first runs the lock-or-result script before
// it redeems and the release script (store, unlock, publish) after, two
// round trips to redis-server on the storm's critical path; each of the
// other two runs the script, finds the lock taken, and waits until the
// publication reaches its subscriber and wakes its waiting request (the
// requests queued behind it in its own single-flight wake with it). That
// is about a millisecond on loopback, against a storm whose requests take
// tens of milliseconds of CPU on either side: each request verifies the
// new tokens and seals its cookie itself, behind one replica or three. So
// the ratio measures near 1; the target (≤ 1.5, scripts/bench-replicas.sh)
// leaves room for a shared machine's noise, and is missed when waiters
// miss the publication and find the result at their 200 ms poll instead
// (about 4× on two cores).
func benchRefreshStorm(b *testing.B, shared, alone *replicaSet) {
	sides := []*stormSide{newStormSide(b, shared), newStormSide(b, alone)}
	adoptedBefore := adoptedFromReplica(b, shared)
	// Open the connections, client to proxy and proxy to replica, with
	// a session still fresh: no refresh.
	for _, s := range sides {
		s.storm(b, signedInCookie(b, s.rs), 0)
	}
	var p99s, baseP99s, ratios []float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		cookies := make([]string, len(sides))
		for j, s := range sides {
			cookies[j] = signedInCookie(b, s.rs)
			s.rs.clock.Advance(benchAccessToken + time.Minute)
		}
		b.StartTimer()
		var p [2]float64
		for k := range sides {
			j := k
			if i%2 == 1 {
				j = len(sides) - 1 - k
			}
			p[j] = loadtest.Quantile(sides[j].storm(b, cookies[j], 1), 0.99)
		}
		p99s = append(p99s, p[0])
		baseP99s = append(baseP99s, p[1])
		ratios = append(ratios, p[0]/p[1])
	}
	b.StopTimer()
	// Each storm was coordinated: the two replicas that did not redeem
	// adopted the third's result through the shared state.
	if n := adoptedFromReplica(b, shared) - adoptedBefore; n != float64(2*b.N) {
		b.Fatalf("%v refreshes adopted from another replica in %d storms, want 2 a storm", n, b.N)
	}
	b.ReportMetric(loadtest.Median(p99s), "p99-ms")
	b.ReportMetric(loadtest.Median(baseP99s), "base-p99-ms")
	b.ReportMetric(loadtest.Median(ratios), "p99/base")
}

// stormSide is a replica set and a client with a keep-alive connection
// to its proxy for each request of a storm.
type stormSide struct {
	rs     *replicaSet
	client *http.Client
}

func newStormSide(b *testing.B, rs *replicaSet) *stormSide {
	tr := &http.Transport{MaxIdleConnsPerHost: stormSize, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return &stormSide{rs: rs, client: &http.Client{
		Transport: tr, Timeout: hangDeadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// storm sends stormSize GET /dashboard with cookie through the proxy, all
// released at once, and returns each one's latency in milliseconds. It
// fails b unless every one is Ada's dashboard and the IdP saw exactly
// refreshes refresh calls.
func (s *stormSide) storm(b *testing.B, cookie string, refreshes int) []float64 {
	before := s.rs.idp.count(refreshKey)
	ms := make([]float64, stormSize)
	errs := make([]error, stormSize)
	start := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(stormSize)
	for i := range stormSize {
		wg.Go(func() {
			r, _ := http.NewRequest(http.MethodGet, s.rs.URL+"/dashboard", nil)
			r.Header.Set("Cookie", cookie)
			ready.Done()
			<-start
			t0 := time.Now()
			resp, err := s.client.Do(r)
			if err != nil {
				errs[i] = err
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			ms[i] = float64(time.Since(t0)) / float64(time.Millisecond)
			if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Welcome, Ada Lovelace") {
				errs[i] = fmt.Errorf("storm request %d: %d %.200s (%v), want Ada's dashboard", i, resp.StatusCode, body, err)
			}
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	if n := s.rs.idp.count(refreshKey) - before; n != refreshes {
		b.Fatalf("%d refreshes at the IdP in one storm on %d replicas, want %d", n, len(s.rs.replicas), refreshes)
	}
	return ms
}

// signedInCookie signs a new browser in through rs's proxy and returns
// the Cookie header it then sends.
func signedInCookie(tb testing.TB, rs *replicaSet) string {
	tb.Helper()
	br := newBrowser(tb)
	br.signIn(rs.app(), rs.idp, adaID, acmeOrgID)
	return br.cookieHeader(rs.URL)
}

// adoptedFromReplica sums rs's replicas' refreshes answered with another
// replica's result.
func adoptedFromReplica(tb testing.TB, rs *replicaSet) float64 {
	var n float64
	for _, a := range rs.replicas {
		n += metricstest.Scrape(tb, nil, a.URL+"/metrics").Value("skctl_serve_refresh_adoptions_total", "source", "replica")
	}
	return n
}
