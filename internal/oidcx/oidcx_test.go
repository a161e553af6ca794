package oidcx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestResponseCap: a body over 1 MiB is an error, not a truncation (I2).
func TestResponseCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := MaxResponseBytes
		if r.URL.Path == "/huge" {
			n++
		}
		if r.URL.Query().Has("declared") {
			w.Header().Set("Content-Length", "99999999")
			w.WriteHeader(200)
			return
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	defer srv.Close()
	c := NewHTTPClient(nil, 5*time.Second)
	read := func(path string) error {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := read("/exact"); err != nil {
		t.Errorf("a body of exactly the cap: %v", err)
	}
	if err := read("/huge"); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("a body over the cap: %v", err)
	}
	if err := read("/x?declared"); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("a declared length over the cap: %v", err)
	}
}

// TestJWKSRateLimit: two requests at once, then one per interval; failed
// requests give their token back (D3).
func TestJWKSRateLimit(t *testing.T) {
	var calls, fail atomic.Int32
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		if fail.Load() == 1 {
			return nil, errors.New("connection refused")
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	now := time.Unix(1000, 0)
	rt := RateLimitJWKS(next, 30*time.Second, func() time.Time { return now })
	get := func() error {
		req, _ := http.NewRequest(http.MethodGet, "http://idp/keys", nil)
		_, err := rt.RoundTrip(req)
		return err
	}
	for range jwksBurst {
		if err := get(); err != nil {
			t.Fatalf("the burst of %d was refused: %v", jwksBurst, err)
		}
	}
	if err := get(); !errors.Is(err, ErrJWKSRateLimited) {
		t.Fatalf("request %d at once: %v, want rate-limited", jwksBurst+1, err)
	}
	now = now.Add(30 * time.Second)
	fail.Store(1)
	for range 3 { // failures do not use up the budget
		if err := get(); err == nil || errors.Is(err, ErrJWKSRateLimited) {
			t.Fatalf("a failing request: %v", err)
		}
	}
	fail.Store(0)
	if err := get(); err != nil {
		t.Errorf("after failures: %v, want the token still there", err)
	}
	if err := get(); !errors.Is(err, ErrJWKSRateLimited) {
		t.Errorf("second request in the interval: %v", err)
	}
	if calls.Load() != jwksBurst+4 {
		t.Errorf("%d requests reached the IdP, want %d", calls.Load(), jwksBurst+4)
	}
}

// TestRequireKeys: an empty or malformed key set is an error, so the
// token is "cannot verify now", not invalid (D4).
func TestRequireKeys(t *testing.T) {
	for body, wantErr := range map[string]bool{`{"keys":[]}`: true, `{"keys":`: true, `[]`: true, `{"keys":[{"kty":"RSA"}]}`: false} {
		rt := RequireKeys(roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}, nil
		}))
		req, _ := http.NewRequest(http.MethodGet, "http://idp/keys", nil)
		resp, err := rt.RoundTrip(req)
		if wantErr != errors.Is(err, ErrJWKSUnusable) {
			t.Errorf("%s: %v", body, err)
		}
		if err == nil {
			got, _ := io.ReadAll(resp.Body)
			if string(got) != body {
				t.Errorf("body %q, want %q", got, body)
			}
		}
	}
}
