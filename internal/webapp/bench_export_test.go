package webapp

import (
	"net/http"
	"net/http/httptest"
)

// This file exports, to the tests of package webapp_test only, what the
// benchmark of the session middleware needs to compare the app with and
// without it. Nothing here is compiled into the product.

// HandlerWithUser returns the app's handler (metrics, request IDs and the
// request log, security headers, panic recovery, the same-server
// redirect, every route, requireUser and the pages) with withSession
// replaced by a wrapper that puts u in the request context: GET
// /dashboard served exactly as Handler serves it, minus the session
// middleware.
func (a *App) HandlerWithUser(u *User) http.Handler {
	fixed := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(withUser(r.Context(), u)))
		})
	}
	return a.routesWith(fixed)
}

// SessionUser returns the user withSession finds in r's session cookie, or
// nil when it finds none.
func (a *App) SessionUser(r *http.Request) *User {
	var u *User
	a.withSession(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		u = UserFrom(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), r)
	return u
}
