package servemetrics

import (
	"net/http"
	"time"
)

// IdPTransport wraps the transport of the IdP client so that every call
// is timed and counted by endpoint. endpoint names the endpoint of a
// request from the IdP's discovery document; it is the label, so the URL
// (and its query, which can carry codes) never is. A nil Metrics returns
// next itself; a nil next is http.DefaultTransport.
//
// The time is until the response headers arrive, as RoundTrip returns:
// the bodies of discovery, token and key responses are small.
func (m *Metrics) IdPTransport(next http.RoundTripper, endpoint func(*http.Request) IdPEndpoint) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return &idpTransport{next: next, m: m, endpoint: endpoint}
}

type idpTransport struct {
	next     http.RoundTripper
	m        *Metrics
	endpoint func(*http.Request) IdPEndpoint
}

func (t *idpTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	e := EndpointOther
	if t.endpoint != nil {
		e = t.endpoint(req)
	}
	s, ok := t.m.idp[e]
	if !ok {
		s = t.m.idp[EndpointOther]
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	s.duration.Observe(time.Since(start).Seconds())
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	s.calls[idpCode(status, err)].Inc()
	return resp, err
}

// CloseIdleConnections passes http.Client's call on to the transport.
func (t *idpTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
