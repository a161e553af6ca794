package oidcx

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// ErrJWKSRateLimited is returned instead of a JWKS request beyond the
// limit: the token is then unverifiable for now, not invalid (D4).
var ErrJWKSRateLimited = errors.New("oidcx: JWKS reload rate-limited")

// RateLimitJWKS wraps a transport so that JWKS requests get a token bucket
// of two, refilled one per interval: the warm-up fetch and the first
// forced reload (a rotated key, C11) go through at once, later reloads at
// most one per interval. A request that fails gives its token back (the
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

const jwksBurst = 2

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
