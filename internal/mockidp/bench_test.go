package mockidp_test

// Benchmarks of the mock, each against a baseline measured in the same run,
// so that what is reported is a ratio that holds on a slow or noisy machine
// (never a time asserted in a test). Nothing here runs without -bench: the
// setup (RSA keys, thousands of sign-ins) stays out of go test.
//
//	go test -run '^$' -bench '^BenchmarkRatios$' -benchtime 2s ./internal/mockidp/
//
// runs them all and prints a table of the ratios and their targets
// (scripts/bench-mockidp.sh does this); each sub-benchmark also reports its
// ratios as metrics ("startup-x-bare", "cc-x-sign", ...). BenchmarkStartup,
// BenchmarkStatic, BenchmarkTokens and BenchmarkMemory run one part each.
// Use a -benchtime in seconds: BenchmarkMemory does its whole measurement
// once per iteration.
//
// A mock and its baseline are interleaved, not run one after the other:
// their operations alternate within one benchmark and each is timed apart,
// and the ratio is of medians, so that the machine's drift and bursts of
// other load fall on both alike.
//
//  1. Start-up: listen on 127.0.0.1:0, mockidp.New with the key persisted
//     in a StateDir, serve, until GET /.well-known/openid-configuration
//     returns 200; against a bare net/http server serving the same bytes.
//     The target number parses the default fixtures at each start, as
//     `skctl mock-idp` does; the one with pre-parsed fixtures is context.
//  2. Discovery and /keys throughput over loopback HTTP with keep-alive
//     (the target number: what a client sees), and through
//     Handler().ServeHTTP with a reused counting writer (context: the cost
//     of routing and middleware alone), against a bare handler writing the
//     same bytes with the same headers.
//  3. client_credentials tokens through Handler().ServeHTTP against the
//     RS256 signing rate: rsa.SignPKCS1v15 over SHA-256 of a real token's
//     signing input, with a 2048-bit key, at the same parallelism.
//  4. authorize (login_hint, PKCE) plus code exchange through
//     Handler().ServeHTTP, two signatures each, against the same rate.
//  5. The live heap after 1,000 and after 10,000 sign-ins, each time after
//     the fake clock has passed session expiry and Sweep has run.
//  6. The heap in use after 10,000 and after 100,000 sign-ins with nothing
//     swept: the session cap keeps it flat.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

const benchIssuer = "http://127.0.0.1:4400" // for ServeHTTP only: nothing listens

// ---------------------------------------------------------------------------
// Results

// benchMeasured holds what each inner benchmark measured in its last run, the
// framework's final one (largest b.N), which is also what it prints.
var (
	benchMeasuredMu sync.Mutex
	benchMeasured   = map[string]float64{}
)

func benchRecord(key string, v float64) {
	benchMeasuredMu.Lock()
	defer benchMeasuredMu.Unlock()
	benchMeasured[key] = v
}

func benchLookup(key string) (float64, bool) {
	benchMeasuredMu.Lock()
	defer benchMeasuredMu.Unlock()
	v, ok := benchMeasured[key]
	return v, ok
}

// benchCase is one inner benchmark of a benchGroup.
type benchCase struct {
	name string // sub-benchmark name and key suffix: group/name
	fn   func(b *testing.B, key string)
}

// benchGroup is a set of benchmarks measured together and the ratios between
// them.
type benchGroup struct {
	name    string
	benches []benchCase
	rows    func() []benchRow
}

// benchRow is one line of the report.
type benchRow struct {
	sub       string // the benchCase that measures it
	what      string
	mock      string
	baseline  string
	ratio     float64
	metric    string // unit for ReportMetric, e.g. "startup-x-bare"
	target    string
	met       bool
	isContext bool // no target: printed for context only
}

// run runs the group's benchmarks, each of which also reports its ratios
// as metrics (units such as "startup-x-bare"), for benchstat and scripts.
func (g benchGroup) run(b *testing.B) {
	for _, bn := range g.benches {
		key := g.name + "/" + bn.name
		b.Run(bn.name, func(b *testing.B) {
			bn.fn(b, key)
			for _, r := range g.rows() {
				if r.sub == bn.name && r.metric != "" && r.ratio > 0 {
					b.ReportMetric(r.ratio, r.metric)
				}
			}
		})
	}
}

func benchGroups() []benchGroup {
	return []benchGroup{benchStartupGroup(), benchStaticGroup(), benchTokensGroup(), benchMemoryGroup()}
}

