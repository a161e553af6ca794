package oidcx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// ErrJWKSRateLimited is returned instead of a JWKS request beyond the
// limit: the token is then unverifiable for now, not invalid (D4).
var ErrJWKSRateLimited = errors.New("oidcx: JWKS reload rate-limited")

// RateLimitJWKS wraps a transport so that JWKS requests get a token bucket
// of five, refilled one per interval: the warm-up fetch and four forced
// reloads (rotated keys, C11; skctl conformance rotates four times in a
// row) go through at once, later reloads at most one per interval. A request that fails gives its token back (the
// Kubernetes rateLimitedRoundTripper's Reserve/Cancel), so an IdP outage
// does not starve the retries after it (D3).
//
// go-oidc reloads the key set on every unknown kid and has no limit, so
// without this a flood of forged cookies is a flood of JWKS requests.
func RateLimitJWKS(next http.RoundTripper, interval time.Duration, now func() time.Time) http.RoundTripper {
	if now == nil {
		now = time.Now
	}
	return &jwksLimiter{next: next, interval: interval, now: now, tokens: jwksBurst}
}

const jwksBurst = 5

type jwksLimiter struct {
	next     http.RoundTripper
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (l *jwksLimiter) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(jwksBurst, l.tokens+float64(now.Sub(l.last))/float64(l.interval))
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

func (l *jwksLimiter) giveBack() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(jwksBurst, l.tokens+1)
}

func (l *jwksLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if !l.take() {
		return nil, ErrJWKSRateLimited
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil || resp.StatusCode >= 500 {
		l.giveBack()
	}
	return resp, err
}

// ErrJWKSUnusable is a key set that answered 200 but holds no key: an
// outage or a misconfiguration of the IdP, not a reason to distrust the
// tokens it signed (D4).
var ErrJWKSUnusable = errors.New("oidcx: the JWKS holds no usable key")

// RequireKeys wraps a transport so that a 200 JWKS response that is not a
// JSON object with at least one key becomes an error. go-oidc then
// reports "fetching keys" (cannot verify now, 503) rather than "failed to
// verify signature" (invalid, which would end the user's session).
func RequireKeys(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
			return nil, ErrJWKSUnusable
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
