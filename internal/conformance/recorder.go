package conformance

import (
	"net/http"
	"net/url"
	"sync"
)

// recorder is a transport that keeps what a browser's pages do not: each
// answer's raw Location and Set-Cookie headers. A Location as the app
// wrote it matters for open redirects (a browser reads "/\evil" as
// another host, where Go's parser keeps the app's), and the cookie jar
// forgets a cookie's attributes (HttpOnly).
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []answer
}

// answer is one response as the recorder saw it.
type answer struct {
	method     string
	url        *url.URL
	status     int
	location   string   // the raw Location header; "" for none
	setCookies []string // the raw Set-Cookie headers
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rc.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	a := answer{method: req.Method, url: req.URL, status: resp.StatusCode, location: resp.Header.Get("Location"),
		setCookies: resp.Header.Values("Set-Cookie")}
	rc.mu.Lock()
	rc.seen = append(rc.seen, a)
	rc.mu.Unlock()
	return resp, nil
}

// answers returns what the recorder saw so far, oldest first.
func (rc *recorder) answers() []answer {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]answer(nil), rc.seen...)
}

// recordingBrowser is a fresh browser whose answers are recorded. It is
// not part of the test's evidence until the test adds it (r.browsers):
// a test that walks many sign-ins shows only the one that failed.
func (r *run) recordingBrowser() (*browser, *recorder) {
	base := r.hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rc := &recorder{base: base}
	return newBrowser(&http.Client{Transport: rc}, r.opts.UserAgent), rc
}
