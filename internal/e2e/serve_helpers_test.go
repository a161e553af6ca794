package e2e_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var handleRE = regexp.MustCompile(`name="handle" value="([^"]+)"`)

// signIn walks the whole sign-in from the app's login link: the redirect
// to the mock, its page (a user is picked) unless the IdP session makes it
// skip the page, and the callback. It returns the callback's answer.
func (b *browser) signIn(app *appUnderTest, idp *testIdP, user, org string) page {
	b.t.Helper()
	login := b.get(app.URL + "/api/auth/login")
	if login.status != http.StatusFound || !strings.HasPrefix(login.location.String(), idp.URL+"/oauth/authorize?") {
		b.t.Fatalf("login: %d %v %.300s", login.status, login.location, login.body)
	}
	p := b.follow(login)
	if p.status == http.StatusOK {
		p = b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(p)}, "user": {user}, "org": {org}})
	}
	if p.location == nil || !strings.HasPrefix(p.location.String(), app.URL+"/api/auth/callback?") {
		b.t.Fatalf("IdP did not redirect to the callback: %d %v %.300s", p.status, p.location, p.body)
	}
	return b.follow(p)
}

// assertNoSession checks that a response set no session cookie.
func assertNoSessionCookie(t *testing.T, p page) {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if strings.HasPrefix(c.Name, "skctl_session") && c.MaxAge >= 0 && c.Value != "" {
			t.Errorf("a session cookie was set: %s", c.Name)
		}
	}
}

// sessionCleared reports whether the response expires the session cookie.
func sessionCleared(p page) bool {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "skctl_session" && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// neverServerError checks the J1 rule on a page: never a 500, never a raw
// library error.
func neverServerError(t *testing.T, p page) {
	t.Helper()
	if p.status == http.StatusInternalServerError {
		t.Errorf("500: %.300s", p.body)
	}
	for _, leak := range []string{"oauth2:", "oidc:", "goroutine ", "panic"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("page shows %q: %.300s", leak, p.body)
		}
	}
}

// cookieNames returns the names of the jar's cookies for u that start with
// prefix.
func (b *browser) cookieNames(u, prefix string) []string {
	var names []string
	for _, c := range b.jar.Cookies(mustURL(u)) {
		if strings.HasPrefix(c.Name, prefix) {
			names = append(names, c.Name)
		}
	}
	return names
}

// landing is where a sign-in without a return_to lands: the dashboard,
// as the README says.
const landing = "/dashboard"

// toLogin reports whether p sends a signed-out browser to sign in and
// back to returnTo.
func toLogin(p page, returnTo string) bool {
	return p.status == http.StatusFound && p.location != nil && p.location.Path == "/api/auth/login" &&
		p.location.Query().Get("return_to") == returnTo
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
