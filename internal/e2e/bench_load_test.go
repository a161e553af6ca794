package e2e_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The benchmarks' load, as internal/webapp's BenchmarkDashboard sends it
// (which lives in another package): loadClients requests in flight at
// once over keep-alive loopback connections, timed in blocks of
// loadBlock requests.
const (
	// loadClients keeps two cores busy while some requests wait on the
	// network.
	loadClients = 16
	// loadBlock is about 0.1 s of requests on two cores: long enough that
	// the goroutines' start and the last stragglers are a small part of
	// it, short enough to alternate often.
	loadBlock = 256
)

// loader sends GET /dashboard with a session cookie to one server, over
// loadClients keep-alive connections of its own, and never follows a
// redirect: a signed-out answer is a 302, not the login page's 200.
type loader struct {
	url, cookie string
	tr          *http.Transport
	client      *http.Client
}

func newLoader(base, cookie string) *loader {
	tr := &http.Transport{MaxIdleConnsPerHost: loadClients, MaxConnsPerHost: loadClients, DisableCompression: true}
	return &loader{url: base + "/dashboard", cookie: cookie, tr: tr, client: &http.Client{
		Transport: tr, Timeout: hangDeadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (l *loader) close() { l.tr.CloseIdleConnections() }

// run sends n requests from loadClients goroutines at once and checks
// that every one was answered 200, the signed-in page.
func (l *loader) run(n int) error {
	var wg sync.WaitGroup
	errs := make([]error, loadClients)
	for g := range loadClients {
		count := n / loadClients
		if g < n%loadClients {
			count++
		}
		wg.Go(func() {
			r, _ := http.NewRequest(http.MethodGet, l.url, nil)
			r.Header.Set("Cookie", l.cookie)
			for range count {
				resp, err := l.client.Do(r)
				if err != nil {
					errs[g] = err
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					errs[g] = fmt.Errorf("GET %s: %d, want 200 signed in (%v)", l.url, resp.StatusCode, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// timed runs n requests through l and returns how long they took.
func (l *loader) timed(n int) (time.Duration, error) {
	t0 := time.Now()
	err := l.run(n)
	return time.Since(t0), err
}

// median is the middle of xs (the mean of the two middles for an even
// count).
func median(xs []float64) float64 { return quantile(xs, 0.5) }

// quantile is the q-quantile of xs, interpolated between the two nearest
// ranks (for 50 latencies, p99 lies between the slowest and the one
// before it).
func quantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}
