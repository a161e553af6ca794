package webapp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/webapp"
)

// BenchmarkDashboard measures what a signed-in user feels: GET /dashboard
// through the whole app (request log, security headers, panic recovery,
// the same-server check, the session middleware, the page) served on
// 127.0.0.1:0 as `skctl serve` serves it, against a bare net/http server on
// 127.0.0.1:0 that answers the same status, headers and body to a request
// carrying the same cookie. BenchmarkMiddleware compares the app with and
// without the middleware; this compares it with nothing at all, so a cost
// anywhere on the request's path shows. It reports:
//
//	app/bare           the app's requests/s ÷ the bare server's; the target
//	                   is ≥ 0.9 (scripts/bench-dashboard.sh)
//	req/s, bare-req/s  both rates; ns/op is the app's, 1e9 ÷ req/s
//	cookie-bytes, page-bytes
//
// The session is real: Ada signs in through the app and the mock as a
// browser does, and her access token lives an hour, so no refresh happens
// during the run. The app logs as `skctl serve` does by default, a text
// line per request at info level, into io.Discard: the line is built and
// formatted, only the write to stderr is left out.
//
// dashClients goroutines, each with its own keep-alive connection to each
// server, send the requests. The client and both servers share the
// machine's cores, so a burst of other load, or the machine's drift, would
// fall on whichever server happened to be measured then. Hence the two are
// measured in alternating blocks of dashBlock requests (app, bare, bare,
// app, app, bare, …: each pair's order flips so neither always runs on a
// warmer cache), each block timed on its own; the reported rates are the
// medians of the blocks' rates, and the ratio is the median of the pairs'
// ratios, which a burst spoiling a few blocks does not move.
func BenchmarkDashboard(b *testing.B) {
	st := newMockStack(b, mockidp.Options{Lifetimes: mockidp.Lifetimes{AccessToken: time.Hour}})
	app := st.newAppWith(b, nil, webapp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	// The profile labels (side=app, side=bare) follow the servers'
	// goroutines and the clients' (`go tool pprof -tagfocus side=app`),
	// which share one process.
	pprof.Do(b.Context(), pprof.Labels("side", "app"), func(context.Context) { serveOn(b, st.appLn, app.Handler()) })
	cookie := signIn(b, st)

	appDash := newDashClient("app", st.AppURL, cookie)
	b.Cleanup(appDash.close)
	want, err := appDash.answer()
	if err != nil {
		b.Fatal(err)
	}
	if want.status != http.StatusOK || !bytes.Contains(want.body, []byte("ada@acme.test")) {
		b.Fatalf("GET /dashboard signed in: %d %.300s", want.status, want.body)
	}

	bareLn, bareURL := listenLoopback(b)
	pprof.Do(b.Context(), pprof.Labels("side", "bare"), func(context.Context) { serveOn(b, bareLn, bareHandler(want)) })
	bareDash := newDashClient("bare", bareURL, cookie)
	b.Cleanup(bareDash.close)
	got, err := bareDash.answer()
	if err != nil {
		b.Fatal(err)
	}
	if err := want.sameAs(got); err != nil {
		b.Fatalf("the bare server does not answer what the app does: %v", err)
	}

	b.Run("loopback", func(b *testing.B) {
		// Open every client's connection to both servers before timing.
		for _, c := range []*dashClient{appDash, bareDash} {
			if err := c.run(dashClients, len(want.body)); err != nil {
				b.Fatal(err)
			}
		}
		var appRates, bareRates, ratios []float64
		b.ResetTimer()
		for done, i := 0, 0; done < b.N; i++ {
			n := min(dashBlock, b.N-done)
			first, second := appDash, bareDash
			if i%2 == 1 {
				first, second = bareDash, appDash
			}
			d1, err1 := timeBlock(first, n, len(want.body))
			d2, err2 := timeBlock(second, n, len(want.body))
			if err := errors.Join(err1, err2); err != nil {
				b.Fatal(err)
			}
			dApp, dBare := d1, d2
			if i%2 == 1 {
				dApp, dBare = d2, d1
			}
			appRates = append(appRates, float64(n)/dApp.Seconds())
			bareRates = append(bareRates, float64(n)/dBare.Seconds())
			ratios = append(ratios, dBare.Seconds()/dApp.Seconds())
			done += n
		}
		b.StopTimer()
		appRate := median(appRates)
		b.ReportMetric(1e9/appRate, "ns/op")
		b.ReportMetric(appRate, "req/s")
		b.ReportMetric(median(bareRates), "bare-req/s")
		b.ReportMetric(median(ratios), "app/bare")
		b.ReportMetric(float64(len(cookie)), "cookie-bytes")
		b.ReportMetric(float64(len(want.body)), "page-bytes")
	})
}

const (
	// dashClients is how many requests are in flight at once: enough to
	// keep two cores busy while some wait on the network.
	dashClients = 16
	// dashBlock is how many requests one timed block sends, about 0.1 s
	// on two cores: long enough that the goroutines' start and the last
	// stragglers are a small part of it, short enough to alternate often.
	dashBlock = 256
)

// timeBlock sends n requests through c's clients and returns how long they
// took.
func timeBlock(c *dashClient, n, bodyLen int) (time.Duration, error) {
	t0 := time.Now()
	err := c.run(n, bodyLen)
	return time.Since(t0), err
}

// median is the middle of xs (the mean of the two middles for an even
// count).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// dashAnswer is one response to GET /dashboard.
type dashAnswer struct {
	status int
	header http.Header
	body   []byte
	// chunked and length are how the body was framed: the baseline must
	// frame it alike, as chunking costs bytes and writes.
	chunked bool
	length  int64
}

// sameAs says how got differs from a, ignoring the values but not the
// presence of the headers that differ between two answers of one server:
// Date, which net/http adds, and the request ID, new on every request.
func (a dashAnswer) sameAs(got dashAnswer) error {
	wh, gh := a.header.Clone(), got.header.Clone()
	for _, k := range []string{"Date", "X-Request-Id"} {
		if (wh.Get(k) == "") != (gh.Get(k) == "") {
			return fmt.Errorf("header %s: %q, want %q", k, gh.Get(k), wh.Get(k))
		}
		wh.Del(k)
		gh.Del(k)
	}
	switch {
	case got.status != a.status:
		return fmt.Errorf("status %d, want %d", got.status, a.status)
	case !maps.EqualFunc(wh, gh, slices.Equal):
		return fmt.Errorf("headers %v, want %v", gh, wh)
	case got.chunked != a.chunked || got.length != a.length:
		return fmt.Errorf("framing chunked=%v length=%d, want chunked=%v length=%d", got.chunked, got.length, a.chunked, a.length)
	case !bytes.Equal(got.body, a.body):
		return fmt.Errorf("body %.300q, want %.300q", got.body, a.body)
	}
	return nil
}

// bareHandler answers every request with a, as cheaply as net/http allows:
// the headers assigned from a's map, one write. Date and Content-Length (or
// chunking) net/http sets as for the app.
func bareHandler(a dashAnswer) http.Handler {
	h := a.header.Clone()
	h.Del("Date")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wh := w.Header()
		for k, v := range h {
			wh[k] = v
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	})
}

