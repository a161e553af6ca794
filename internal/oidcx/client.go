// Package oidcx extends go-oidc and x/oauth2 with what skctl needs around
// them: one outbound HTTP client with timeouts and size caps (I1, I2), a
// rate limit on forced JWKS reloads (D3), discovery through that client,
// and the sorting of IdP failures into fatal and transient.
package oidcx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// MaxResponseBytes caps every IdP response body. go-oidc reads discovery,
// JWKS and userinfo with an unbounded io.ReadAll (I2).
const MaxResponseBytes = 1 << 20

// NewHTTPClient returns the client for every call to the IdP: an overall
// timeout plus dial, TLS and response-header timeouts (I1), and bodies
// capped at MaxResponseBytes (I2). base may be nil.
func NewHTTPClient(base http.RoundTripper, timeout time.Duration) *http.Client {
	if base == nil {
		base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	return &http.Client{Timeout: timeout, Transport: &capTransport{base}}
}

// ErrResponseTooLarge is returned when an IdP response exceeds
// MaxResponseBytes.
var ErrResponseTooLarge = errors.New("oidcx: IdP response larger than 1 MiB")

type capTransport struct{ next http.RoundTripper }

func (t *capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > MaxResponseBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrResponseTooLarge)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxResponseBytes}
	return resp, nil
}

// cappedBody fails a read past the cap rather than truncating silently,
// so a huge document is an error, not a half-parsed one.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the cap from a larger one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
