package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/replicas/redistest"
	"github.com/skctl/skctl/internal/session"
)

// replicaSet is several `skctl serve` replicas of one app (same client,
// same cookie secret) on one redis-server (or none: each alone), behind
// an in-process round-robin reverse proxy with no sticky sessions, as a
// load balancer would run them. The proxy's URL is the app's public
// origin: the redirect URI names it.
type replicaSet struct {
	URL      string // the proxy
	replicas []*appUnderTest
	redis    *redistest.Server
	idp      *testIdP
	clock    *clock
	codec    *session.Codec
}

// startReplicas starts redis-server, the mock, n replicas and the proxy,
// and waits until every replica has discovered the IdP and connected to
// the shared state.
func startReplicas(t *testing.T, n int) *replicaSet {
	t.Helper()
	return startReplicaSet(t, replicaConfig{n: n, shared: true, args: []string{"--log-level", "debug"}})
}

// replicaConfig says what startReplicaSet runs.
type replicaConfig struct {
	n int
	// shared puts the replicas on one redis-server of their own through
	// SKCTL_REDIS_URL; without it each is alone, as `serve` was before
	// (the baseline the benchmarks measure the shared state against).
	shared bool
	// life is the IdP's token lifetimes; zero values take its defaults
	// (the access token's is 5 min).
	life mockidp.Lifetimes
	args []string // more serve flags
}

// startReplicaSet starts what cfg says, and waits as startReplicas does
// (for the shared state only when there is one).
func startReplicaSet(t testing.TB, cfg replicaConfig) *replicaSet {
	t.Helper()
	rs := &replicaSet{clock: &clock{}}
	if cfg.shared {
		rs.redis = redistest.Start(t)
	}
	proxyLn, proxyURL := listenApp(t)
	rs.URL = proxyURL
	rs.idp = startIdPOptions(t, rs.clock, mockidp.Options{Fixtures: fixturesFor(t, proxyURL), Lifetimes: cfg.life})
	key := make([]byte, 32)
	rand.Read(key)
	var err error
	if rs.codec, err = session.NewCodec([][]byte{key}, rs.clock.Now, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	extra := map[string]string{
		"SCALEKIT_REDIRECT_URI": proxyURL + "/api/auth/callback",
		"SKCTL_COOKIE_SECRET":   base64.StdEncoding.EncodeToString(key),
	}
	if cfg.shared {
		extra["SKCTL_REDIS_URL"] = rs.redis.URL
	}
	var targets []*url.URL
	for range cfg.n {
		ln, _ := listenApp(t)
		a := startServe(t, ln, rs.idp, rs.clock, app1ID, app1Secret, extra, cfg.args...)
		rs.replicas = append(rs.replicas, a)
		targets = append(targets, mustURL(a.URL))
	}
	if cfg.shared {
		for i, a := range rs.replicas {
			if _, ok := a.waitLog(hangDeadline, msgIs("shared state connected")); !ok {
				t.Fatalf("replica %d did not connect to redis-server; stderr:\n%s", i, a.run.stderr)
			}
		}
	}
	var next atomic.Uint32
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := int(next.Add(1)-1) % len(targets)
			pr.SetURL(targets[i])
			pr.Out.Host = pr.In.Host // the app's public name, as a load balancer keeps it
			pr.Out.Header.Set("X-Test-Replica", strconv.Itoa(i))
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set("X-Test-Replica", resp.Request.Header.Get("X-Test-Replica"))
			return nil
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}
	hs := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(proxyLn)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	})
	return rs
}

// app is the proxy as the browser helpers take an app.
func (rs *replicaSet) app() *appUnderTest { return &appUnderTest{URL: rs.URL} }

// replicaOf returns which replica answered p through the proxy.
func replicaOf(t *testing.T, p page) int {
	t.Helper()
	i, err := strconv.Atoi(p.header.Get("X-Test-Replica"))
	if err != nil {
		t.Fatalf("the answer (%d) did not come through the proxy", p.status)
	}
	return i
}

// sessionOf decrypts the session cookie a response sets (with the
// replicas' own cookie key), or returns nil when it sets none.
func (rs *replicaSet) sessionOf(t *testing.T, h http.Header) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	set := false
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.HasPrefix(c.Name, "skctl_session") && c.MaxAge >= 0 && c.Value != "" {
			req.AddCookie(c)
			set = true
		}
	}
	if !set {
		return nil
	}
	b, err := rs.codec.Read(req, "skctl_session", session.CookieOptions{MaxAge: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatalf("a session cookie set by a replica does not decrypt: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// signedIn signs Ada in through the proxy with a new browser, and returns
// it and the Cookie header of her session.
func (rs *replicaSet) signedIn(t *testing.T) (*browser, string) {
	t.Helper()
	b := newBrowser(t)
	b.signIn(rs.app(), rs.idp, adaID, acmeOrgID)
	return b, b.cookieHeader(rs.URL)
}

// getWith GETs u with exactly this Cookie header, not the jar's.
func getWith(t *testing.T, u, cookie string) page {
	t.Helper()
	p, err := fetch(u, cookie)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fetch is getWith for another goroutine than the test's, which must not
// call t.Fatal: the error comes back instead.
func fetch(u, cookie string) (page, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Cookie", cookie)
	resp, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		return page{}, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc
	}
	return p, nil
}

func msgIs(msg string) func(logEntry) bool {
	return func(e logEntry) bool { return e["msg"] == msg }
}

// countLog returns how many lines of a replica's JSON log match.
func (a *appUnderTest) countLog(match func(logEntry) bool) int {
	n := 0
	for _, line := range strings.Split(a.run.stderr.String(), "\n") {
		var e logEntry
		if json.Unmarshal([]byte(line), &e) == nil && match(e) {
			n++
		}
	}
	return n
}

// waitLogCount waits until n lines of a replica's JSON log match, on the
// log's writes, and reports whether they came within timeout.
func (a *appUnderTest) waitLogCount(timeout time.Duration, n int, match func(logEntry) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	s := a.run.stderr
	for {
		s.mu.Lock()
		if s.written == nil {
			s.written = make(chan struct{})
		}
		written := s.written
		s.mu.Unlock()
		if a.countLog(match) >= n {
			return true
		}
		select {
		case <-written:
		case <-deadline.C:
			return false
		}
	}
}
