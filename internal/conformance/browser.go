package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// maxBody bounds what the runner reads of any answer.
const maxBody = 2 << 20

// browser is one test's browser: a fresh cookie jar, redirects followed
// one hop at a time by the test itself, and the fetch metadata a real
// browser sends with a navigation, so that an app that checks
// Sec-Fetch-Site (as a CSRF defence) sees what it would see.
type browser struct {
	hc   *http.Client
	jar  *cookiejar.Jar
	ua   string
	hops []hop // every request, for the evidence
}

// page is one answer.
type page struct {
	method   string
	url      *url.URL
	status   int // 0: no answer (err)
	location *url.URL
	header   http.Header
	body     string
	err      error
}

// hop is one request as the evidence shows it.
type hop struct {
	method, url string
	status      int
	location    string
	err         string
}

func newBrowser(base *http.Client, ua string) *browser {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{
		Transport:     base.Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &browser{hc: hc, jar: jar, ua: ua}
}

// navigate asks for u as a browser navigation coming from the page at
// from ("" for an address typed in).
func (b *browser) navigate(ctx context.Context, u, from string) page {
	return b.do(ctx, http.MethodGet, u, from, nil)
}

// submit posts a form, as a browser submitting a page of from's origin.
func (b *browser) submit(ctx context.Context, u, from string, form url.Values) page {
	return b.do(ctx, http.MethodPost, u, from, form)
}

// follow asks for p's Location, from p's page.
func (b *browser) follow(ctx context.Context, p page) page {
	if p.location == nil {
		return page{method: http.MethodGet, url: p.url, err: errors.New("no redirect to follow")}
	}
	return b.navigate(ctx, p.location.String(), p.url.String())
}

func (b *browser) do(ctx context.Context, method, u, from string, form url.Values) page {
	p := page{method: method}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		p.err = err
		p.url, _ = url.Parse(u)
		b.record(p)
		return p
	}
	p.url = req.URL
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Sec-Fetch-Site", fetchSite(from, req.URL))
	if from != "" && method == http.MethodPost {
		if f, err := url.Parse(from); err == nil {
			req.Header.Set("Origin", f.Scheme+"://"+f.Host)
		}
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		p.err = err
		b.record(p)
		return p
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	p.status, p.header, p.body = resp.StatusCode, resp.Header, string(raw)
	if err != nil {
		p.err = fmt.Errorf("reading the answer: %w", err)
	}
	if loc, lerr := resp.Location(); lerr == nil && resp.StatusCode/100 == 3 {
		p.location = loc
	}
	b.record(p)
	return p
}

func (b *browser) record(p page) {
	h := hop{method: p.method, status: p.status}
	if p.url != nil {
		h.url = shortURL(p.url)
	}
	if p.location != nil {
		h.location = shortURL(p.location)
	}
	if p.err != nil {
		h.err = describeErr(p.err)
	}
	b.hops = append(b.hops, h)
}

// fetchSite is the Sec-Fetch-Site a browser sends for a navigation from
// the page at from to u: none for a typed address, else same-origin,
// same-site (same host, another port counts as same-site only by scheme
// and registrable domain, simplified here to the host) or cross-site.
func fetchSite(from string, u *url.URL) string {
	if from == "" {
		return "none"
	}
	f, err := url.Parse(from)
	switch {
	case err != nil:
		return "cross-site"
	case f.Scheme == u.Scheme && f.Host == u.Host:
		return "same-origin"
	case f.Scheme == u.Scheme && f.Hostname() == u.Hostname():
		return "same-site"
	}
	return "cross-site"
}

// String is a hop as one line of evidence.
func (h hop) String() string {
	s := h.method + " " + h.url + " → "
	switch {
	case h.err != "":
		s += h.err
	case h.location != "":
		s += fmt.Sprintf("%d, Location %s", h.status, h.location)
	default:
		s += fmt.Sprint(h.status)
	}
	return s
}

// describeErr says in words why a request got no answer.
func describeErr(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the test's timeout"
	case errors.Is(err, context.Canceled):
		return "stopped: the run was interrupted"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "no answer: " + err.Error()
}

// secretParam reports whether the evidence hides a query parameter's
// value: codes, states, nonces and tokens are credentials, or lead to
// them.
func secretParam(name string) bool {
	switch name {
	case "code", "state", "nonce", "code_challenge", "code_verifier", "id_token_hint", "id_token",
		"access_token", "refresh_token", "token", "client_secret", "session_state", "link_token":
		return true
	}
	return false
}

// redactURL is u with the values of secret parameters replaced by "…",
// and its user info and fragment hidden whole: an implicit-flow app puts
// tokens in the fragment, and a URL's password is a password. The raw
// query is split on both separators, "&" and ";", whether or not it
// parses, so that a pair the parser drops is hidden too.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("…")
	}
	if c.Fragment != "" || c.RawFragment != "" {
		c.Fragment, c.RawFragment = "…", ""
	}
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	return c.String()
}

// redactQuery hides the values of the secret parameters of a raw query.
func redactQuery(raw string) string {
	var out strings.Builder
	start := 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && raw[i] != '&' && raw[i] != ';' {
			continue
		}
		pair := raw[start:i]
		k, _, hasValue := strings.Cut(pair, "=")
		if name, err := url.QueryUnescape(k); hasValue && (err != nil || secretParam(name)) {
			pair = k + "=…"
		}
		out.WriteString(pair)
		if i < len(raw) {
			out.WriteByte(raw[i])
		}
		start = i + 1
	}
	return out.String()
}

// maxEvidenceURL bounds a URL in the evidence: the authorization
// request's query alone runs to hundreds of characters.
const maxEvidenceURL = 160

// shortURL is u redacted, and clipped on a character boundary.
func shortURL(u *url.URL) string { return clip(redactURL(u), maxEvidenceURL) }
