package checkconfig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/oidcx"
)

// checker runs the network checks of one report.
type checker struct {
	r   *Report
	o   Options
	env string
	doc oidcx.Metadata // the same fields serve reads
	// date is the IdP's Date header on the discovery response.
	date time.Time
}

func (c *checker) run(ctx context.Context) {
	if !c.discover(ctx) {
		skipRest(c.r, "skipped: no discovery document")
		return
	}
	c.checkIssuer()
	c.checkEndpoints()
	c.checkKeys(ctx)
	if st, _ := c.r.status("discovery.endpoints"); st == Fail {
		// Never send the client secret to an endpoint on another origin or
		// over plain http.
		skipRest(c.r, "skipped: the endpoints are not trustworthy (see discovery.endpoints); no secret was sent")
	}
	c.checkCredentials(ctx)
	c.checkRedirect(ctx)
	c.checkPostLogout(ctx)
	c.checkClock()
}

// get fetches u; body is capped by the client's transport.
func (c *checker) do(ctx context.Context, method, u string, form url.Values) (*http.Response, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "skctl-check-config")
	resp, err := c.o.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (c *checker) discover(ctx context.Context) bool {
	u := c.env + "/.well-known/openid-configuration"
	resp, body, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		c.r.Unreachable = isUnreachable(err)
		c.r.fail("discovery.fetch", "could not fetch "+u+": "+describe(err),
			"check that "+config.EnvEnvironmentURL+" is the environment URL shown in the "+dashCredentials+", and that this machine can reach it")
		return false
	}
	c.date, _ = http.ParseTime(resp.Header.Get("Date"))
	if resp.StatusCode != http.StatusOK {
		c.r.fail("discovery.fetch", fmt.Sprintf("%s answered %d", u, resp.StatusCode),
			"check "+config.EnvEnvironmentURL+": it should be the environment URL shown in the "+dashCredentials)
		return false
	}
	if err := json.Unmarshal(body, &c.doc); err != nil || c.doc.Issuer == "" {
		c.r.fail("discovery.fetch", u+" is not an OpenID discovery document",
			"check "+config.EnvEnvironmentURL+": it should be the environment URL shown in the "+dashCredentials)
		return false
	}
	c.r.pass("discovery.fetch", "fetched "+u)
	return true
}

func (c *checker) checkIssuer() {
	if c.doc.Issuer != c.o.Settings[config.EnvEnvironmentURL] {
		c.r.fail("discovery.issuer", fmt.Sprintf("the issuer is %q but %s is %q", c.doc.Issuer, config.EnvEnvironmentURL, c.o.Settings[config.EnvEnvironmentURL]),
			"set "+config.EnvEnvironmentURL+" to exactly "+c.doc.Issuer+": tokens are checked against it byte for byte")
		return
	}
	c.r.pass("discovery.issuer", "the issuer matches "+config.EnvEnvironmentURL)
}

func (c *checker) checkEndpoints() {
	origin := func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	want := origin(c.env)
	var problems []string
	endpoints := map[string]string{"authorization_endpoint": c.doc.AuthorizationEndpoint, "token_endpoint": c.doc.TokenEndpoint, "jwks_uri": c.doc.JWKSURI}
	if c.doc.EndSessionEndpoint != "" {
		endpoints["end_session_endpoint"] = c.doc.EndSessionEndpoint
	}
	for name, v := range endpoints {
		switch u, err := url.Parse(v); {
		case v == "":
			problems = append(problems, name+" is missing")
		case err != nil || origin(v) != want:
			problems = append(problems, name+" is on another origin ("+v+")")
		case u.Scheme != "https" && !config.IsLoopback(u.Hostname()):
			problems = append(problems, name+" is not https")
		}
	}
	slices.Sort(problems)
	switch {
	case len(problems) > 0:
		c.r.fail("discovery.endpoints", strings.Join(problems, "; "),
			"the environment's discovery document is wrong or "+config.EnvEnvironmentURL+" points at another server")
	case c.doc.EndSessionEndpoint == "":
		c.r.warn("discovery.endpoints", "no end_session_endpoint: logout cannot end the IdP session",
			"Scalekit environments have one at /oidc/logout; check that "+config.EnvEnvironmentURL+" is a Scalekit environment")
	default:
		c.r.pass("discovery.endpoints", "authorization, token, JWKS and end-session endpoints are on "+want)
	}
	if slices.Contains(c.doc.CodeChallengeMethodsSupported, "S256") {
		c.r.pass("discovery.pkce", "PKCE S256 is supported")
	} else {
		c.r.fail("discovery.pkce", "code_challenge_methods_supported lacks S256", "serve sends PKCE S256; this IdP does not advertise it")
	}
	if slices.Contains(c.doc.IDTokenSigningAlgs, "RS256") {
		c.r.pass("discovery.signing_alg", "ID tokens are signed with RS256")
	} else {
		c.r.fail("discovery.signing_alg", "id_token_signing_alg_values_supported lacks RS256", "Scalekit signs with RS256; check that "+config.EnvEnvironmentURL+" is a Scalekit environment")
	}
}

