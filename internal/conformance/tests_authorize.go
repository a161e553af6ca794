package conformance

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// authorizeTests observe the app's authorization request: what it sends
// the mock when a sign-in starts.
func authorizeTests() []Test {
	return []Test{
		{ID: "authorize.state", Group: GroupAuthorize,
			Proves: "the app sends a fresh, unguessable state with every sign-in (its login-CSRF defence)",
			Source: "RFC 6749 §10.12; RFC 9700 §4.7.1; OpenID Connect Core §3.1.2.1",
			Fix:    "Send a state of at least 128 random bits, new for every sign-in, and check it at the callback.",
			run:    func(r *run, ctx context.Context) verdict { return r.observeFresh(ctx, "state") }},
		{ID: "authorize.nonce", Group: GroupAuthorize,
			Proves: "the app sends a fresh, unguessable nonce with every sign-in, binding the ID token to it",
			Source: "OpenID Connect Core §3.1.2.1 and §15.5.2",
			Fix:    "Send a nonce of at least 128 random bits, new for every sign-in, keep it with the login, and compare it with the ID token's nonce.",
			run:    func(r *run, ctx context.Context) verdict { return r.observeFresh(ctx, "nonce") }},
		{ID: "authorize.pkce-s256", Group: GroupAuthorize,
			Proves: "the app sends a PKCE challenge with method S256, new for every sign-in",
			Source: "RFC 7636 §4.2; RFC 9700 §2.1.1 (PKCE for confidential clients too)",
			Fix:    "Send code_challenge=BASE64URL(SHA256(verifier)) with code_challenge_method=S256, a new verifier per sign-in, and the verifier at the token endpoint.",
			run:    (*run).observePKCE},
		{ID: "authorize.redirect-uri", Group: GroupAuthorize,
			Proves: "the app's redirect_uri is one the mock has registered for it, character for character, on the app's own origin",
			Source: "RFC 9700 §4.1.3 (exact redirect URI matching); OpenID Connect Core §3.1.2.1",
			Fix:    "Send SCALEKIT_REDIRECT_URI exactly as registered with the environment.",
			run:    (*run).observeRedirectURI},
		{ID: "authorize.offline-access", Group: GroupAuthorize,
			Proves: "the app asks for offline_access (a refresh token) only if it refreshes when the access token expires",
			Source: "OpenID Connect Core §11; RFC 9700 §2.2.2 (refresh tokens only where they are used)",
			Arms:   []string{armShortAccessToken},
			Fix:    "Drop offline_access from the scope, or refresh with the refresh token when the access token expires.",
			run:    (*run).observeOfflineAccess},
	}
}

// startLogin asks the app's login path and follows the app's own
// redirects until one leaves for the mock's authorize endpoint; it
// returns that request's query, or why there was none.
func (r *run) startLogin(ctx context.Context, b *browser) (url.Values, string) {
	j := r.signIn(ctx, b, signInOptions{stopAtAuthorize: true})
	if j.authorize == nil {
		return nil, j.why
	}
	return j.authorize.Query(), ""
}

// minSecretLen is 128 bits in base64url characters, the length the
// OpenID conformance suite asks of state and nonce.
const minSecretLen = 22

// observeFresh checks that two sign-ins send param, long enough, and
// different each time.
func (r *run) observeFresh(ctx context.Context, param string) verdict {
	first, why := r.startLogin(ctx, r.newBrowser())
	if first == nil {
		return failed("", "broken: %s", why)
	}
	second, why := r.startLogin(ctx, r.newBrowser())
	if second == nil {
		return failed("", "broken: %s", why)
	}
	a, b := first.Get(param), second.Get(param)
	switch {
	case a == "":
		return failed(r.test.Fix, "the authorization request carries no %s", param)
	case len(a) < minSecretLen:
		return failed(r.test.Fix, "the %s is %d characters long: too short to carry 128 random bits", param, len(a))
	case a == b:
		return failed(r.test.Fix, "two sign-ins sent the same %s: it must be new for every sign-in", param)
	}
	return passed("a %d-character %s, new for each sign-in", len(a), param)
}

