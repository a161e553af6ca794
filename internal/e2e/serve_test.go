package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// TestServeSignInAndOut: the guide's whole journey. Home says "Sign in";
// login goes to Scalekit with state, nonce and PKCE; the callback sets an
// encrypted session cookie; the dashboard welcomes the user; logout clears
// the cookie and ends the IdP session; the dashboard then sends home.
func TestServeSignInAndOut(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	b := newBrowser(t)

	home := b.get(app.URL + "/")
	if home.status != 200 || !strings.Contains(home.body, "Sign in") {
		t.Fatalf("home: %d %.300s", home.status, home.body)
	}
	login := b.get(app.URL + "/api/auth/login")
	q := b.loc(login).Query()
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		t.Errorf("authorize request lacks state, nonce or S256 PKCE: %v", q)
	}
	if q.Get("redirect_uri") != app.URL+"/api/auth/callback" || q.Get("scope") != "openid profile email offline_access" || q.Get("client_id") != app1ID {
		t.Errorf("authorize request: %v", q)
	}
	second := b.get(app.URL + "/api/auth/login")
	if sq := b.loc(second).Query(); sq.Get("state") == q.Get("state") || sq.Get("nonce") == q.Get("nonce") {
		t.Errorf("two logins share a state or nonce (A1, A2)")
	}

	cb := b.signIn(app, idp, adaID, acmeOrgID)
	if cb.status != http.StatusFound || cb.location.Path != landing {
		t.Fatalf("callback: %d %v", cb.status, cb.location)
	}
	if cb.header.Get("Cache-Control") != "no-store" || cb.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("callback headers: %v (B8)", cb.header)
	}
	var sessionSet bool
	for _, c := range (&http.Response{Header: cb.header}).Cookies() {
		if c.Name == "skctl_session" && c.MaxAge > 0 {
			sessionSet = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("session cookie attributes: %+v (F1)", c)
			}
			if strings.Contains(c.Value, ".") {
				t.Errorf("session cookie looks like a plain JWT")
			}
		}
	}
	if !sessionSet {
		t.Fatalf("no session cookie after the callback")
	}

	dash := b.get(app.URL + "/dashboard")
	if dash.status != 200 || !strings.Contains(dash.body, "Welcome, Ada Lovelace") || !strings.Contains(dash.body, "Sign out") {
		t.Fatalf("dashboard: %d %.300s", dash.status, dash.body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if dash.header.Get(h) != want {
			t.Errorf("dashboard %s = %q, want %q (J3)", h, dash.header.Get(h), want)
		}
	}
	if !strings.Contains(b.get(app.URL+"/").body, "Hello, Ada Lovelace") {
		t.Errorf("home does not show the signed-in user")
	}

	out := b.get(app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
	if out.status != http.StatusFound || !strings.HasPrefix(out.location.String(), idp.URL+"/oidc/logout?") || !sessionCleared(out) {
		t.Fatalf("logout: %d %v cleared=%v", out.status, out.location, sessionCleared(out))
	}
	// The two logins started above and never finished left transaction
	// cookies behind: logout clears them too (F4).
	if left := b.cookieNames(app.URL, "skctl_tx_"); len(left) > 0 {
		t.Errorf("after logout the browser still holds %v", left)
	}
	lq := out.location.Query()
	if lq.Get("id_token_hint") == "" || lq.Get("post_logout_redirect_uri") != app.URL+"/" || lq.Get("state") == "" {
		t.Errorf("end-session request: %v (G2)", lq)
	}
	back := b.follow(out)
	if back.status != http.StatusFound || back.location.String() != app.URL+"/?state="+lq.Get("state") {
		t.Errorf("IdP logout: %d %v", back.status, back.location)
	}
	if home := b.follow(b.follow(back)); !strings.Contains(home.body, "Sign in") {
		t.Errorf("home after logout still signed in")
	}
	if dash := b.get(app.URL + "/dashboard"); !toLogin(dash, "/dashboard") {
		t.Errorf("dashboard after logout: %d %v, want a redirect to sign in", dash.status, dash.location)
	}
	// The IdP session ended too: the next login shows the page again.
	if p := b.follow(b.get(app.URL + "/api/auth/login")); p.status != 200 {
		t.Errorf("login after logout: %d, want the sign-in page", p.status)
	}
}

// TestServeLandsOnDashboard: as the README says, signing in from the
// home page's link lands on the dashboard; a signed-out visit to the
// dashboard signs in and comes back to it, query kept (H1, H2).
func TestServeLandsOnDashboard(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	home := newBrowser(t)
	if cb := home.signIn(app, idp, adaID, acmeOrgID); cb.status != http.StatusFound || cb.location.String() != app.URL+"/dashboard" {
		t.Errorf("sign-in from the home page's link: %d to %v, want the dashboard", cb.status, cb.location)
	}

	b := newBrowser(t)
	dash := b.get(app.URL + "/dashboard?tab=1")
	if dash.status != http.StatusFound || dash.location.String() != app.URL+"/api/auth/login?return_to=%2Fdashboard%3Ftab%3D1" {
		t.Fatalf("signed-out dashboard: %d to %v, want the login with return_to", dash.status, dash.location)
	}
	login := b.follow(dash)
	if login.status != http.StatusFound || !strings.HasPrefix(login.location.String(), idp.URL+"/oauth/authorize?") {
		t.Fatalf("login: %d to %v", login.status, login.location)
	}
	p := b.follow(login)
	cb := b.follow(b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "user": {adaID}, "org": {acmeOrgID}}))
	if cb.status != http.StatusFound || cb.location.String() != app.URL+"/dashboard?tab=1" {
		t.Fatalf("callback: %d to %v, want back to the dashboard", cb.status, cb.location)
	}
	if p := b.follow(cb); p.status != http.StatusOK || !strings.Contains(p.body, "Welcome, Ada Lovelace") {
		t.Errorf("the dashboard after sign-in: %d %q", p.status, pageTitle(p.body))
	}
}