// dashClient sends GET /dashboard with a cookie to one server, over
// keep-alive connections of its own.
type dashClient struct {
	side        string // the profile label of its goroutines
	url, cookie string
	tr          *http.Transport
	client      *http.Client
}

func newDashClient(side, base, cookie string) *dashClient {
	tr := &http.Transport{MaxIdleConnsPerHost: dashClients, MaxConnsPerHost: dashClients, DisableCompression: true}
	return &dashClient{side: side, url: base + "/dashboard", cookie: cookie, tr: tr, client: &http.Client{Transport: tr, Timeout: time.Minute}}
}

func (c *dashClient) close() { c.tr.CloseIdleConnections() }

func (c *dashClient) request() *http.Request {
	r, err := http.NewRequest(http.MethodGet, c.url, nil)
	if err != nil {
		panic(err) // the URL is the test's own
	}
	r.Header.Set("Cookie", c.cookie)
	return r
}

// answer sends one request and returns the whole answer.
func (c *dashClient) answer() (dashAnswer, error) {
	resp, err := c.client.Do(c.request())
	if err != nil {
		return dashAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return dashAnswer{}, err
	}
	return dashAnswer{status: resp.StatusCode, header: resp.Header, body: body,
		chunked: slices.Contains(resp.TransferEncoding, "chunked"), length: resp.ContentLength}, nil
}

// run sends n requests from dashClients goroutines at once, each reusing
// one request, and checks that each is answered 200 with bodyLen bytes
// (that no redirect to sign-in, no error page, was counted).
func (c *dashClient) run(n, bodyLen int) error {
	var wg sync.WaitGroup
	errs := make([]error, dashClients)
	for g := range dashClients {
		count := n / dashClients
		if g < n%dashClients {
			count++
		}
		if count == 0 {
			continue
		}
		wg.Go(func() {
			pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("side", c.side)))
			r := c.request()
			for range count {
				resp, err := c.client.Do(r)
				if err != nil {
					errs[g] = err
					return
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || got != int64(bodyLen) {
					errs[g] = fmt.Errorf("GET %s: %d, %d bytes (want 200, %d bytes), %v", c.url, resp.StatusCode, got, bodyLen, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