func (c *checker) checkKeys(ctx context.Context) {
	resp, body, err := c.do(ctx, http.MethodGet, c.doc.JWKSURI, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		reason := describe(err)
		if err == nil {
			reason = fmt.Sprintf("status %d", resp.StatusCode)
		}
		c.r.fail("keys.jwks", "could not fetch the keys at "+c.doc.JWKSURI+": "+reason, "the environment's jwks_uri must serve its signing keys; try again, or contact Scalekit support")
		return
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		c.r.fail("keys.jwks", c.doc.JWKSURI+" is not a JSON Web Key Set", "the environment's jwks_uri must serve a JWKS")
		return
	}
	usable := 0
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				c.r.fail("keys.jwks", "the JWKS publishes private key material ("+private+")", "rotate the signing key at once: the published one is compromised")
				return
			}
		}
		kid, _ := k["kid"].(string)
		alg, hasAlg := k["alg"].(string)
		if k["kty"] == "RSA" && kid != "" && (!hasAlg || alg == "RS256") {
			usable++
		}
	}
	if usable == 0 {
		c.r.fail("keys.jwks", fmt.Sprintf("the JWKS has %d keys and no RS256 key with a kid", len(set.Keys)), "tokens cannot be verified; the environment's keys are missing or unusable")
		return
	}
	c.r.pass("keys.jwks", fmt.Sprintf("%d RS256 signing key(s) with a kid", usable))
}

