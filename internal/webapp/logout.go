package webapp

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/skctl/skctl/internal/session"
)

// handleLogout handles GET and POST /api/auth/logout: clear the session,
// then send the browser to Scalekit's end-session endpoint (G2). Another
// site must not be able to sign the user out (G1): a GET needs to come
// from this app's own pages, by Sec-Fetch-Site or Origin/Referer;
// otherwise (a typed or bookmarked URL too) it gets a confirmation page
// whose POST must be same-origin.
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
		render(w, http.StatusOK, "logout", pageData{Title: "Sign out", CSRF: token, SignedIn: a.hasSession(r)})
		return
	}
	session.Clear(w, r, logoutCookie, a.txOptions())
	t, _ := a.readSession(r)
	if t != nil {
		// Clearing the cookie ends this browser's session; revoking it
		// ends every copy of the cookie, on every replica (G3).
		a.revokeSession(r.Context(), t)
	}
	a.clearSession(w, r) // F4
	// Logins started and never finished go too: signed out means no
	// auth cookie at all (F4).
	session.ClearTransactions(w, r, txCookie, a.txOptions())
	p := a.idp.Load()
	var target *url.URL
	if p != nil && p.provider.Meta.EndSessionEndpoint != "" {
		target, _ = url.Parse(p.provider.Meta.EndSessionEndpoint)
	}
	if target == nil { // no IdP session to end: signed out here and now
		a.writeSignOut(w, r, signOut{Done: true})
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	state := randomString()
	// The landing checks that the IdP sends back the state this browser
	// was sent off with (G2).
	a.writeSignOut(w, r, signOut{State: state})
	q := url.Values{"post_logout_redirect_uri": {a.cfg.PostLogoutRedirectURI}, "state": {state}, "client_id": {a.cfg.ClientID}}
	if t != nil {
		q.Set("id_token_hint", t.ID)
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
// older ones. A request with none of them (a typed URL, or a script) is
// not trusted.
func (a *App) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "none", "cross-site", "same-site":
		// "none" is a typed or bookmarked URL, but also a link opened
		// from a mail or chat app: not the app's own page.
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

// signOutCookie carries a sign-out across the IdP's end-session endpoint:
// the state sent there, then, once the landing has matched it, that the
// landing may say "You are signed out" (G2).
const signOutCookie = "skctl_signout"

// signOut is what signOutCookie holds.
type signOut struct {
	State string `json:"s,omitempty"`
	Done  bool   `json:"d,omitempty"`
}

func (a *App) writeSignOut(w http.ResponseWriter, r *http.Request, s signOut) {
	b, _ := json.Marshal(s)
	// Best effort: without the cookie the landing shows no notice.
	if err := a.codec.Write(w, r, signOutCookie, a.txOptions(), b); err != nil {
		a.log.Warn("sign-out cookie not written", "request_id", requestID(r.Context()), "reason", safeReason(err))
	}
}

func (a *App) readSignOut(r *http.Request) (signOut, bool) {
	var s signOut
	b, err := a.codec.Read(r, signOutCookie, a.txOptions())
	return s, err == nil && json.Unmarshal(b, &s) == nil
}

// postLogoutLanding answers the IdP's redirect back after logout,
// /?state=…: the state must be the one this browser was sent off with
// (G2). A match leaves a note for the home page to say "You are signed
// out" once; either way the browser goes on to the bare URL, so the
// state does not stay in the address bar, the history or a bookmark.
func (a *App) postLogoutLanding(w http.ResponseWriter, r *http.Request) {
	s, ok := a.readSignOut(r)
	got := r.URL.Query().Get("state")
	id := requestID(r.Context())
	if ok && s.State != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.State)) == 1 {
		a.writeSignOut(w, r, signOut{Done: true})
		a.log.Info("signed out", "request_id", id, "state", "matched")
	} else {
		session.Clear(w, r, signOutCookie, a.txOptions())
		a.log.Info("post-logout landing", "request_id", id, "state", "no match")
	}
	http.Redirect(w, r, "/", http.StatusFound)
}

// signedOutNotice returns the home page's notice after a sign-out, once:
// the note is cleared as it is read.
func (a *App) signedOutNotice(w http.ResponseWriter, r *http.Request) string {
	s, ok := a.readSignOut(r)
	if !ok || !s.Done {
		return ""
	}
	session.Clear(w, r, signOutCookie, a.txOptions())
	return "You are signed out."
}
