package loadtest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// server is a loopback server that counts requests, the connections they
// came on, and the requests missing the cookie.
type server struct {
	*httptest.Server
	requests, conns, noCookie atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if c, err := r.Cookie("session"); err != nil || c.Value != "ada" {
			s.noCookie.Add(1)
		}
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start() // on 127.0.0.1:0
	t.Cleanup(s.Close)
	return s
}

func newTestClient(t *testing.T, s *server) *Client {
	c := NewClient(s.URL+"/dashboard", Options{Header: http.Header{"Cookie": {"session=ada"}}, Labels: []string{"side", "test"}})
	t.Cleanup(c.Close)
	return c
}

// Every request is sent, with the header, and checked with the body's
// length, over at most Conns keep-alive connections however many runs: a
// benchmark measures answers, not dials.
func TestClientRun(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	c := newTestClient(t, s)
	var checked atomic.Int64
	var mu sync.Mutex
	lengths := map[int64]int{}
	check := func(resp *http.Response, n int64) error {
		checked.Add(1)
		mu.Lock()
		lengths[n]++
		mu.Unlock()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d, want 200", resp.StatusCode)
		}
		return nil
	}
	for _, n := range []int{Conns, 1000, 7} {
		if err := c.Run(n, check); err != nil {
			t.Fatal(err)
		}
	}
	const total = Conns + 1000 + 7
	if got := s.requests.Load(); got != total {
		t.Errorf("server saw %d requests, want %d", got, total)
	}
	if got := checked.Load(); got != total {
		t.Errorf("%d answers checked, want %d", got, total)
	}
	if lengths[5] != total {
		t.Errorf("body lengths given to check %v, want %d × 5 (hello)", lengths, total)
	}
	if got := s.noCookie.Load(); got != 0 {
		t.Errorf("%d requests without the cookie", got)
	}
	if got := s.conns.Load(); got > Conns {
		t.Errorf("%d connections for %d requests, want at most %d: kept alive", got, total, Conns)
	}
}

// A wrong answer stops the run and says why; a redirect is that answer,
// not followed to a page that would pass (a signed-out user's 302 to the
// login page).
func TestClientRunCheckFails(t *testing.T) {
	var n atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			fmt.Fprint(w, "login page")
			return
		}
		if n.Add(1) == 50 {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		fmt.Fprint(w, "hello")
	})
	c := newTestClient(t, s)
	wantOK := func(resp *http.Response, _ int64) error {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d, want 200", resp.StatusCode)
		}
		return nil
	}
	err := c.Run(1000, wantOK)
	if err == nil || !strings.Contains(err.Error(), "GET "+s.URL+"/dashboard: 302, want 200") {
		t.Fatalf("error %v, want the check's 302 with the URL", err)
	}
	// The failing goroutine stopped; the others finished their share.
	if got := s.requests.Load(); got >= 1000 {
		t.Errorf("server saw %d requests, want fewer than 1000: the failing goroutine went on", got)
	}
}

// Do sends one request with the header, for a caller that reads the
// whole answer (the benchmark's reference page).
func TestClientDo(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	resp, err := newTestClient(t, s).Do()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || s.requests.Load() != 1 || s.noCookie.Load() != 0 {
		t.Errorf("status %d, %d requests, %d without the cookie; want 200, 1, 0", resp.StatusCode, s.requests.Load(), s.noCookie.Load())
	}
}
