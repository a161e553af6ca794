package webapp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/loadtest"
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
// loadtest.Conns goroutines, each with its own keep-alive connection to
// each server, send the requests. The client and both servers share the
// machine's cores, so the two are measured in alternating blocks of
// loadtest.Block requests (app, bare, bare, app, …), each block timed on
// its own (loadtest.Alternate says why); the reported rates are the
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
	b.Cleanup(appDash.Close)
	want, err := answer(appDash)
	if err != nil {
		b.Fatal(err)
	}
	if want.status != http.StatusOK || !bytes.Contains(want.body, []byte("ada@acme.test")) {
		b.Fatalf("GET /dashboard signed in: %d %.300s", want.status, want.body)
	}

	bareLn, bareURL := listenLoopback(b)
	pprof.Do(b.Context(), pprof.Labels("side", "bare"), func(context.Context) { serveOn(b, bareLn, bareHandler(want)) })
	bareDash := newDashClient("bare", bareURL, cookie)
	b.Cleanup(bareDash.Close)
	got, err := answer(bareDash)
	if err != nil {
		b.Fatal(err)
	}
	if err := want.sameAs(got); err != nil {
		b.Fatalf("the bare server does not answer what the app does: %v", err)
	}

	// Every answer must be the signed-in page: no redirect to sign-in, no
	// error page, is counted.
	page := func(resp *http.Response, n int64) error {
		if resp.StatusCode != http.StatusOK || n != int64(len(want.body)) {
			return fmt.Errorf("%d, %d bytes (want 200, %d bytes)", resp.StatusCode, n, len(want.body))
		}
		return nil
	}
	b.Run("loopback", func(b *testing.B) {
		// Open every client's connection to both servers before timing.
		for _, c := range []*loadtest.Client{appDash, bareDash} {
			if err := c.Run(loadtest.Conns, page); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		bl, err := loadtest.Alternate(b.N, loadtest.Block,
			func(n int) error { return appDash.Run(n, page) },
			func(n int) error { return bareDash.Run(n, page) })
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		appRate := loadtest.Median(bl.A)
		b.ReportMetric(1e9/appRate, "ns/op")
		b.ReportMetric(appRate, "req/s")
		b.ReportMetric(loadtest.Median(bl.B), "bare-req/s")
		b.ReportMetric(loadtest.Median(bl.Ratios), "app/bare")
		b.ReportMetric(float64(len(cookie)), "cookie-bytes")
		b.ReportMetric(float64(len(want.body)), "page-bytes")
	})
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

// newDashClient sends GET /dashboard with a cookie to one server, over
// keep-alive connections of its own, its goroutines labelled side=side.
func newDashClient(side, base, cookie string) *loadtest.Client {
	return loadtest.NewClient(base+"/dashboard", loadtest.Options{
		Header: http.Header{"Cookie": {cookie}},
		Labels: []string{"side", side},
	})
}

// answer sends one request through c and returns the whole answer.
func answer(c *loadtest.Client) (dashAnswer, error) {
	resp, err := c.Do()
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
