// Package loadtest is the load client and the alternating-blocks
// comparison of the project's end-to-end benchmarks (internal/webapp's
// BenchmarkDashboard, internal/e2e's BenchmarkReplicas), kept in one place
// so both measure alike. Only tests import it.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"
)

const (
	// Conns is how many requests a Client has in flight at once, each on
	// a keep-alive connection of its own: enough to keep two cores busy
	// while some wait on the network.
	Conns = 16
	// Block is how many requests one timed block sends, about 0.1 s on
	// two cores: long enough that the goroutines' start and the last
	// stragglers are a small part of it, short enough to alternate often.
	Block = 256
)

// Check judges one answer: resp with its body already read (bodyLen
// bytes) and closed. A non-nil error stops the run that got it, so a
// wrong page (a redirect to sign-in, an error page) is never counted.
type Check func(resp *http.Response, bodyLen int64) error

// Options are what a Client sends besides its URL.
type Options struct {
	// Header is sent with every request (the session's cookie).
	Header http.Header
	// Labels, key-value pairs, are the profile labels of the goroutines
	// Run starts, so `go tool pprof -tagfocus` can pick one side out of
	// a process that serves both.
	Labels []string
}

// Client sends GET to one URL over up to Conns keep-alive connections of
// its own. It never follows a redirect: a redirect is the answer to
// check, not the page it leads to.
type Client struct {
	url    string
	header http.Header
	labels []string
	tr     *http.Transport
	client *http.Client
}

// NewClient returns a Client for url; Close releases its connections.
func NewClient(url string, o Options) *Client {
	tr := &http.Transport{MaxIdleConnsPerHost: Conns, MaxConnsPerHost: Conns, DisableCompression: true}
	return &Client{url: url, header: o.Header, labels: o.Labels, tr: tr, client: &http.Client{
		Transport: tr,
		// Generous: only a hung server reaches it.
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Do sends one request, for the caller to read and close.
func (c *Client) Do() (*http.Response, error) { return c.client.Do(c.request()) }

func (c *Client) request() *http.Request {
	r, err := http.NewRequest(http.MethodGet, c.url, nil)
	if err != nil {
		panic(err) // the URL is the test's own
	}
	r.Header = c.header.Clone()
	return r
}

// Run sends n requests from Conns goroutines at once, each reusing one
// request, reads every body to the end and checks every answer with
// check. It returns once all are answered, or a goroutine's first failure
// has stopped that goroutine.
func (c *Client) Run(n int, check Check) error {
	var wg sync.WaitGroup
	errs := make([]error, Conns)
	for g := range Conns {
		count := n / Conns
		if g < n%Conns {
			count++
		}
		if count == 0 {
			continue
		}
		wg.Go(func() {
			if len(c.labels) > 0 {
				pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(c.labels...)))
			}
			r := c.request()
			for range count {
				if errs[g] = c.one(r, check); errs[g] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Client) one(r *http.Request, check Check) error {
	resp, err := c.client.Do(r)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("GET %s: %d, reading the body: %w", c.url, resp.StatusCode, err)
	}
	if err := check(resp, n); err != nil {
		return fmt.Errorf("GET %s: %w", c.url, err)
	}
	return nil
}