func benchRunGroups(b *testing.B, gs ...benchGroup) {
	var rows []benchRow
	for _, g := range gs {
		if len(gs) == 1 {
			g.run(b)
		} else {
			b.Run(g.name, g.run)
		}
		rows = append(rows, g.rows()...)
	}
	// Printed rather than logged: a parent benchmark's log shows only with
	// -v.
	fmt.Printf("\n%s\n", benchFormatRows(rows))
	// A missed target fails the run, so scripts/bench-mockidp.sh exits
	// non-zero: a number the README quotes must be one that held.
	for _, r := range rows {
		if !r.isContext && (r.ratio == 0 || !r.met) {
			b.Errorf("target missed: %s: %.3f, target %s", strings.TrimSpace(r.what), r.ratio, r.target)
		}
	}
}

// BenchmarkRatios runs every group and reports every ratio.
func BenchmarkRatios(b *testing.B) { benchRunGroups(b, benchGroups()...) }

// BenchmarkStartup is target 1 alone.
func BenchmarkStartup(b *testing.B) { benchRunGroups(b, benchStartupGroup()) }

// BenchmarkStatic is target 2 alone.
func BenchmarkStatic(b *testing.B) { benchRunGroups(b, benchStaticGroup()) }

// BenchmarkTokens is targets 3 and 4 alone.
func BenchmarkTokens(b *testing.B) { benchRunGroups(b, benchTokensGroup()) }

// BenchmarkMemory is target 5 alone.
func BenchmarkMemory(b *testing.B) { benchRunGroups(b, benchMemoryGroup()) }

func benchFormatRows(rows []benchRow) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-46s %-22s %-22s %8s  %-7s %s\n", "measure", "mock", "baseline", "ratio", "target", "")
	for _, r := range rows {
		verdict := "MET"
		switch {
		case r.isContext:
			verdict = "(context)"
		case r.ratio == 0:
			verdict = "NOT MEASURED"
		case !r.met:
			verdict = "MISSED"
		}
		ratio := "-"
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.3f", r.ratio)
		}
		fmt.Fprintf(&sb, "%-46s %-22s %-22s %8s  %-7s %s\n", r.what, r.mock, r.baseline, ratio, r.target, verdict)
	}
	return sb.String()
}

// benchDiv is a/b, or 0 when either was not measured.
func benchDiv(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

func benchPerSec(nsPerOp float64) string { return fmt.Sprintf("%.0f/s", 1e9/nsPerOp) }
func benchMicros(ns float64) string      { return fmt.Sprintf("%.1f µs", ns/1e3) }
func benchMiB(bytes float64) string      { return fmt.Sprintf("%.2f MiB", bytes/(1<<20)) }

// ---------------------------------------------------------------------------
// Shared fixtures of the benchmarks, made on first use.

// benchServer is one mock for the ServeHTTP benchmarks, with a key
// generated in memory. Exchanges leave sessions in it; nothing reads them.
var benchServer = sync.OnceValues(func() (*mockidp.Server, error) {
	return mockidp.New(mockidp.Options{Issuer: benchIssuer, SweepEvery: time.Hour})
})

func benchMustServer(b *testing.B) *mockidp.Server {
	b.Helper()
	srv, err := benchServer()
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// benchKey is the baseline's 2048-bit RSA key, the size the mock uses.
var benchKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// benchStaticDoc is a document the mock serves as fixed bytes.
type benchStaticDoc struct {
	body   []byte
	header http.Header
}

// benchMockDoc fetches path from the shared server: the bytes and headers the
// bare baselines serve.
func benchMockDoc(b *testing.B, path string) benchStaticDoc {
	b.Helper()
	w := newBenchSink(true)
	benchMustServer(b).Handler().ServeHTTP(w, benchRequest(http.MethodGet, benchIssuer+path, ""))
	if w.status != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, w.status, w.body.String())
	}
	return benchStaticDoc{body: bytes.Clone(w.body.Bytes()), header: w.h.Clone()}
}

// benchBareHandler serves doc as the mock's writeStaticJSON does: the same
// headers, set the same way, and the same bytes.
func benchBareHandler(doc benchStaticDoc) http.HandlerFunc {
	ct, cc := doc.header.Get("Content-Type"), doc.header.Get("Cache-Control")
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{ct}
		h["Cache-Control"] = []string{cc}
		w.Write(doc.body)
	}
}