// TestServeSignOutPages: the pages around sign-out say what is true. The
// confirmation page (for a logout not from the app's own pages, a typed
// URL included) shows a signed-in header; the landing after the IdP's
// logout checks the state it sent (G2), says "You are signed out" once,
// and drops the query with a redirect; signed out, the footer no longer
// says "Signed in" (G1, G2).
func TestServeSignOutPages(t *testing.T) {
	t.Parallel()
	_, _, app, b := signedInServe(t)

	const signedInHeader, signedOutHeader = `<nav><a href="/dashboard">Dashboard</a><a href="/api/auth/logout">Sign out</a></nav>`, `<nav><a href="/api/auth/login">Sign in</a></nav>`
	// A typed or bookmarked URL (Sec-Fetch-Site: none) is not the app's
	// own page: a link from a mail or chat app sends the same.
	for _, h := range [][]string{{"Sec-Fetch-Site", "none"}, {"Sec-Fetch-Site", "cross-site"}} {
		p := b.get(app.URL+"/api/auth/logout", h...)
		if p.status != http.StatusOK || !strings.Contains(p.body, "Sign out?") || sessionCleared(p) {
			t.Errorf("logout with %v: %d %q cleared=%v, want the confirmation page", h, p.status, pageTitle(p.body), sessionCleared(p))
		}
		if !strings.Contains(p.body, signedInHeader) || !strings.Contains(p.body, "Signed in with Scalekit") {
			t.Errorf("the confirmation page with %v does not show the signed-in header and footer", h)
		}
	}

	out := b.get(app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
	back := b.follow(out) // the IdP's end-session endpoint sends the browser back with the state
	if back.location == nil || back.location.Query().Get("state") != out.location.Query().Get("state") {
		t.Fatalf("the IdP's logout: %d %v", back.status, back.location)
	}
	landing := b.follow(back)
	if landing.status != http.StatusFound || landing.location.String() != app.URL+"/" {
		t.Fatalf("the post-logout landing: %d %v, want a redirect to %s/ without the query", landing.status, landing.location, app.URL)
	}
	if e := app.requestLog(t, landing, "signed out"); e["state"] != "matched" {
		t.Errorf("the landing logged state=%v, want matched", e["state"])
	}
	home := b.follow(landing)
	if !strings.Contains(home.body, "You are signed out") || !strings.Contains(home.body, signedOutHeader) || strings.Contains(home.body, "Signed in with Scalekit") {
		t.Errorf("home after sign-out: %d, notice=%v, signed-out header=%v, footer says signed in=%v", home.status,
			strings.Contains(home.body, "You are signed out"), strings.Contains(home.body, signedOutHeader), strings.Contains(home.body, "Signed in with Scalekit"))
	}
	if again := b.get(app.URL + "/"); strings.Contains(again.body, "You are signed out") {
		t.Errorf("the notice shows twice")
	}
	if left := b.cookieNames(app.URL, "skctl_"); len(left) > 0 {
		t.Errorf("after sign-out the browser holds %v", left)
	}

	// A landing with a state this browser was never sent: no notice, and
	// the query goes too.
	forged := b.get(app.URL + "/?state=forged")
	if forged.status != http.StatusFound || forged.location.String() != app.URL+"/" {
		t.Errorf("a landing with a forged state: %d %v", forged.status, forged.location)
	}
	if e := app.requestLog(t, forged, "post-logout landing"); e["state"] != "no match" {
		t.Errorf("the forged landing logged state=%v, want no match", e["state"])
	}
	if home := b.follow(forged); strings.Contains(home.body, "You are signed out") {
		t.Errorf("a forged landing shows the notice")
	}
}

// TestServeNoSignInLoop: a session that would be invalid as soon as it is
// made (an access token within the refresh margin and no refresh token) is
// refused at the callback, with its reason, rather than made and ended on
// the next page, which with the IdP's single sign-on would send the
// browser round login, callback and dashboard for ever.
func TestServeNoSignInLoop(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Apps[0].RedirectURIs = []string{appURL + "/api/auth/callback"}
	fx.Apps[0].PostLogoutRedirectURIs = []string{appURL + "/"}
	fx.Apps[0].Grants = []string{"authorization_code"} // no refresh token
	idp := startIdPOptions(t, nil, mockidp.Options{Fixtures: fx, Scenarios: []string{"at.exp_short=5s"}})
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	b := newBrowser(t)
	cb := b.signIn(app, idp, adaID, acmeOrgID)
	if cb.status != http.StatusBadGateway || !strings.Contains(cb.body, "ends at once") {
		t.Fatalf("the callback of a session that ends at once: %d %v %q", cb.status, cb.location, pageTitle(cb.body))
	}
	assertNoSessionCookie(t, cb)
	if e := app.requestLog(t, cb, "request failed"); e["reason"] != "access token expires within the refresh margin, and no refresh token" {
		t.Errorf("the refusal's logged reason: %v", e["reason"])
	}
	if n := idp.count("POST /oauth/token authorization_code"); n != 1 {
		t.Errorf("%d codes redeemed, want 1", n)
	}
}
