package observe

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Log keeps the last requests of an environment for
// /__mock/requests?log=1, with the strict-mode violations they raised.
// Nothing secret is kept: no query values, no form values but client_id
// and grant_type, and of Authorization only the scheme.
type Log struct {
	mu      sync.Mutex
	entries []*Entry // a ring of maxEntries, oldest at next once full
	next    int
	seen    map[string]bool // state and nonce values, for strict mode's reuse check
}

// Entry is one request of the log.
type Entry struct {
	Time       time.Time         `json:"time"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Client     string            `json:"client,omitempty"`
	Grant      string            `json:"grant,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Violations []string          `json:"violations,omitempty"`
	// Status is what the mock answered (0: no answer, the connection was
	// reset or the request abandoned).
	Status int `json:"status,omitempty"`
}

const maxEntries = 1000

// loggedHeaders are the request headers worth seeing: the SDKs'
// (docs/scalekit-contract.md §15) and the browser's fetch metadata.
var loggedHeaders = []string{"User-Agent", "X-Sdk-Version", "X-Api-Version", "Sec-Fetch-Site"}

type entryKey struct{}

// Record logs a request with the violations already seen in it, and
// returns it carrying its entry, which the handler completes once it has
// parsed the request (Annotate): the log never reads a body itself, so a
// handler sees the request exactly as the client sent it.
func (l *Log) Record(r *http.Request, now time.Time, violations ...string) *http.Request {
	e := &Entry{Time: now, Method: r.Method, Path: r.URL.Path, Violations: violations}
	header := func(k, v string) {
		if e.Headers == nil {
			e.Headers = map[string]string{}
		}
		e.Headers[k] = v
	}
	for _, h := range loggedHeaders {
		if v := r.Header.Get(h); v != "" {
			header(h, v)
		}
	}
	if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		header("Authorization", scheme+" [redacted]")
	}
	l.mu.Lock()
	if len(l.entries) < maxEntries {
		l.entries = append(l.entries, e)
	} else {
		l.entries[l.next] = e
		l.next = (l.next + 1) % maxEntries
	}
	l.mu.Unlock()
	return r.WithContext(context.WithValue(r.Context(), entryKey{}, e))
}

// Annotate completes the entry of a recorded request with what its handler
// parsed, and the violations it found.
func (l *Log) Annotate(r *http.Request, client, grant string, violations []string) {
	e, _ := r.Context().Value(entryKey{}).(*Entry)
	if e == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Client, e.Grant = client, grant
	e.Violations = append(e.Violations, violations...)
}

// StrictAuthorize checks an authorization request as the OpenID
// conformance suite does: state and nonce present with at least 128 bits
// and never reused, PKCE S256, openid in scope.
func (l *Log) StrictAuthorize(q url.Values) []string {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var v []string
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil || len(l.seen) > 100000 {
		l.seen = map[string]bool{}
	}
	for _, name := range []string{"state", "nonce"} {
		val := get(name)
		switch {
		case val == "":
			v = append(v, name+" is missing")
		case len(val) < 22: // 22 base64url characters carry 128 bits
			v = append(v, name+" is shorter than 128 bits")
		case l.seen[name+"\x00"+val]:
			v = append(v, name+" was used before")
		}
		l.seen[name+"\x00"+val] = true
	}
	if get("code_challenge_method") != "S256" {
		v = append(v, "code_challenge_method is not S256")
	}
	if !slices.Contains(strings.Fields(get("scope")), "openid") {
		v = append(v, "openid is not in the scope")
	}
	return v
}

// StrictToken checks a token request's client authentication: one method
// at a time, and the app's configured one when it has one.
func StrictToken(basic, post bool, configured string) []string {
	var v []string
	if basic && post {
		v = append(v, "client authenticates with both client_secret_basic and client_secret_post")
	}
	if configured != "" {
		used := map[bool]string{true: "client_secret_basic", false: "client_secret_post"}[basic]
		if (basic || post) && used != configured {
			v = append(v, "client authenticates with "+used+", not its configured "+configured)
		}
	}
	return v
}

// Snapshot returns the log, oldest first, and every violation in it.
func (l *Log) Snapshot() ([]Entry, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var violations []string
	ordered := append(slices.Clone(l.entries[l.next:]), l.entries[:l.next]...)
	for _, e := range ordered {
		for _, v := range e.Violations {
			violations = append(violations, e.Method+" "+e.Path+": "+v)
		}
	}
	out := make([]Entry, len(ordered))
	for i, e := range ordered {
		out[i] = *e
	}
	return out, violations
}

// Reset empties the log.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.next = nil, 0
}