// benchSink is a cheap, reusable http.ResponseWriter: unlike
// httptest.ResponseRecorder it allocates nothing per request beyond what
// the handler does. With keep false it only counts the body.
type benchSink struct {
	h      http.Header
	status int
	n      int
	keep   bool
	body   bytes.Buffer
}

func newBenchSink(keep bool) *benchSink { return &benchSink{h: http.Header{}, keep: keep} }

func (w *benchSink) Header() http.Header { return w.h }

func (w *benchSink) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *benchSink) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	if w.keep {
		w.body.Write(p)
	}
	return len(p), nil
}

func (w *benchSink) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
	w.body.Reset()
}

func benchRequest(method, target, form string) *http.Request {
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	r, err := http.NewRequest(method, target, body)
	if err != nil {
		panic(err) // the targets here are constants
	}
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// ---------------------------------------------------------------------------
// 1. Start-up

func benchStartupGroup() benchGroup {
	return benchGroup{
		name:    "startup",
		benches: []benchCase{{"interleaved", benchStartupAll}},
		rows: func() []benchRow {
			bare, _ := benchLookup("startup/bare")
			var rows []benchRow
			for _, v := range []struct{ key, what, metric string }{
				{"startup/mock", "1  start-up to discovery 200, fixtures parsed", "startup-x-bare"},
				{"startup/mock-preparsed", "1' start-up, fixtures pre-parsed", "startup-preparsed-x-bare"},
			} {
				mock, _ := benchLookup(v.key)
				inNew, _ := benchLookup(v.key + "/setup")
				r := benchRow{sub: "interleaved", what: v.what, mock: benchMicros(mock) + " (" + benchMicros(inNew) + " setup)", baseline: "bare " + benchMicros(bare), metric: v.metric, target: "≤ 2"}
				if mock > 0 && bare > 0 {
					r.ratio = mock / bare
					r.met = r.ratio <= 2
				}
				rows = append(rows, r)
			}
			rows[1].isContext = true
			return rows
		},
	}
}

// benchStarter makes one server at start-up: the handler to serve, and
// what to do, untimed, before shutting it down.
type benchStarter struct {
	name  string
	start func(addr string) (http.Handler, func(), error)
}

// benchStartupAll times the start-ups of the bare server, the mock parsing
// the default fixtures and the mock with pre-parsed fixtures, interleaved
// (each iteration starts all three, in a rotating order), so that the
// machine's noise and drift fall on all three alike.
//
// A start-up is timed from listening on 127.0.0.1:0, through the starter
// (mockidp.New for the mock) and serving, until a GET of the discovery
// document returns 200 and its body is read. The shutdown is not timed but
// happens inside the loop, so that every start-up begins from nothing.
//
// After each GET, untimed, every variant does one RS256 signature: the
// mock's first client_credentials token, which loads the private key (the
// mock loads it on first use, since discovery does not need it), and for
// the bare server a plain rsa.SignPKCS1v15. So all three are timed from
// the same CPU state, and every variant does the same work per round.
func benchStartupAll(b *testing.B, _ string) {
	doc := benchMockDoc(b, "/.well-known/openid-configuration")
	priv, input := benchSignSetup(b)
	dir := b.TempDir()
	first, err := mockidp.New(mockidp.Options{Issuer: benchIssuer, StateDir: dir}) // makes the key file
	if err != nil {
		b.Fatal(err)
	}
	if err := first.Close(); err != nil {
		b.Fatal(err)
	}
	preparsed, err := fixture.Default()
	if err != nil {
		b.Fatal(err)
	}
	mockStarter := func(fx *fixture.Fixtures) func(addr string) (http.Handler, func(), error) {
		return func(addr string) (http.Handler, func(), error) {
			opts := mockidp.Options{Issuer: "http://" + addr, StateDir: dir, Fixtures: fx}
			if opts.Fixtures == nil { // as `skctl mock-idp` does
				parsed, err := fixture.Default()
				if err != nil {
					return nil, nil, err
				}
				opts.Fixtures = parsed
			}
			srv, err := mockidp.New(opts)
			if err != nil {
				return nil, nil, err
			}
			return srv.Handler(), func() {
				w := newBenchSink(true)
				srv.Handler().ServeHTTP(w, benchRequest(http.MethodPost, opts.Issuer+"/oauth/token", benchCCForm))
				if w.status != http.StatusOK {
					b.Errorf("token after start-up: %d %s", w.status, w.body.String())
				}
				if err := srv.Close(); err != nil {
					b.Error(err)
				}
			}, nil
		}
	}
	starters := []benchStarter{
		{"bare", func(string) (http.Handler, func(), error) {
			mux := http.NewServeMux()
			mux.Handle("GET /.well-known/openid-configuration", benchBareHandler(doc))
			return mux, func() {
				sum := sha256.Sum256(input)
				if _, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, sum[:]); err != nil {
					b.Error(err)
				}
			}, nil
		}},
		{"mock", mockStarter(nil)},
		{"mock-preparsed", mockStarter(preparsed)},
	}

	// The client closes each connection first, with a reset: closes that
	// left TIME_WAIT sockets behind would fill the ephemeral port range,
	// and bind(127.0.0.1:0) gets slower with each of them.
	var dialer net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		return c, err
	}}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	timed := make([][]time.Duration, len(starters))
	setup := make([][]time.Duration, len(starters))
	for i := 0; i < b.N; i++ {
		for j := range starters {
			k := (i + j) % len(starters)
			t0 := time.Now()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			addr := ln.Addr().String()
			t1 := time.Now()
			h, stop, err := starters[k].start(addr)
			setup[k] = append(setup[k], time.Since(t1))
			if err != nil {
				ln.Close()
				b.Fatal(err)
			}
			hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
			go hs.Serve(ln)
			resp, err := client.Get("http://" + addr + "/.well-known/openid-configuration")
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			timed[k] = append(timed[k], time.Since(t0))
			if resp.StatusCode != http.StatusOK || n == 0 {
				b.Fatalf("%s: discovery: %d, %d bytes", starters[k].name, resp.StatusCode, n)
			}
			tr.CloseIdleConnections()
			hs.Close()
			stop()
		}
	}
	for k, st := range starters {
		ns := benchMedian(timed[k])
		b.ReportMetric(ns, st.name+"-ns/start")
		benchRecord("startup/"+st.name, ns)
		benchRecord("startup/"+st.name+"/setup", benchMedian(setup[k]))
	}
	b.ReportMetric(0, "ns/op") // an iteration is three start-ups and more: not a useful time
}

