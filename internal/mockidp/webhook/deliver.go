package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// ResponseExcerpt is how much of an answer's body an attempt keeps.
const ResponseExcerpt = 1024

// UserAgent names the mock as the sender.
const UserAgent = "skctl-mock-idp/webhooks"

// drainLimit is how much more of an answer is read, and thrown away, so
// that its connection can be reused.
const drainLimit = 64 << 10

// newClient is the deliveries' HTTP client: the default transport's
// settings (proxies from the environment, which never apply to loopback)
// and no redirects followed: an endpoint that redirects is a
// misconfiguration Scalekit would not follow either, so it is reported,
// not hidden.
func newClient() (*http.Client, *http.Transport) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// attempt POSTs a delivery once, signed now, within the policy's timeout.
// interrupted is true when the dispatcher's shutdown cut it short: such
// an attempt is not recorded, and the delivery stays due.
func (d *Dispatcher) attempt(ep Endpoint, msg Message, n int) (a Attempt, interrupted bool) {
	a = Attempt{N: n, At: d.now().UTC()}
	// A new timestamp and signature on every attempt: the SDKs refuse a
	// webhook-timestamp more than Tolerance old, and retries outlast it.
	h, err := Headers(ep.Secret, msg.ID, a.At, msg.Body)
	if err != nil { // the endpoint was checked: only a bad event ID gets here
		a.Error = "not sent: " + err.Error()
		return a, false
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(msg.Body))
	if err != nil {
		a.Error = "not sent: " + err.Error()
		return a, false
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		a.LatencyMS = ms(time.Since(start))
		if d.ctx.Err() != nil {
			return a, true
		}
		a.Error = d.describe(err)
		return a, false
	}
	defer resp.Body.Close()
	excerpt, rerr := io.ReadAll(io.LimitReader(resp.Body, ResponseExcerpt+1))
	a.LatencyMS = ms(time.Since(start))
	a.Status = resp.StatusCode
	if len(excerpt) > ResponseExcerpt {
		excerpt, a.Truncated = excerpt[:ResponseExcerpt], true
	}
	a.Response = strings.ToValidUTF8(string(excerpt), string(utf8.RuneError))
	if rerr != nil {
		// The status came in time, which is what Scalekit judges by; the
		// body that did not is noted with it.
		a.Response += " [the rest of the answer could not be read: " + d.describe(rerr) + "]"
	} else {
		io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = fmt.Sprintf("redirected to %s: redirects are not followed; register the final URL", Shown(resp.Header.Get("Location")))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		a.Error = fmt.Sprintf("answered %d %s: only a 2xx answer delivers", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return a, false
}

// describe says why an attempt got no answer, in words, without the URL
// (which url.Error would repeat, query and all).
func (d *Dispatcher) describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s: Scalekit counts it as failed", d.policy.Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens there (is the app running?)"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before an answer: " + err.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "the host name does not resolve: " + dns.Error()
	}
	return err.Error()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
