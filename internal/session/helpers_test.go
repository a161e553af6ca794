package session

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the fake clock's start; maxAge the session age tests use.
var t0 = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

const maxAge = 8 * time.Hour

// key returns a 32-byte key filled with b.
func key(b byte) []byte { return bytes.Repeat([]byte{b}, keySize) }

// clock is a fake clock tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newCodec returns a Codec on clk with the given keys (key(1) if none).
func newCodec(t testing.TB, clk *clock, keys ...[]byte) *Codec {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{key(1)}
	}
	c, err := NewCodec(keys, clk.now, maxAge)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

// counter is a deterministic nonce source that never repeats a nonce, so
// fuzz seeds encode the same way on every run.
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		c.n++
		p[i] = c.n
	}
	return len(p), nil
}

// randomBytes returns n reproducible pseudo-random bytes: incompressible,
// like the roles and permissions of a large token.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// browser is a minimal cookie jar: it applies Set-Cookie as a browser does
// (Max-Age=0 deletes) and sends back what it holds, in name order.
type browser map[string]string

func (b browser) apply(rec *httptest.ResponseRecorder) {
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(b, ck.Name)
		} else {
			b[ck.Name] = ck.Value
		}
	}
}

func (b browser) header() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(b)) {
		parts = append(parts, name+"="+b[name])
	}
	return strings.Join(parts, "; ")
}

func (b browser) request() *http.Request { return requestWith(b.header()) }

// requestWith builds a request carrying a raw Cookie header.
func requestWith(cookieHeader string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://app.example/", nil)
	if cookieHeader != "" {
		r.Header.Set("Cookie", cookieHeader)
	}
	return r
}

// setCookies returns the raw Set-Cookie lines of rec.
func setCookies(rec *httptest.ResponseRecorder) []string {
	return rec.Result().Header.Values("Set-Cookie")
}

// clearedNames returns the names rec's Set-Cookie lines expire, sorted.
func clearedNames(rec *httptest.ResponseRecorder) []string {
	var out []string
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			out = append(out, ck.Name)
		}
	}
	slices.Sort(out)
	return out
}

// flipFirst changes the first character of v to another base64url one.
func flipFirst(v string) string {
	if v[0] == 'A' {
		return "B" + v[1:]
	}
	return "A" + v[1:]
}
