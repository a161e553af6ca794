package mockidp

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/httpx"
)

// routes returns the environment's handler: every endpoint of contract §2,
// behind panic recovery and request logging.
func (s *Server) routes() http.Handler {
	return s.logRequests(recoverPanics(s.log, http.HandlerFunc(s.dispatch)))
}

// dispatch sends each request to its handler by the exact path, in one switch. A ServeMux would
// clean the path first, turning //oauth/token into a redirect (a 301
// turns the Go SDK's POST into a GET, contract §1), and its pattern tree
// costs more than serving the discovery document itself.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	r = s.observe(r) // the request log and strict mode (requestlog.go)
	var h http.HandlerFunc
	allow := "GET"
	switch path := r.URL.Path; {
	case path == "/.well-known/openid-configuration":
		s.counts.discovery.Add(1)
		h = s.handleDiscovery
	case path == s.jwksPath:
		s.counts.jwks.Add(1)
		h = s.handleKeys
	case path == "/oauth/authorize":
		s.counts.authorize.Add(1)
		h, allow = s.handleAuthorize, "GET, POST"
	case path == "/oauth/login":
		h, allow = s.handleLogin, "POST"
	case path == "/oauth/token":
		s.counts.token.Add(1)
		h, allow = s.handleToken, "" // answers other methods itself, as JSON
	case path == "/userinfo":
		s.counts.userinfo.Add(1)
		h, allow = s.handleUserinfo, "GET, POST"
	case path == "/oidc/logout", path == "/end_session": // the 2024 path
		s.counts.logout.Add(1)
		h, allow = s.handleLogout, "GET, POST"
	case path == "/":
		h = s.handleIndex
	case strings.HasPrefix(path, "//"):
		h, allow = doubleSlash, ""
	case strings.HasPrefix(path, "/__mock/") && !s.opts.child:
		s.handleControl(w, r) // exempt from the net.* modes, to stay in control
		return
	default:
		if s.serveScenario(w, r) { // the scenario's own modes apply there
			return
		}
		h, allow = http.NotFound, ""
	}
	w, finish, done := s.netFault(w, r)
	if done {
		return
	}
	defer finish()
	if allow != "" && !methodAllowed(r.Method, allow) {
		w.Header().Set("Allow", allow)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h(w, r)
}

func doubleSlash(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "404 page not found: the path starts with //, so the app's SCALEKIT_ENVIRONMENT_URL ends with a slash: remove the trailing slash", http.StatusNotFound)
}

// methodAllowed reports whether method is in allow ("GET, POST"); HEAD
// goes wherever GET does.
func methodAllowed(method, allow string) bool {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return slices.Contains(strings.Split(allow, ", "), method)
}

// recoverPanics turns a panic in a handler into a logged 500 rather than a
// dropped connection. http.ErrAbortHandler goes on to net/http, which
// drops the connection as it is meant to (the *.reset modes).
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if v != nil {
				log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error in skctl mock-idp", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests logs one line per request: method, path, status, time and
// the SDK headers of contract §15. Never the query string or a header value
// that could hold a secret: queries carry codes, state and tokens.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &httpx.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(loggedWriter{sw}, r)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.Status, "duration", time.Since(start).Round(time.Microsecond)}
		if v := r.Header.Get("X-Sdk-Version"); v != "" {
			attrs = append(attrs, "sdk", v)
		}
		s.log.Info("request", attrs...)
	})
}
