package webapp

import (
	"net/http"
	"time"
)

// routes registers every route in one place. Which routes need a session
// is decided by ServeMux on the cleaned path alone, never by the query,
// the fragment or X-Forwarded-* headers (D5).
func (a *App) routes() http.Handler { return a.routesWith(a.withSession) }

// routesWith is routes with session as the session middleware: the
// benchmark of withSession swaps it for one that sets a fixed user, so
// that the two differ by the middleware alone.
func (a *App) routesWith(session func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", session(http.HandlerFunc(a.handleHome)))
	mux.Handle("GET /dashboard", session(requireUser(a.handleDashboard)))
	mux.HandleFunc("GET /api/auth/login", a.handleLogin)
	mux.HandleFunc("GET /api/auth/callback", a.handleCallback)
	mux.HandleFunc("GET /api/auth/logout", a.handleLogout)
	mux.HandleFunc("POST /api/auth/logout", a.handleLogout)
	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.HandleFunc("GET /readyz", a.handleReadyz)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/", a.handleNotFound)
	return a.serveMetrics(a.logRequests(securityHeaders(a.cfg.EnvironmentURL, recoverPanics(a, a.sameServer(mux)))))
}

// handleHome handles GET /: "Sign in", or the signed-in user. It is also
// where the IdP sends the browser back after logout, with a state.
func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("state") {
		a.postLogoutLanding(w, r)
		return
	}
	u := UserFrom(r.Context())
	var notice string
	if u == nil {
		notice = a.signedOutNotice(w, r)
	}
	a.pages.render(w, http.StatusOK, "home", pageData{Title: "Home", User: u, Notice: notice})
}

// handleDashboard handles GET /dashboard, for signed-in users only.
func (a *App) handleDashboard(w http.ResponseWriter, r *http.Request) {
	a.pages.render(w, http.StatusOK, "dashboard", pageData{Title: "Dashboard", User: UserFrom(r.Context())})
}

func (a *App) handleNotFound(w http.ResponseWriter, r *http.Request) {
	a.fail(w, r, failure{http.StatusNotFound, "Page not found", "There is no page at this address.", &link{"/", "Go home"}}, "not found")
}

// handleHealthz handles GET /healthz: the process is up.
func handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz handles GET /readyz: ready once discovery has been fetched.
// With a shared store it says, on a second line, whether the store is
// reachable; an unreachable store leaves the app ready (200), since it
// works without it, each replica on its own.
func (a *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !a.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: the IdP's discovery document has not been fetched\n"))
		if a.shared != nil {
			w.Write([]byte(sharedReadiness(a.shared.Health())))
		}
		return
	}
	w.Write([]byte("ready\n"))
	if a.shared != nil {
		w.Write([]byte(sharedReadiness(a.shared.Health())))
	}
}

// sharedReadiness is /readyz's line about the shared store.
func sharedReadiness(h SharedHealth) string {
	switch {
	case h.Up:
		return "shared state: connected to " + h.Server + "\n"
	case h.Since.IsZero():
		return "shared state: connecting to " + h.Server + "; until then refresh and sign-out work per replica (still ready: the app works without it)\n"
	}
	return "shared state: " + h.Server + " unavailable since " + h.Since.UTC().Format(time.RFC3339) + " (" + h.Reason +
		"); refresh and sign-out work per replica until it is back (still ready: the app works without it)\n"
}