func (c *checker) checkCredentials(ctx context.Context) {
	if _, done := c.r.status("credentials.client_credentials"); done {
		return
	}
	id, secret := c.o.Settings[config.EnvClientID], c.o.Settings[config.EnvClientSecret]
	if id == "" || secret == "" {
		c.r.skip("credentials.client_credentials", "skipped: client ID or secret not set")
		return
	}
	resp, body, err := c.do(ctx, http.MethodPost, c.doc.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		c.r.fail("credentials.client_credentials", "the token endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
		return
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode == http.StatusOK && answer.AccessToken != "":
		c.r.pass("credentials.client_credentials", "the client ID and secret are valid (a client_credentials token was issued)")
	case answer.Error == "invalid_client" || resp.StatusCode == http.StatusUnauthorized:
		c.r.fail("credentials.client_credentials", "the client secret does not match this client ID in this environment",
			"copy "+config.EnvClientID+" and "+config.EnvClientSecret+" again from the "+dashCredentials+" of this environment (development and production differ)")
	case answer.Error == "unauthorized_client":
		c.r.warn("credentials.client_credentials", "the credentials are valid but the client_credentials grant is not enabled for this client",
			"the secret could not be fully verified this way: sign in once with skctl serve, or enable the grant in the Scalekit dashboard")
	case answer.Error == "unsupported_grant_type":
		c.r.warn("credentials.client_credentials", "this environment does not support client_credentials, so the secret was not verified",
			"sign in once with skctl serve to verify the secret")
	default:
		c.r.fail("credentials.client_credentials", fmt.Sprintf("the token endpoint answered %d %s", resp.StatusCode, answer.Error), "try again; if it persists, contact Scalekit support")
	}
}

func (c *checker) checkRedirect(ctx context.Context) {
	if _, done := c.r.status("redirect.registered"); done {
		return
	}
	id := c.o.Settings[config.EnvClientID]
	redirect, ok := c.o.Settings[config.EnvRedirectURI]
	if !ok {
		redirect = config.DefaultRedirectURI
	}
	if id == "" {
		c.r.skip("redirect.registered", "skipped: client ID not set")
		return
	}
	q := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {redirect}, "scope": {"openid"},
		"state": {"skctl-check-config"}, "prompt": {"none"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCQaoeFXLdWUVw8hT2Jt7Y3E"}, "code_challenge_method": {"S256"}}
	resp, body, err := c.do(ctx, http.MethodGet, c.doc.AuthorizationEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		c.r.fail("redirect.registered", "the authorization endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
		return
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && sameEndpoint(resp.Header.Get("Location"), redirect):
		c.r.pass("redirect.registered", "the environment redirects to "+redirect)
	case resp.StatusCode >= 300 && resp.StatusCode < 400 || resp.StatusCode == http.StatusOK:
		// An IdP may show a page, or send the browser to one, for a
		// registered URI and an unregistered one alike.
		c.r.warn("redirect.registered", "the environment did not redirect back to "+redirect+", so its registration is unconfirmed",
			"check that "+redirect+" is listed exactly under Redirects in the "+dashRedirects+", or sign in once with skctl serve")
	case strings.Contains(string(body), "invalid_client"):
		c.r.fail("redirect.registered", "the environment does not know the client ID "+id, "copy "+config.EnvClientID+" from the "+dashCredentials+" of this environment")
	default:
		c.r.fail("redirect.registered", redirect+" is not registered for this client (the authorization endpoint answered "+fmt.Sprint(resp.StatusCode)+")",
			"add "+redirect+" exactly (scheme, host, port, path) under Redirects in the "+dashRedirects)
	}
}

// sameEndpoint reports whether location is target with, at most, a query
// added: the same scheme, host and path.
func sameEndpoint(location, target string) bool {
	l, err1 := url.Parse(location)
	t, err2 := url.Parse(target)
	return err1 == nil && err2 == nil && l.Scheme == t.Scheme && l.Host == t.Host && l.Path == t.Path
}

func (c *checker) checkPostLogout(ctx context.Context) {
	if _, done := c.r.status("redirect.post_logout"); done {
		return
	}
	target := c.o.Settings[config.EnvPostLogoutURI]
	if target == "" {
		// serve's default: the redirect URI's origin and /.
		redirect, ok := c.o.Settings[config.EnvRedirectURI]
		if !ok {
			redirect = config.DefaultRedirectURI
		}
		if u, err := url.Parse(redirect); err == nil && u.Host != "" {
			target = u.Scheme + "://" + u.Host + "/"
		}
	}
	switch {
	case target == "":
		c.r.skip("redirect.post_logout", "skipped: no post-logout URI")
		return
	case c.doc.EndSessionEndpoint == "":
		c.r.skip("redirect.post_logout", "skipped: no end_session_endpoint")
		return
	}
	q := url.Values{"post_logout_redirect_uri": {target}, "client_id": {c.o.Settings[config.EnvClientID]}, "state": {"skctl-check-config"}}
	resp, _, err := c.do(ctx, http.MethodGet, c.doc.EndSessionEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		c.r.fail("redirect.post_logout", "the end-session endpoint could not be reached: "+describe(err), "try again")
		return
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && sameEndpoint(resp.Header.Get("Location"), target) {
		c.r.pass("redirect.post_logout", "the environment redirects to "+target+" after logout")
		return
	}
	c.r.fail("redirect.post_logout", target+" is not registered as a post-logout URL (the end-session endpoint answered "+fmt.Sprint(resp.StatusCode)+")",
		"add "+target+" exactly under Post logout URLs in the "+dashRedirects)
}

func (c *checker) checkClock() {
	if _, done := c.r.status("clock.skew"); done {
		return
	}
	if c.date.IsZero() {
		c.r.skip("clock.skew", "skipped: the IdP sent no Date header")
		return
	}
	skew := c.o.Now().Sub(c.date)
	if skew < 0 {
		skew = -skew
	}
	// Date has one-second resolution.
	if skew > c.o.Leeway+time.Second {
		c.r.fail("clock.skew", fmt.Sprintf("this machine's clock is %s off the IdP's", skew.Round(time.Second)),
			fmt.Sprintf("sync the clock with NTP: tokens are checked with a leeway of %s", c.o.Leeway))
		return
	}
	c.r.pass("clock.skew", fmt.Sprintf("the clock is within %s of the IdP's", c.o.Leeway))
}

// isUnreachable reports whether err means the IdP could not be reached at
// all: DNS, connection refused, a timeout.
func isUnreachable(err error) bool {
	var ne net.Error
	var de *net.DNSError
	var oe *net.OpError
	return errors.As(err, &de) || errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded)
}

// describe says what went wrong with a request, without quoting a body.
func describe(err error) string {
	var de *net.DNSError
	var oe *net.OpError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &de):
		return "the host " + de.Name + " was not found (DNS)"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &oe):
		return oe.Op + ": " + oe.Err.Error()
	}
	return "the request failed"
}
