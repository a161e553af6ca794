package webapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/skctl/skctl/internal/httpx"
)

type requestIDKey struct{}

// requestID returns the request's correlation ID, shown on error pages
// and in every log line of the request (J1).
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// logRequests gives each request an ID (X-Request-ID) and logs one line:
// method, path, status, duration. Never the query, which carries codes
// and state, nor any header (J2).
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-ID", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		start := time.Now()
		rec := &httpx.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		a.log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.Status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// securityHeaders sets what every page needs: no caching of pages that
// show a user, no framing, no referrer, and a policy that loads nothing
// from elsewhere (B8, J3).
// Forms may post to the app and be redirected on to the IdP (the logout
// confirmation), so form-action names the IdP's origin too.
func securityHeaders(idpOrigin string, next http.Handler) http.Handler {
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' " + idpOrigin + "; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
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
