package mockidp

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// requestLog keeps the last requests of an environment for
// /__mock/requests?log=1, with the strict-mode violations they raised.
// Nothing secret is kept: no query values, no form values but client_id
// and grant_type, and of Authorization only the scheme.
type requestLog struct {
	mu      sync.Mutex
	entries []*loggedRequest // a ring of maxLoggedRequests, oldest at next once full
	next    int
	seen    map[string]bool // state and nonce values, for strict mode's reuse check
}

// loggedRequest is one entry of the request log.
type loggedRequest struct {
	Time       time.Time         `json:"time"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Client     string            `json:"client,omitempty"`
	Grant      string            `json:"grant,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Violations []string          `json:"violations,omitempty"`
}

const maxLoggedRequests = 1000

// loggedHeaders are the request headers worth seeing: the SDKs' (contract
// §15) and the browser's fetch metadata.
var loggedHeaders = []string{"User-Agent", "X-Sdk-Version", "X-Api-Version", "Sec-Fetch-Site"}

type logEntryKey struct{}

// observe records a request in the environment's request log and returns
// it carrying its entry, which the handlers complete once they have parsed
// the request (annotate): the log never reads a body itself, so a handler
// sees the request exactly as the client sent it.
func (s *Server) observe(r *http.Request) *http.Request {
	if r.Method == http.MethodGet && (r.URL.Path == "/.well-known/openid-configuration" || r.URL.Path == s.jwksPath) {
		return r // counted (counters), not logged: apps fetch these constantly
	}
	e := &loggedRequest{Time: s.now(), Method: r.Method, Path: r.URL.Path}
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
	if s.opts.Strict && r.URL.Path == "/userinfo" && r.URL.Query().Has("access_token") {
		e.Violations = append(e.Violations, "access token in the query string (RFC 6750 §2.3: send it in Authorization)")
	}
	s.reqlog.add(e)
	if r.URL.Path != "/oauth/authorize" && r.URL.Path != "/oauth/token" {
		return r // only these handlers complete their entry
	}
	return r.WithContext(context.WithValue(r.Context(), logEntryKey{}, e))
}

// annotateAuthorize completes the log entry of a parsed authorization
// request, and checks it in strict mode.
func (s *Server) annotateAuthorize(r *http.Request) {
	e, _ := r.Context().Value(logEntryKey{}).(*loggedRequest)
	if e == nil {
		return
	}
	var v []string
	if s.opts.Strict {
		v = s.reqlog.strictAuthorize(r.Form)
		if app := s.dir.clients[r.Form.Get("client_id")]; app != nil && !slices.Contains(app.RedirectURIs, r.Form.Get("redirect_uri")) {
			v = append(v, "redirect_uri does not match a registered URI exactly")
		}
	}
	s.reqlog.mu.Lock()
	defer s.reqlog.mu.Unlock()
	e.Client = r.Form.Get("client_id")
	e.Violations = append(e.Violations, v...)
}

// annotateToken completes the log entry of a parsed token request, and
// checks its client authentication in strict mode.
func (s *Server) annotateToken(r *http.Request) {
	e, _ := r.Context().Value(logEntryKey{}).(*loggedRequest)
	if e == nil {
		return
	}
	s.reqlog.mu.Lock()
	defer s.reqlog.mu.Unlock()
	e.Client, e.Grant = r.PostForm.Get("client_id"), r.PostForm.Get("grant_type")
	basic := strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ")
	post := r.PostForm.Get("client_secret") != ""
	if !s.opts.Strict {
		return
	}
	if basic && post {
		e.Violations = append(e.Violations, "client authenticates with both client_secret_basic and client_secret_post")
	}
	if app := s.dir.clients[e.Client]; app != nil && app.TokenAuthMethod != "" {
		used := map[bool]string{true: "client_secret_basic", false: "client_secret_post"}[basic]
		if (basic || post) && used != app.TokenAuthMethod {
			e.Violations = append(e.Violations, "client authenticates with "+used+", not its configured "+app.TokenAuthMethod)
		}
	}
}

func (l *requestLog) add(e *loggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) < maxLoggedRequests {
		l.entries = append(l.entries, e)
		return
	}
	l.entries[l.next] = e
	l.next = (l.next + 1) % maxLoggedRequests
}

// strictAuthorize checks an authorization request: state and nonce present
// with at least 128 bits and never reused, PKCE S256, openid in scope.
func (l *requestLog) strictAuthorize(q url.Values) []string {
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

// snapshot returns the log and every violation in it.
func (l *requestLog) snapshot() ([]loggedRequest, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var violations []string
	ordered := append(slices.Clone(l.entries[l.next:]), l.entries[:l.next]...)
	for _, e := range ordered {
		for _, v := range e.Violations {
			violations = append(violations, e.Method+" "+e.Path+": "+v)
		}
	}
	out := make([]loggedRequest, len(ordered))
	for i, e := range ordered {
		out[i] = *e
	}
	return out, violations
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.next = nil, 0
}
