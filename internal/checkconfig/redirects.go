package checkconfig

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// value is the value the app uses for env: the setting, else its default.
func (st *state) value(env string) string {
	s, _ := config.Lookup(env)
	return s.Value(func(k string) (string, bool) { v, ok := st.o.Settings[k]; return v, ok })
}

// checkRedirect asks the authorization endpoint, with prompt=none, to send
// the browser back: only a registered redirect URI gets a redirect to it.
func (st *state) checkRedirect(ctx context.Context) result {
	id, redirect := st.o.Settings[config.EnvClientID], st.value(config.EnvRedirectURI)
	q := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {redirect}, "scope": {"openid"},
		"state": {"skctl-check-config"}, "prompt": {"none"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCQaoeFXLdWUVw8hT2Jt7Y3E"}, "code_challenge_method": {"S256"}}
	resp, body, err := st.do(ctx, http.MethodGet, st.doc.AuthorizationEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		return fail("the authorization endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && sameEndpoint(resp.Header.Get("Location"), redirect):
		return pass("the environment redirects to " + redirect)
	case resp.StatusCode >= 300 && resp.StatusCode < 400 || resp.StatusCode == http.StatusOK:
		// An IdP may show a page, or send the browser to one, for a
		// registered URI and an unregistered one alike.
		return warn("the environment did not redirect back to "+redirect+", so its registration is unconfirmed",
			"check that "+redirect+" is listed exactly under Redirects in the "+config.DashRedirects+", or sign in once with skctl serve").
			onMock(mockRegisterHint(redirect, "--redirect-uri", "redirect_uris"))
	case strings.Contains(string(body), "invalid_client"):
		return fail("the environment does not know the client ID "+id, "copy "+config.EnvClientID+" from the "+config.DashCredentials+" of this environment").
			onMock(mockUnknownClientHint(id))
	}
	return fail(redirect+" is not registered for this client (the authorization endpoint answered "+fmt.Sprint(resp.StatusCode)+")",
		"add "+redirect+" exactly (scheme, host, port, path) under Redirects in the "+config.DashRedirects).
		onMock(mockRegisterHint(redirect, "--redirect-uri", "redirect_uris"))
}

// checkPostLogout asks the end-session endpoint to send the browser to the
// post-logout URI (serve's default when unset): only a registered one
// gets a redirect to it.
func (st *state) checkPostLogout(ctx context.Context) result {
	target := st.value(config.EnvPostLogoutURI)
	if target == "" {
		target = config.DefaultPostLogoutURI(st.value(config.EnvRedirectURI))
	}
	switch {
	case target == "":
		return skip("no post-logout URI")
	case st.doc.EndSessionEndpoint == "":
		return skip("no end_session_endpoint")
	}
	q := url.Values{"post_logout_redirect_uri": {target}, "client_id": {st.o.Settings[config.EnvClientID]}, "state": {"skctl-check-config"}}
	resp, _, err := st.do(ctx, http.MethodGet, st.doc.EndSessionEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		return fail("the end-session endpoint could not be reached: "+describe(err), "try again")
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && sameEndpoint(resp.Header.Get("Location"), target) {
		return pass("the environment redirects to " + target + " after logout")
	}
	return fail(target+" is not registered as a post-logout URL (the end-session endpoint answered "+fmt.Sprint(resp.StatusCode)+")",
		"add "+target+" exactly under Post logout URLs in the "+config.DashRedirects).
		onMock(mockRegisterHint(target, "--post-logout-redirect-uri", "post_logout_redirect_uris"))
}

// sameEndpoint reports whether location is target with, at most, a query
// added: the same scheme, host and path.
func sameEndpoint(location, target string) bool {
	l, err1 := url.Parse(location)
	t, err2 := url.Parse(target)
	return err1 == nil && err2 == nil && l.Scheme == t.Scheme && l.Host == t.Host && l.Path == t.Path
}
