package webapp

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/skctl/skctl/internal/session"
)

// handleLogout handles GET and POST /api/auth/logout: clear the session,
// then send the browser to Scalekit's end-session endpoint (G2). Another
// site must not be able to sign the user out (G1): a GET needs to come
// from this app's own pages, by Sec-Fetch-Site or Origin/Referer;
// otherwise it gets a confirmation page whose POST must be same-origin.
func (a *App) handleLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !a.sameOrigin(r) && !(r.Method == http.MethodPost && a.validLogoutToken(r)) {
		if r.Method == http.MethodPost {
			a.fail(w, r, failure{http.StatusForbidden, "Sign-out refused", "This sign-out request did not come from this app.", &link{"/", "Back to the app"}}, "cross-site logout POST")
			return
		}
		// The confirmation form carries a token bound to an encrypted
		// cookie: browsers that send neither Sec-Fetch-Site nor a usable
		// Origin (no-referrer makes it "null") can still sign out.
		token := randomString()
		if err := a.codec.Write(w, r, logoutCookie, a.txOptions(), []byte(token)); err != nil {
			a.fail(w, r, failure{http.StatusInternalServerError, "Sign-out failed", "Please try again.", &link{"/", "Back to the app"}}, safeReason(err))
			return
		}
		render(w, http.StatusOK, "logout", pageData{Title: "Sign out", CSRF: token})
		return
	}
	session.Clear(w, r, logoutCookie, a.txOptions())
	t, _ := a.readSession(r)
	a.clearSession(w, r) // F4
	// Logins started and never finished go too: signed out means no
	// auth cookie at all (F4).
	session.ClearTransactions(w, r, txCookie, a.txOptions())
	p := a.idp.Load()
	if p == nil || p.provider.Meta.EndSessionEndpoint == "" {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	q := url.Values{"post_logout_redirect_uri": {a.cfg.PostLogoutRedirectURI}, "state": {randomString()}, "client_id": {a.cfg.ClientID}}
	if t != nil {
		q.Set("id_token_hint", t.ID)
	}
	target, err := url.Parse(p.provider.Meta.EndSessionEndpoint)
	if err != nil {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	target.RawQuery = q.Encode()
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// logoutCookie holds the confirmation page's token (G1).
const logoutCookie = "skctl_logout"

// validLogoutToken reports whether a POST carries the token of the
// confirmation page this browser was shown.
func (a *App) validLogoutToken(r *http.Request) bool {
	want, err := a.codec.Read(r, logoutCookie, a.txOptions())
	got := r.PostFormValue("csrf")
	return err == nil && got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1
}

// sameOrigin reports whether a request comes from this app's own pages.
// Sec-Fetch-Site is set by every current browser; Origin and Referer cover
// older ones. A request with none of them (a typed URL in an old browser,
// or a script) is not trusted.
func (a *App) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "cross-site", "same-site":
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		return o == a.origin
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host != "" {
		return ref.Scheme+"://"+ref.Host == a.origin
	}
	return false
}
