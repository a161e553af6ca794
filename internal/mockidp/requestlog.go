package mockidp

import (
	"net/http"
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
	entries []loggedRequest
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

// observe records a request in the environment's request log and, in
// strict mode, checks the app's side of the protocol the way the OpenID
// conformance suite does (shared/mock-idp-scenarios.md, Strict mode).
func (s *Server) observe(r *http.Request) {
	e := loggedRequest{Time: s.now(), Method: r.Method, Path: r.URL.Path, Headers: map[string]string{}}
	for _, h := range loggedHeaders {
		if v := r.Header.Get(h); v != "" {
			e.Headers[h] = v
		}
	}
	if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		e.Headers["Authorization"] = scheme + " [redacted]"
	}
	q := r.URL.Query()
	switch r.URL.Path {
	case "/oauth/authorize":
		e.Client = q.Get("client_id")
		if s.opts.Strict {
			e.Violations = s.reqlog.strictAuthorize(q)
		}
	case "/oauth/token":
		if r.Method == http.MethodPost {
			// Parsed here so the log can name the client and grant; the
			// handler finds the form already parsed.
			r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
			r.ParseForm()
			e.Client, e.Grant = r.PostForm.Get("client_id"), r.PostForm.Get("grant_type")
			if s.opts.Strict {
				basic := strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ")
				if basic && r.PostForm.Get("client_secret") != "" {
					e.Violations = append(e.Violations, "client authenticates with both client_secret_basic and client_secret_post")
				}
			}
		}
	case "/userinfo":
		if s.opts.Strict && q.Has("access_token") {
			e.Violations = append(e.Violations, "access token in the query string (RFC 6750 §2.3: send it in Authorization)")
		}
	}
	s.reqlog.add(e)
}

func (l *requestLog) add(e loggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= maxLoggedRequests {
		l.entries = slices.Delete(l.entries, 0, len(l.entries)/2)
	}
	l.entries = append(l.entries, e)
}

// strictAuthorize checks an authorization request: state and nonce present
// with at least 128 bits and never reused, PKCE S256, openid in scope.
func (l *requestLog) strictAuthorize(q map[string][]string) []string {
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
	for _, e := range l.entries {
		for _, v := range e.Violations {
			violations = append(violations, e.Method+" "+e.Path+": "+v)
		}
	}
	return slices.Clone(l.entries), violations
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}
