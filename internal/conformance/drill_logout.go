package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// endSessionPaths are where the mock answers RP-initiated logout: the
// path its discovery advertises, and the older one.
func endSessionPaths() []string { return []string{"/oidc/logout", "/end_session"} }

// logoutTest signs in, starts the app's logout from one of its pages,
// follows the app to the mock's end-session endpoint, checks what the app
// sent it, follows the way back, and asks the protected path.
func (r *run) logoutTest(ctx context.Context) verdict {
	b := r.newBrowser()
	if j := r.signIn(ctx, b, signInOptions{}); j.outcome != SignedIn {
		return failed(r.test.Fix, "the sign-in before the logout was %s: %s", j.outcome, j.why)
	}
	before, err := r.mock.counters(ctx)
	if err != nil {
		return failed("Check that the mock is still running.", "%v", err)
	}
	p, why := r.toEndSession(ctx, b)
	if why != "" {
		return failed(r.test.Fix, "%s", why)
	}
	q := p.location.Query()
	if why := r.checkHint(q.Get("id_token_hint")); why != "" {
		return failed(r.test.Fix, "%s", why)
	}
	plr := q.Get("post_logout_redirect_uri")
	if plr != "" && !slices.Contains(r.runner.app.PostLogoutRedirectURIs, plr) {
		return failed(r.test.Fix+" The mock registers "+strings.Join(r.runner.app.PostLogoutRedirectURIs, ", ")+": register the app's with skctl mock-idp --post-logout-redirect-uri "+plr+" (or in the fixtures file), as with Scalekit's dashboard.",
			"the logout sent post_logout_redirect_uri %s, which is not registered for %s: Scalekit would not send the browser back", plr, r.opts.ClientID)
	}
	// The mock's side, then the app's again.
	p = b.follow(ctx, p)
	for hops := 0; p.location != nil && r.onMock(p.location) && hops < maxHops; hops++ {
		p = b.follow(ctx, p)
	}
	switch {
	case p.err != nil || p.status >= 500:
		return failed("", "the mock's end-session endpoint did not answer: %s", statusOrErr(p))
	case p.status >= 400:
		return failed(r.test.Fix, "the mock refused the logout request (%d): %s", p.status, pageProblem(p.body))
	}
	for hops := 0; p.location != nil && r.onApp(p.location) && hops < maxHops; hops++ {
		if p = b.follow(ctx, p); r.appBroken(p) != "" {
			return failed(r.test.Fix, "after the mock sent the browser back: %s", r.appBroken(p))
		}
	}
	after, err := r.mock.counters(ctx)
	if err != nil {
		return failed("Check that the mock is still running.", "%v", err)
	}
	o, why := r.judge(r.askProtected(ctx, b))
	switch {
	case o == SignedIn:
		return failed(r.test.Fix, "still signed in after the logout: the app kept its own session")
	case o == Broken:
		return failed(r.test.Fix, "after the logout: broken: %s", why)
	}
	if n := after["logout.requests"] - before["logout.requests"]; n != 1 {
		return failed(r.test.Fix, "the mock counted %d logout requests, not 1", n)
	}
	back := "without post_logout_redirect_uri, so the mock's page ends there"
	if plr != "" {
		back = "back to " + plr
	}
	return passed("signed out, through /oidc/logout with an id_token_hint for %s, %s", r.opts.ClientID, back)
}

// toEndSession starts the app's logout as a click on one of its pages
// and follows the app's redirects to the mock's end-session endpoint; it
// returns the page that redirects there, or why there was none. A logout
// path that answers a form (a confirmation, or a POST-only logout) has
// the form submitted once.
func (r *run) toEndSession(ctx context.Context, b *browser) (page, string) {
	from := r.app("/")
	p := b.navigate(ctx, r.app(r.opts.LogoutPath), from)
	submitted := false
	for hops := 0; ; hops++ {
		if why := r.appBroken(p); why != "" {
			return p, "the logout broke: " + why
		}
		switch {
		case p.location == nil && !submitted && (p.status == http.StatusMethodNotAllowed || p.status/100 == 2):
			action, form, ok := firstPostForm(p.body, p.url)
			if !ok && p.status != http.StatusMethodNotAllowed {
				return p, fmt.Sprintf("the logout path answered %d without sending the browser to the mock's /oidc/logout, and its page has no form to submit", p.status)
			}
			if !ok {
				action, form = r.app(r.opts.LogoutPath), url.Values{}
			}
			submitted = true
			p = b.submit(ctx, action, p.url.String(), form)
			continue
		case p.location == nil:
			return p, fmt.Sprintf("the logout answered %d without sending the browser to the mock's /oidc/logout: the Scalekit session lives on, and the next sign-in signs the user straight back in", p.status)
		case r.onMock(p.location) && slices.Contains(endSessionPaths(), p.location.Path):
			return p, ""
		case r.onMock(p.location):
			return p, "the logout sent the browser to the mock's " + p.location.Path + ", not to its /oidc/logout"
		case r.onApp(p.location) && hops < maxHops:
			p = b.follow(ctx, p)
			continue
		}
		return p, "the logout redirected to " + shortURL(p.location) + ", not to the mock's /oidc/logout"
	}
}

// checkHint says what is wrong with the id_token_hint the app sent
// ("": nothing). It is read, not verified: the mock verifies it.
func (r *run) checkHint(hint string) string {
	if hint == "" {
		return "the logout request to /oidc/logout carries no id_token_hint: Scalekit needs the session's ID token to know whose session to end"
	}
	_, claims, ok := decodeJWT(hint)
	switch {
	case !ok:
		return "the id_token_hint is not a JWT: send the ID token the app received at sign-in"
	case !audContains(claims, r.opts.ClientID):
		return fmt.Sprintf("the id_token_hint is not an ID token for %s (its aud is %v): send the ID token the app received at sign-in", r.opts.ClientID, claims["aud"])
	case tokenKind(claims) == "access token":
		return "the id_token_hint is the access token: send the ID token the app received at sign-in"
	}
	return ""
}
