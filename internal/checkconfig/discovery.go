package checkconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

func (st *state) discover(ctx context.Context) result {
	u := st.env + "/.well-known/openid-configuration"
	resp, body, err := st.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		reason, hint := diagnose(err)
		if hint == "" {
			hint = "check that " + config.EnvEnvironmentURL + " is the environment URL shown in the " + config.DashCredentials + ", and that this machine can reach it"
		}
		r := fail("could not fetch "+u+": "+reason, hint)
		r.unreachable = isUnreachable(err)
		return r
	}
	st.date, _ = http.ParseTime(resp.Header.Get("Date"))
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Sprintf("%s answered %d", u, resp.StatusCode),
			"check "+config.EnvEnvironmentURL+": it should be the environment URL shown in the "+config.DashCredentials)
	}
	if err := json.Unmarshal(body, &st.doc); err != nil || st.doc.Issuer == "" {
		return fail(u+" is not an OpenID discovery document",
			"check "+config.EnvEnvironmentURL+": it should be the environment URL shown in the "+config.DashCredentials)
	}
	st.mock = st.isMockIDP(ctx)
	return pass("fetched " + u)
}

func (st *state) checkIssuer(context.Context) result {
	if env := st.o.Settings[config.EnvEnvironmentURL]; st.doc.Issuer != env {
		return fail(fmt.Sprintf("the issuer is %q but %s is %q", st.doc.Issuer, config.EnvEnvironmentURL, env),
			config.IssuerHint(st.doc.Issuer))
	}
	return pass("the issuer matches " + config.EnvEnvironmentURL)
}

func (st *state) checkEndpoints(context.Context) result {
	origin := func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	want := origin(st.env)
	var problems []string
	endpoints := map[string]string{"authorization_endpoint": st.doc.AuthorizationEndpoint, "token_endpoint": st.doc.TokenEndpoint, "jwks_uri": st.doc.JWKSURI}
	if st.doc.EndSessionEndpoint != "" {
		endpoints["end_session_endpoint"] = st.doc.EndSessionEndpoint
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
		return fail(strings.Join(problems, "; "),
			"the environment's discovery document is wrong or "+config.EnvEnvironmentURL+" points at another server").onMock(mockFaultHint)
	case st.doc.EndSessionEndpoint == "":
		return warn("no end_session_endpoint: logout cannot end the IdP session",
			"Scalekit environments have one at /oidc/logout; check that "+config.EnvEnvironmentURL+" is a Scalekit environment")
	}
	return pass("authorization, token, JWKS and end-session endpoints are on " + want)
}

func (st *state) checkPKCE(context.Context) result {
	if !slices.Contains(st.doc.CodeChallengeMethodsSupported, "S256") {
		return fail("code_challenge_methods_supported lacks S256", "serve sends PKCE S256; this IdP does not advertise it").onMock(mockFaultHint)
	}
	return pass("PKCE S256 is supported")
}

func (st *state) checkSigningAlg(context.Context) result {
	if !slices.Contains(st.doc.IDTokenSigningAlgs, "RS256") {
		return fail("id_token_signing_alg_values_supported lacks RS256", "Scalekit signs with RS256; check that "+config.EnvEnvironmentURL+" is a Scalekit environment").onMock(mockFaultHint)
	}
	return pass("ID tokens are signed with RS256")
}