// observePKCE checks the PKCE parameters of two sign-ins.
func (r *run) observePKCE(ctx context.Context) verdict {
	first, why := r.startLogin(ctx, r.newBrowser())
	if first == nil {
		return failed("", "broken: %s", why)
	}
	second, why := r.startLogin(ctx, r.newBrowser())
	if second == nil {
		return failed("", "broken: %s", why)
	}
	c, m := first.Get("code_challenge"), first.Get("code_challenge_method")
	switch {
	case c == "":
		return failed(r.test.Fix, "the authorization request carries no code_challenge")
	case m != "S256":
		return failed(r.test.Fix, "code_challenge_method is %q, not S256", m)
	case len(c) != 43:
		return failed(r.test.Fix, "the code_challenge is %d characters long, not the 43 of a base64url SHA-256", len(c))
	case c == second.Get("code_challenge"):
		return failed(r.test.Fix, "two sign-ins sent the same code_challenge: the verifier must be new for every sign-in")
	}
	return passed("code_challenge_method S256, a new challenge for each sign-in")
}

// observeRedirectURI checks the redirect_uri against the client's
// registration.
func (r *run) observeRedirectURI(ctx context.Context) verdict {
	q, why := r.startLogin(ctx, r.newBrowser())
	if q == nil {
		return failed("", "broken: %s", why)
	}
	got := q.Get("redirect_uri")
	u, err := url.Parse(got)
	switch {
	case got == "":
		return failed(r.test.Fix, "the authorization request carries no redirect_uri")
	case !slices.Contains(r.runner.app.RedirectURIs, got):
		return failed(r.test.Fix+" The mock registers "+strings.Join(r.runner.app.RedirectURIs, ", ")+".", "redirect_uri %s is not registered for %s", got, r.opts.ClientID)
	case err != nil || !r.onApp(u):
		return failed(r.test.Fix, "redirect_uri %s is not on the app's origin %s", got, r.opts.AppURL)
	}
	return passed("redirect_uri %s, as registered", got)
}

// observeOfflineAccess: an app that asks for offline_access must refresh.
func (r *run) observeOfflineAccess(ctx context.Context) verdict {
	q, why := r.startLogin(ctx, r.newBrowser())
	if q == nil {
		return failed("", "broken: %s", why)
	}
	if !slices.Contains(strings.Fields(q.Get("scope")), "offline_access") {
		return passed("the scope %q does not ask for a refresh token", q.Get("scope"))
	}
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if j.outcome != SignedIn {
		return failed("", "%s: %s", j.outcome, j.why)
	}
	n, p, err := r.awaitRefreshes(ctx, b, 1)
	switch {
	case err != nil:
		return failed("", "%v", err)
	case n < 1:
		return failed(r.test.Fix, "the scope asks for offline_access, but the app did not refresh within --timeout %s of a short-lived access token's expiry", r.opts.Timeout)
	case !r.signedIn(p):
		o, why := r.judge(p)
		return failed("", "the app refreshed, then the protected path was %s: %s", o, why)
	}
	return passed("asks for offline_access and refreshed at the access token's expiry")
}

// pollEvery is how often the runner asks the protected path again while
// it waits for the app to refresh.
const pollEvery = 100 * time.Millisecond

// awaitRefreshes asks the protected path in b until the mock has counted
// want refresh grants since the call, or the test's deadline. It returns
// how many it counted and the protected path's last answer.
func (r *run) awaitRefreshes(ctx context.Context, b *browser, want int64) (int64, page, error) {
	start, err := r.mock.counters(ctx)
	if err != nil {
		return 0, page{}, err
	}
	var p page
	for {
		p = r.askProtected(ctx, b)
		now, err := r.mock.counters(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return 0, p, nil
			}
			return 0, p, err
		}
		n := now["refresh.requests"] - start["refresh.requests"]
		if n >= want || !r.signedIn(p) {
			return n, p, nil
		}
		select {
		case <-ctx.Done():
			return n, p, nil
		case <-time.After(pollEvery):
		}
	}
}
