package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// sessionCookieTest signs in, then looks at every cookie the app left in
// the browser: none may hold the mock's tokens in readable form, and the
// cookies the session needs (those without which the protected path
// signs the user out) must be HttpOnly.
func (r *run) sessionCookieTest(ctx context.Context) verdict {
	b, rec := r.recordingBrowser()
	r.browsers = append(r.browsers, b)
	if j := r.signIn(ctx, b, signInOptions{}); j.outcome != SignedIn {
		return failed(r.test.Fix, "the sign-in was %s: %s", j.outcome, j.why)
	}
	// The cookies the protected path is sent: the session's are among them.
	app, _ := url.Parse(r.app(r.opts.ProtectedPath))
	cookies := b.jar.Cookies(app)
	var names []string
	for _, c := range cookies {
		names = append(names, c.Name)
	}
	r.note("after the sign-in the browser holds the app's cookies %s", strings.Join(names, ", "))
	// Every cookie the app set, on any path (one scoped to /api/auth is
	// not sent to the protected path, but is in the browser all the same).
	var readable []string
	seen := map[string]bool{}
	for _, c := range slices.Concat(cookies, r.appSetCookies(rec)) {
		for _, t := range cookieTokens(c.Value, r.opts.IdPURL) {
			line := fmt.Sprintf("%s holds the %s %s", c.Name, t.kind, t.how)
			if !seen[line] {
				seen[line] = true
				readable = append(readable, line)
			}
		}
	}
	if len(readable) > 0 {
		return failed(r.test.Fix, "the app keeps the mock's tokens in the browser, readable by anyone who gets the cookie (a script, a log, a shared machine): %s", strings.Join(readable, "; "))
	}
	session := r.sessionCookies(ctx, app, cookies)
	if len(session) == 0 {
		return passed("no cookie holds a token in readable form (the protected path signed in without any single one of the %d cookies, so none was checked for HttpOnly)", len(cookies))
	}
	httpOnly := r.httpOnlyCookies(rec)
	var lacking []string
	for _, name := range session {
		if !httpOnly[name] {
			lacking = append(lacking, name)
		}
	}
	if len(lacking) > 0 {
		return failed(r.test.Fix, "the session cookie %s is not HttpOnly: a script on any of the app's pages (an XSS) can read it and take the session elsewhere", strings.Join(lacking, ", "))
	}
	return passed("no cookie holds a token in readable form; the session's cookie %s is HttpOnly", strings.Join(session, ", "))
}

// sessionCookies returns the names of the cookies the session needs:
// for each, a browser holding all the others asks the protected path,
// and is not signed in.
func (r *run) sessionCookies(ctx context.Context, app *url.URL, cookies []*http.Cookie) []string {
	var session []string
	for i, c := range cookies {
		probe := newBrowser(r.hc, r.opts.UserAgent)
		probe.jar.SetCookies(app, slices.Delete(slices.Clone(cookies), i, i+1))
		if !r.signedIn(r.askProtected(ctx, probe)) {
			session = append(session, c.Name)
		}
	}
	if len(session) > 0 {
		r.note("without any one of %s the protected path signs the user out", strings.Join(session, ", "))
	}
	return session
}

// appSetCookies returns every cookie the app's answers set, with a
// value, whatever its path.
func (r *run) appSetCookies(rec *recorder) []*http.Cookie {
	var out []*http.Cookie
	for _, a := range rec.answers() {
		if !r.onApp(a.url) {
			continue
		}
		for _, line := range a.setCookies {
			if c, err := http.ParseSetCookie(line); err == nil && c.Value != "" && c.MaxAge >= 0 {
				out = append(out, c)
			}
		}
	}
	return out
}

// httpOnlyCookies returns, for each cookie the app set, whether its last
// Set-Cookie carried HttpOnly: the cookie jar forgets attributes.
func (r *run) httpOnlyCookies(rec *recorder) map[string]bool {
	out := map[string]bool{}
	for _, a := range rec.answers() {
		if !r.onApp(a.url) {
			continue
		}
		for _, line := range a.setCookies {
			if c, err := http.ParseSetCookie(line); err == nil {
				out[c.Name] = c.HttpOnly
			}
		}
	}
	return out
}
