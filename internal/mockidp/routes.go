package mockidp

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// routes registers every endpoint of contract §2 in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /keys", s.handleKeys)
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/login", s.handleLogin)
	mux.HandleFunc("/oauth/token", s.handleToken) // other methods: 405 as JSON
	mux.HandleFunc("GET /userinfo", s.handleUserinfo)
	mux.HandleFunc("POST /userinfo", s.handleUserinfo)
	mux.HandleFunc("GET /oidc/logout", s.handleLogout)
	mux.HandleFunc("POST /oidc/logout", s.handleLogout)
	mux.HandleFunc("GET /end_session", s.handleLogout) // the 2024 path
	mux.HandleFunc("GET /{$}", s.handleIndex)
	return s.logRequests(recoverPanics(s.log, rejectDoubleSlash(mux)))
}

// rejectDoubleSlash answers //oauth/… with a 404 that names the mistake.
// ServeMux would redirect to the clean path, and a 301 turns the Go SDK's
// POST into a GET (contract §1).
func rejectDoubleSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "//") {
			http.Error(w, "404 page not found: the path starts with //, so the app's SCALEKIT_ENVIRONMENT_URL ends with a slash: remove the trailing slash", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic in a handler into a logged 500 rather than a
// dropped connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error in skctl mock-idp", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
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
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start).Round(time.Microsecond)}
		if v := r.Header.Get("X-Sdk-Version"); v != "" {
			attrs = append(attrs, "sdk", v)
		}
		s.log.Info("request", attrs...)
	})
}