// ---------------------------------------------------------------------------
// Interleaved throughput

// benchVariant is one side of an interleaved comparison. newOp is called
// once per goroutine and returns that goroutine's operation, which reports
// whether it succeeded.
type benchVariant struct {
	name  string
	newOp func() func() bool
}

// benchInterleave runs variants in turn on GOMAXPROCS goroutines at once:
// each goroutine takes rounds, and in a round does block operations of
// every variant, timing each block, in an order that rotates from round to
// round; there are enough rounds for b.N operations of every variant.
// Interleaving puts the machine's drift on all variants alike, where
// benchmarks run one after the other would each get their own.
//
// It returns and reports, per variant, the median time of its blocks per
// operation, divided by the number of goroutines: the inverse of its
// throughput with all goroutines at work. The median, not the mean, so
// that a block during which the noisy machine descheduled the goroutine
// does not count for more than one block.
func benchInterleave(b *testing.B, block int, variants []benchVariant) []float64 {
	procs := runtime.GOMAXPROCS(0)
	rounds := int64((b.N + block - 1) / block)
	var next atomic.Int64
	var mu sync.Mutex
	blocks := make([][]time.Duration, len(variants))
	var wg sync.WaitGroup
	b.ResetTimer()
	for range procs {
		wg.Go(func() {
			ops := make([]func() bool, len(variants))
			for i, v := range variants {
				ops[i] = v.newOp()
			}
			mine := make([][]time.Duration, len(variants))
			defer func() {
				mu.Lock()
				defer mu.Unlock()
				for i := range mine {
					blocks[i] = append(blocks[i], mine[i]...)
				}
			}()
			for {
				r := next.Add(1) - 1
				if r >= rounds {
					return
				}
				for j := range variants {
					k := (int(r) + j) % len(variants)
					op := ops[k]
					t0 := time.Now()
					for range block {
						if !op() {
							return
						}
					}
					mine[k] = append(mine[k], time.Since(t0))
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	out := make([]float64, len(variants))
	for i, v := range variants {
		out[i] = benchMedian(blocks[i]) / float64(block) / float64(procs)
		b.ReportMetric(out[i], v.name+"-ns/op")
	}
	b.ReportMetric(0, "ns/op") // per round of every variant: not a useful time
	return out
}

// benchMedian is the median of ds in nanoseconds, 0 for none.
func benchMedian(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	m := len(ds) / 2
	if len(ds)%2 == 1 {
		return float64(ds[m])
	}
	return float64(ds[m-1]+ds[m]) / 2
}

// ---------------------------------------------------------------------------
// 2. Discovery and JWKS

func benchStaticGroup() benchGroup {
	return benchGroup{
		name:    "static",
		benches: []benchCase{{"http", benchStaticHTTP}, {"servehttp", benchStaticServeHTTP}},
		rows: func() []benchRow {
			var rows []benchRow
			for _, v := range []struct{ sub, name, what, metric string }{
				{"http", "discovery", "2  discovery, loopback HTTP keep-alive", "discovery-x-bare"},
				{"http", "keys", "2  /keys, loopback HTTP keep-alive", "keys-x-bare"},
				{"servehttp", "discovery", "2' discovery, Handler().ServeHTTP", "discovery-servehttp-x-bare"},
				{"servehttp", "keys", "2' /keys, Handler().ServeHTTP", "keys-servehttp-x-bare"},
			} {
				mock, _ := benchLookup("static/" + v.sub + "/" + v.name + "-mock")
				bare, _ := benchLookup("static/" + v.sub + "/" + v.name + "-bare")
				r := benchRow{sub: v.sub, what: v.what, mock: benchPerSec(mock), baseline: "bare " + benchPerSec(bare), metric: v.metric, target: "≥ 0.9"}
				if mock > 0 && bare > 0 {
					r.ratio = bare / mock // mock req/s over bare req/s
					r.met = r.ratio >= 0.9
				}
				rows = append(rows, r)
			}
			rows[2].isContext, rows[3].isContext = true, true
			return rows
		},
	}
}

var benchStaticPaths = []struct{ name, path string }{
	{"discovery", "/.well-known/openid-configuration"},
	{"keys", "/keys"},
}

// benchStaticServeHTTP calls Handler().ServeHTTP, and the bare handler's,
// with a reused request and a counting writer per goroutine: the cost of
// the handler alone, routing and middleware included.
func benchStaticServeHTTP(b *testing.B, key string) {
	h := benchMustServer(b).Handler()
	var variants []benchVariant
	for _, p := range benchStaticPaths {
		for _, side := range []struct {
			name string
			h    http.Handler
		}{{"bare", benchBareHandler(benchMockDoc(b, p.path))}, {"mock", h}} {
			variants = append(variants, benchVariant{p.name + "-" + side.name, func() func() bool {
				r := benchRequest(http.MethodGet, benchIssuer+p.path, "")
				w := newBenchSink(false)
				return func() bool {
					w.reset()
					side.h.ServeHTTP(w, r)
					if w.status != http.StatusOK || w.n == 0 {
						b.Errorf("GET %s: %d, %d bytes", p.path, w.status, w.n)
						return false
					}
					return true
				}
			}})
		}
	}
	benchRecordVariants(key, variants, benchInterleave(b, 1000, variants))
}

// benchStaticHTTP serves the mock's handler and the bare one on two
// loopback ports and GETs each path from GOMAXPROCS goroutines over
// keep-alive connections: what a client sees.
func benchStaticHTTP(b *testing.B, key string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	serve := func(h http.Handler) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(ln)
		b.Cleanup(func() { hs.Close() })
		return "http://" + ln.Addr().String()
	}
	mockURL := serve(benchMustServer(b).Handler())
	var variants []benchVariant
	for _, p := range benchStaticPaths {
		for _, side := range []struct{ name, url string }{
			{"bare", serve(benchBareHandler(benchMockDoc(b, p.path)))},
			{"mock", mockURL},
		} {
			variants = append(variants, benchVariant{p.name + "-" + side.name, func() func() bool {
				target := side.url + p.path
				return func() bool {
					resp, err := client.Get(target)
					if err != nil {
						b.Error(err)
						return false
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || n == 0 {
						b.Errorf("GET %s: %d, %d bytes", target, resp.StatusCode, n)
						return false
					}
					return true
				}
			}})
		}
	}
	benchRecordVariants(key, variants, benchInterleave(b, 10, variants))
}

func benchRecordVariants(key string, variants []benchVariant, nsPerOp []float64) {
	for i, v := range variants {
		benchRecord(key+"/"+v.name, nsPerOp[i])
	}
}

// ---------------------------------------------------------------------------
// 3 and 4. Tokens

var benchCCForm = url.Values{
	"grant_type": {"client_credentials"}, "client_id": {m2mID}, "client_secret": {m2mSecret},
}.Encode()

// benchVerifier and its S256 challenge: one pair serves every exchange,
// since each exchange has its own code.
const benchVerifier = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"

func benchChallenge() string {
	sum := sha256.Sum256([]byte(benchVerifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

var benchAuthorizeURL = benchIssuer + "/oauth/authorize?" + url.Values{
	"response_type": {"code"}, "client_id": {app1ID}, "redirect_uri": {app1Redirect},
	"scope": {"openid profile email offline_access"}, "state": {"bench-state"}, "nonce": {"bench-nonce"},
	"code_challenge": {benchChallenge()}, "code_challenge_method": {"S256"}, "login_hint": {"ada@acme.test"},
}.Encode()

func benchTokensGroup() benchGroup {
	return benchGroup{
		name:    "tokens",
		benches: []benchCase{{"interleaved", benchTokens}},
		rows: func() []benchRow {
			sign, _ := benchLookup("tokens/interleaved/sign-rsa")
			cc, _ := benchLookup("tokens/interleaved/client-credentials")
			ex, _ := benchLookup("tokens/interleaved/exchange")
			jose, _ := benchLookup("tokens/interleaved/sign-jose")
			rows := []benchRow{
				{sub: "interleaved", what: "3  client_credentials tokens, ServeHTTP", mock: benchPerSec(cc), baseline: "RS256 " + benchPerSec(sign), metric: "cc-x-sign", target: "≥ 0.9"},
				{sub: "interleaved", what: "4  exchanges: tokens signed (2 per exchange)", mock: benchPerSec(ex / 2), baseline: "RS256 " + benchPerSec(sign), metric: "exchange-x-sign", target: "≥ 0.9"},
				{what: "4  exchanges (authorize + code exchange)", mock: benchPerSec(ex), isContext: true},
				{sub: "interleaved", what: "   go-jose Sign + CompactSerialize", mock: benchPerSec(jose), baseline: "RS256 " + benchPerSec(sign), metric: "jose-x-sign", isContext: true},
			}
			if sign > 0 && cc > 0 {
				rows[0].ratio = sign / cc
				rows[0].met = rows[0].ratio >= 0.9
			}
			if sign > 0 && ex > 0 {
				rows[1].ratio = 2 * sign / ex
				rows[1].met = rows[1].ratio >= 0.9
			}
			if sign > 0 && jose > 0 {
				rows[3].ratio = sign / jose
			}
			return rows
		},
	}
}

// benchSigningInput returns header.payload of a real client_credentials
// token of the mock: what the baseline signs, byte for byte in size.
var benchSigningInput = sync.OnceValues(func() ([]byte, error) {
	srv, err := benchServer()
	if err != nil {
		return nil, err
	}
	w := newBenchSink(true)
	r, err := http.NewRequest(http.MethodPost, benchIssuer+"/oauth/token", strings.NewReader(benchCCForm))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.Handler().ServeHTTP(w, r)
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.body.Bytes(), &resp); err != nil || w.status != http.StatusOK {
		return nil, fmt.Errorf("client_credentials: %d %s", w.status, w.body.String())
	}
	i := strings.LastIndexByte(resp.AccessToken, '.')
	if i < 0 {
		return nil, fmt.Errorf("not a JWS: %q", resp.AccessToken)
	}
	return []byte(resp.AccessToken[:i]), nil
})

func benchSignSetup(b *testing.B) (*rsa.PrivateKey, []byte) {
	key, err := benchKey()
	if err != nil {
		b.Fatal(err)
	}
	input, err := benchSigningInput()
	if err != nil {
		b.Fatal(err)
	}
	return key, input
}

// benchTokens interleaves, at the same parallelism (GOMAXPROCS):
//
//   - sign-rsa, the baseline: SHA-256 and a PKCS #1 v1.5 signature with a
//     2048-bit key of a real token's signing input, as go-jose's RS256
//     does it;
//   - client-credentials: POST /oauth/token through Handler().ServeHTTP;
//   - exchange: authorize with login_hint and PKCE, then the code exchange,
//     both through Handler().ServeHTTP (two signatures);
//   - sign-jose, for context: go-jose's Sign and CompactSerialize of the
//     same payload, with the mock's header.
func benchTokens(b *testing.B, key string) {
	priv, input := benchSignSetup(b)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: "snk_00000000000000000"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		b.Fatal(err)
	}
	_, payload, _ := strings.Cut(string(input), ".")
	claims, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		b.Fatal(err)
	}
	h := benchMustServer(b).Handler()
	variants := []benchVariant{
		{"sign-rsa", func() func() bool {
			return func() bool {
				sum := sha256.Sum256(input)
				if _, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, sum[:]); err != nil {
					b.Error(err)
					return false
				}
				return true
			}
		}},
		{"client-credentials", func() func() bool {
			w := newBenchSink(true)
			return func() bool {
				w.reset()
				h.ServeHTTP(w, benchRequest(http.MethodPost, benchIssuer+"/oauth/token", benchCCForm))
				if w.status != http.StatusOK {
					b.Errorf("client_credentials: %d %s", w.status, w.body.String())
					return false
				}
				return true
			}
		}},
		{"exchange", func() func() bool {
			w := newBenchSink(true)
			return func() bool { return benchLogin(b, h, w) }
		}},
		{"sign-jose", func() func() bool {
			return func() bool {
				jws, err := signer.Sign(claims)
				if err == nil {
					_, err = jws.CompactSerialize()
				}
				if err != nil {
					b.Error(err)
					return false
				}
				return true
			}
		}},
	}
	benchRecordVariants(key, variants, benchInterleave(b, 1, variants))
}

// benchLogin runs one sign-in through h: authorize with login_hint and PKCE
// (no cookie, so a new IdP session), then the code exchange.
func benchLogin(b *testing.B, h http.Handler, w *benchSink) bool {
	w.reset()
	h.ServeHTTP(w, benchRequest(http.MethodGet, benchAuthorizeURL, ""))
	loc, err := url.Parse(w.h.Get("Location"))
	if w.status != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		b.Errorf("authorize: %d Location %q %s", w.status, w.h.Get("Location"), w.body.String())
		return false
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {app1Redirect}, "code_verifier": {benchVerifier},
		"client_id": {app1ID}, "client_secret": {app1Secret},
	}.Encode()
	w.reset()
	h.ServeHTTP(w, benchRequest(http.MethodPost, benchIssuer+"/oauth/token", form))
	if w.status != http.StatusOK || !bytes.Contains(w.body.Bytes(), []byte(`"id_token"`)) {
		b.Errorf("code exchange: %d %s", w.status, w.body.String())
		return false
	}
	return true
}

// ---------------------------------------------------------------------------
// 5. Memory

func benchMemoryGroup() benchGroup {
	return benchGroup{
		name:    "memory",
		benches: []benchCase{{"logins", benchMemory}, {"capped", benchCapped}},
		rows: func() []benchRow {
			get := func(k string) float64 { v, _ := benchLookup("memory/" + k); return v }
			h1, h10 := get("inuse-1k"), get("inuse-10k")
			left := get("left-after-sweep")
			rows := []benchRow{
				// The target is the live heap: what the mock still holds once
				// the sweep has run. HeapInuse also counts the spans a burst
				// of sign-ins left partly filled, which the runtime reuses and
				// returns to the OS by itself (context).
				{sub: "logins", what: "5  live heap after sweep, 10,000 vs 1,000", mock: "10k " + benchMiB(get("alloc-10k")), baseline: "1k " + benchMiB(get("alloc-1k")), metric: "heap-10k-x-1k", target: "≤ 1.1"},
				{what: "   HeapInuse after sweep, 10k vs 1k", mock: "10k " + benchMiB(h10), baseline: "1k " + benchMiB(h1), isContext: true},
				{what: "   HeapInuse before sweep, 10k vs 1k", mock: "10k " + benchMiB(get("inuse-10k-before-sweep")), baseline: "1k " + benchMiB(get("inuse-1k-before-sweep")), isContext: true},
				{what: "   HeapInuse before any sign-in", mock: benchMiB(get("inuse-0")), isContext: true},
				{what: "   sessions+codes+refresh left after sweeps", mock: fmt.Sprint(left), target: "0", isContext: true},
				{sub: "capped", what: "6  HeapInuse unswept, 100,000 vs 10,000 logins", mock: "100k " + benchMiB(get("inuse-100k-capped")), baseline: "10k " + benchMiB(get("inuse-10k-capped")), metric: "heap-100k-x-10k", target: "≤ 1.2"},
				{what: "   sessions kept after 100,000, evicted", mock: fmt.Sprintf("%.0f", get("kept-100k")), baseline: fmt.Sprintf("%.0f evicted", get("evicted-100k")), isContext: true},
			}
			rows[0].ratio = benchDiv(get("alloc-10k"), get("alloc-1k"))
			rows[0].met = rows[0].ratio <= 1.1 && left == 0
			rows[1].ratio = benchDiv(h10, h1)
			rows[2].ratio = benchDiv(get("inuse-10k-before-sweep"), get("inuse-1k-before-sweep"))
			rows[5].ratio = benchDiv(get("inuse-100k-capped"), get("inuse-10k-capped"))
			rows[5].met = rows[5].ratio <= 1.2
			return rows
		},
	}
}

// benchClock is Options.Now, moved on by hand.
type benchClock struct{ ns atomic.Int64 }

func (c *benchClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *benchClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// benchHeap returns HeapInuse and HeapAlloc after a full collection; two,
// so that sync.Pool's victim caches are emptied too.
func benchHeap() (inuse, alloc float64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse), float64(m.HeapAlloc)
}

// benchMemory signs in 1,000 times on a new mock, moves its fake clock past
// the sessions' expiry, sweeps and measures the heap; then does the same
// with 10,000 more sign-ins on the same mock. A sign-in is authorize with
// login_hint and PKCE, with no cookie (a new IdP session each time), and
// the code exchange, which makes a refresh token (offline_access). Each
// iteration does it all: with a -benchtime in seconds b.N is 1.
func benchMemory(b *testing.B, _ string) {
	for i := 0; i < b.N; i++ {
		benchMeasureMemory(b)
	}
}

func benchMeasureMemory(b *testing.B) {
	clock := &benchClock{}
	clock.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	srv, err := mockidp.New(mockidp.Options{Issuer: benchIssuer, Now: clock.Now, SweepEvery: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()

	logins := func(n int) { benchLogins(b, h, n) }
	left := 0
	// measure records the heap before and after moving the clock past the
	// absolute session lifetime (7 days; the idle one is 24 h) and
	// sweeping, as the background tick would.
	measure := func(n int, name string) {
		logins(n)
		if st := srv.Stats(); st.Sessions != n || st.RefreshTokens != n || st.Codes != 0 {
			b.Errorf("after %d sign-ins: %+v", n, st)
		}
		inuse, _ := benchHeap()
		benchRecord("memory/inuse-"+name+"-before-sweep", inuse)
		clock.Advance(8 * 24 * time.Hour)
		srv.Sweep()
		st := srv.Stats()
		left += st.Sessions + st.Codes + st.RefreshTokens
		if st.Sessions != 0 || st.Codes != 0 || st.RefreshTokens != 0 {
			b.Errorf("after the sweep: %+v, want no sessions, codes or refresh tokens", st)
		}
		inuse, alloc := benchHeap()
		benchRecord("memory/inuse-"+name, inuse)
		benchRecord("memory/alloc-"+name, alloc)
		b.ReportMetric(inuse, "heap-"+name+"-B")
	}

	inuse, _ := benchHeap()
	benchRecord("memory/inuse-0", inuse)
	measure(1000, "1k")
	measure(10000, "10k")
	benchRecord("memory/left-after-sweep", float64(left))
	runtime.KeepAlive(srv)
}

// benchCapped signs in 10,000 times on a new mock with the default session
// cap and measures the heap with nothing swept; then 90,000 times more.
// The cap evicts the longest-idle sessions with their refresh tokens, so
// the heap stays flat however many sign-ins a long CI run makes.
func benchCapped(b *testing.B, _ string) {
	for i := 0; i < b.N; i++ {
		srv, err := mockidp.New(mockidp.Options{Issuer: benchIssuer, SweepEvery: 24 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		h := srv.Handler()
		logins := func(n int) { benchLogins(b, h, n) }
		logins(10000)
		inuse, _ := benchHeap()
		benchRecord("memory/inuse-10k-capped", inuse)
		logins(90000)
		inuse, _ = benchHeap()
		benchRecord("memory/inuse-100k-capped", inuse)
		st := srv.Stats()
		benchRecord("memory/kept-100k", float64(st.Sessions))
		benchRecord("memory/evicted-100k", float64(st.Evicted))
		b.ReportMetric(inuse, "heap-100k-B")
		srv.Close()
	}
}

// benchLogins signs in n times on h, from as many goroutines as there are
// processors.
func benchLogins(b *testing.B, h http.Handler, n int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			w := newBenchSink(true)
			for next.Add(1) <= int64(n) {
				if !benchLogin(b, h, w) {
					return
				}
			}
		})
	}
	wg.Wait()
}
