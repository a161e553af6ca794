package webapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/httpx"
)

type requestIDKey struct{}

// requestState is what logRequests keeps for one request, in one
// allocation: the status recorder, the ID, and the X-Request-Id header's
// value. The context holds a pointer to it, which, unlike the ID string,
// goes into an interface without an allocation of its own.
type requestState struct {
	rec    httpx.StatusRecorder
	id     string
	header [1]string
}

// requestID returns the request's correlation ID, shown on error pages
// and in every log line of the request (J1).
func requestID(ctx context.Context) string {
	if s, ok := ctx.Value(requestIDKey{}).(*requestState); ok {
		return s.id
	}
	return ""
}

// logRequests gives each request an ID (X-Request-ID) and logs one line:
// method, path, status, duration. Never the query, which carries codes
// and state, nor any header (J2).
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		s := &requestState{rec: httpx.StatusRecorder{ResponseWriter: w}, id: hex.EncodeToString(b[:])}
		// Assigned, not Set: Set would build the canonical name,
		// X-Request-Id, anew on every request. Full (cap 1), so that an
		// Add copies.
		s.header[0] = s.id
		w.Header()["X-Request-Id"] = s.header[:1:1]
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, s))
		start := time.Now()
		next.ServeHTTP(&s.rec, r)
		// r.Pattern is the route the mux matched (it sets it on this
		// request): the metrics' label, never the path. Counted before
		// the log line, which tests wait on.
		a.metrics.Request(r.Pattern, s.rec.Status, time.Since(start))
		a.logRequest(s.id, r, s.rec.Status, start)
	})
}

// logRequest writes the request's line, the one a.log.Info("request",
// "request_id", id, "method", …, "path", …, "status", …, "duration", …)
// writes, for less: the record is handed to the handler directly with
// typed attributes, so nothing is boxed into an interface and no caller
// PC is looked up (runtime.Callers), which slog does for every line even
// when no handler prints the source, as none of serve's does. Once the
// dashboard came from the page cache, Logger.Info was a third of the
// app's own time on it.
func (a *App) logRequest(id string, r *http.Request, status int, start time.Time) {
	ctx := context.Background() // what Logger.Info passes
	h := a.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	end := time.Now()
	line := slog.NewRecord(end, slog.LevelInfo, "request", 0)
	line.AddAttrs(
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", end.Sub(start).Round(time.Microsecond)),
	)
	_ = h.Handle(ctx, line) // Logger.Info ignores the error too
}

// securityHeaders sets what every page needs: no caching of pages that
// show a user, no framing, no referrer, and a policy that loads nothing
// from elsewhere (B8, J3).
// Forms may post to the app and be redirected on to the IdP (the logout
// confirmation), so form-action names the IdP's origin too.
func securityHeaders(idpOrigin string, next http.Handler) http.Handler {
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' " + idpOrigin + "; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What five h.Set calls do, in one allocation rather than five:
		// the names are already canonical, and each value gets its own
		// one-element slice of one array, full (cap 1), so that a later
		// Add to one header copies rather than writes into the next.
		v := &[5]string{"no-store", "no-referrer", "DENY", "nosniff", csp}
		h := w.Header()
		h["Cache-Control"] = v[0:1:1]
		h["Referrer-Policy"] = v[1:2:2]
		h["X-Frame-Options"] = v[2:3:3]
		h["X-Content-Type-Options"] = v[3:4:4]
		h["Content-Security-Policy"] = v[4:5:5]
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a logged error page with the request
// ID rather than a dropped connection.
func recoverPanics(a *App, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				a.log.Error("handler panicked", "request_id", requestID(r.Context()), "path", r.URL.Path, "panic", v)
				a.fail(w, r, failure{http.StatusInternalServerError, "Something went wrong", "This is a bug in the app. Tell its operators the reference below.", &link{"/", "Go home"}}, "panic")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// sameServer sends a browser that reached the app on another loopback
// name of the same port (http://127.0.0.1:4321 when the redirect URI says
// http://localhost:4321, as skctl dev's does) to the redirect URI's
// origin, path and query kept. Otherwise the login's transaction cookie
// would be set on the name the browser used, and the IdP sends it back to
// the other one, which has no such cookie: "Sign-in expired".
//
// Only loopback names on the redirect URI's port are redirected: those
// are certainly this server. Any other Host may be a proxy's, and one that
// rewrites Host (nginx's default) would be sent round in a loop; the
// redirect URI, not the Host header, still decides where the IdP sends
// the browser (A6). Probes answer on any name, and only page requests
// (GET, HEAD) move.
func (a *App) sameServer(next http.Handler) http.Handler {
	if !isLoopbackName(a.host) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			host, port, err := net.SplitHostPort(r.Host)
			if err != nil {
				host, port = r.Host, ""
			}
			if port == "" {
				port = portOf("", "http") // serve itself speaks plain http
			}
			host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
			// The target is built from the path alone: an opaque request
			// target ("x:@evil.example/") would put the origin in a userinfo.
			path := r.URL.EscapedPath()
			if port == a.port && !strings.EqualFold(host, a.host) && isLoopbackName(host) && r.URL.Opaque == "" && strings.HasPrefix(path, "/") {
				target := a.origin + path
				if r.URL.RawQuery != "" {
					target += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, target, http.StatusFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackName reports whether host names this machine: localhost or a
// loopback address.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// portOf is a URL's port, the scheme's default when it names none.
func portOf(port, scheme string) string {
	switch {
	case port != "":
		return port
	case scheme == "https":
		return "443"
	}
	return "80"
}
