package webapp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
)

// cacheTestClock is a clock tests move by hand.
type cacheTestClock struct{ offset atomic.Int64 }

func (c *cacheTestClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *cacheTestClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// newCacheTestApp builds an App that has not done discovery: enough for the
// cookie handling.
func newCacheTestApp(t *testing.T, clk *cacheTestClock) *App {
	t.Helper()
	a, err := New(Options{
		Config: &config.Config{
			EnvironmentURL: "http://127.0.0.1:1", ClientID: "skc_1", ClientSecret: "secret",
			RedirectURI: "http://127.0.0.1:2/api/auth/callback",
			CookieKeys:  [][]byte{[]byte(strings.Repeat("k", 32))},
		},
		Now: clk.now, SessionMaxAge: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// cacheTestRequest writes t as a session cookie and returns a request that
// carries it (with extra cookies appended).
func cacheTestRequest(t *testing.T, a *App, tk *tokens, extra string) *http.Request {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := a.writeSession(rec, nil, tk); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
	r.Header.Set("Cookie", strings.Join(parts, "; "))
	return r
}

// TestSessionCache: a memoized read returns what a full read does, and
// stops as soon as the cookie has outlived the session's maximum age, as
// the full read does.
func TestSessionCache(t *testing.T) {
	clk := &cacheTestClock{}
	a := newCacheTestApp(t, clk)
	want := tokens{Access: "a.b.c", Refresh: "r", ID: "i.d.t"}
	r := cacheTestRequest(t, a, &want, "")

	for i := range 3 {
		got, err := a.readSession(r)
		if err != nil || got == nil {
			t.Fatalf("read %d: %+v, %v", i, got, err)
		}
		g := *got
		g.verified = nil // the cache's slot for the verified user
		if g != want {
			t.Fatalf("read %d: %+v, want %+v", i, g, want)
		}
	}
	if len(a.sessions.m) != 1 {
		t.Fatalf("cache holds %d entries, want 1", len(a.sessions.m))
	}

	clk.advance(time.Hour + time.Second)
	if got, err := a.readSession(r); err == nil || got != nil {
		t.Fatalf("after the maximum age: %+v, %v; want an error", got, err)
	}
	if len(a.sessions.m) != 0 {
		t.Fatalf("a stale entry stayed in the cache")
	}
}

// TestSessionCacheOnlySuccesses: no session, an undecryptable cookie and
// several Cookie lines are never memoized.
func TestSessionCacheOnlySuccesses(t *testing.T) {
	a := newCacheTestApp(t, &cacheTestClock{})
	good := cacheTestRequest(t, a, &tokens{Access: "a.b.c", ID: "i.d.t"}, "")

	none := httptest.NewRequest(http.MethodGet, "/", nil)
	none.Header.Set("Cookie", "other=1")
	bad := httptest.NewRequest(http.MethodGet, "/", nil)
	bad.Header.Set("Cookie", "skctl_session=AAAA")
	split := httptest.NewRequest(http.MethodGet, "/", nil)
	split.Header["Cookie"] = []string{good.Header.Get("Cookie"), "other=1"}

	if got, err := a.readSession(none); got != nil || err != nil {
		t.Errorf("no session: %+v, %v", got, err)
	}
	if got, err := a.readSession(bad); got != nil || err == nil {
		t.Errorf("bad cookie: %+v, %v", got, err)
	}
	if got, err := a.readSession(split); got == nil || err != nil {
		t.Errorf("two Cookie lines: %+v, %v", got, err)
	}
	if n := len(a.sessions.m); n != 0 {
		t.Fatalf("cache holds %d entries, want 0", n)
	}
}

// TestSessionCacheBound: junk cookies next to a valid session make new
// keys; the cache starts over rather than grow past its bounds.
func TestSessionCacheBound(t *testing.T) {
	a := newCacheTestApp(t, &cacheTestClock{})
	tk := &tokens{Access: "a.b.c", ID: "i.d.t"}
	base := cacheTestRequest(t, a, tk, "").Header.Get("Cookie")
	pad := strings.Repeat("x", 3000)
	for i := range maxCachedTokens + 10 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", base+"; junk="+pad+strings.Repeat("y", i%50)+time.Duration(i).String())
		if got, err := a.readSession(r); got == nil || err != nil {
			t.Fatalf("read %d: %+v, %v", i, got, err)
		}
		if len(a.sessions.m) > maxCachedTokens || a.sessions.bytes > maxSessionCacheBytes {
			t.Fatalf("after %d reads: %d entries, %d bytes", i, len(a.sessions.m), a.sessions.bytes)
		}
	}
}
