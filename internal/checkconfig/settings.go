package checkconfig

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// Settings are the raw values check-config judges, by variable name.
type Settings map[string]string

// Where the Scalekit dashboard shows each value, for hints.
const (
	dashCredentials = "Scalekit dashboard > Developers > API credentials"
	dashRedirects   = "Scalekit dashboard > Developers > Redirects"
)

// clientIDPrefixes are the known shapes of Scalekit client IDs
// (scalekit-contract.md §8).
var clientIDPrefixes = []string{"skc_", "prd_skc_", "webc_", "spac_", "ntvc_", "m2morg_", "m2m_"}

// placeholders are values copied from documentation, not secrets.
var placeholders = []string{"your-client-secret", "your_client_secret", "<client_secret>", "changeme", "change-me", "secret", "xxx", "todo", "replace-me", "client_secret"}

// checkSettings runs the checks that need no network. It returns the
// parsed environment URL, or nil when the network checks cannot run.
func checkSettings(r *Report, s Settings) *url.URL {
	env := s[config.EnvEnvironmentURL]
	var envURL *url.URL
	if msg, hint := config.CheckEnvironmentURL(env); msg != "" {
		r.fail("settings.environment_url", config.EnvEnvironmentURL+" "+msg, hint)
		if strings.HasSuffix(env, "/") && strings.HasPrefix(msg, "ends with") {
			// The rest can still be checked, as the IdP sees the URL.
			envURL, _ = url.Parse(strings.TrimRight(env, "/"))
		}
	} else {
		envURL, _ = url.Parse(env)
		if envURL.Path != "" {
			r.warn("settings.environment_url", config.EnvEnvironmentURL+" has the path "+envURL.Path,
				"Scalekit environment URLs are a scheme and host only; check the value in the "+dashCredentials)
		} else {
			r.pass("settings.environment_url", config.EnvEnvironmentURL+" is "+env)
		}
	}

	switch id := s[config.EnvClientID]; {
	case id == "":
		r.fail("settings.client_id", config.EnvClientID+" is not set", "copy the client ID from the "+dashCredentials)
	case strings.ContainsAny(id, " \t/?#"):
		r.fail("settings.client_id", config.EnvClientID+" contains spaces or URL characters", "paste the client ID alone, e.g. skc_59615193906741387")
	case !hasAnyPrefix(id, clientIDPrefixes):
		r.warn("settings.client_id", config.EnvClientID+" "+id+" has an unknown prefix",
			"Scalekit client IDs start with skc_ (environment; prd_skc_ in production), webc_, spac_, ntvc_, m2morg_ or m2m_; check the value in the "+dashCredentials)
	default:
		r.pass("settings.client_id", config.EnvClientID+" is "+id)
	}

	switch secret := s[config.EnvClientSecret]; {
	case secret == "":
		r.fail("settings.client_secret", config.EnvClientSecret+" is not set", "copy the client secret from the "+dashCredentials+" (it is shown once; create a new one if lost)")
	case isPlaceholder(secret):
		r.fail("settings.client_secret", config.EnvClientSecret+" is a placeholder, not a secret", "replace it with the client secret from the "+dashCredentials)
	default:
		r.pass("settings.client_secret", config.EnvClientSecret+" is set ("+strconv.Itoa(len(secret))+" characters)")
	}

	redirect, ok := s[config.EnvRedirectURI]
	if !ok {
		redirect = config.DefaultRedirectURI
	}
	if msg, hint := checkAppURL(redirect, true); msg != "" {
		r.fail("settings.redirect_uri", config.EnvRedirectURI+" "+msg, hint)
	} else {
		r.pass("settings.redirect_uri", config.EnvRedirectURI+" is "+redirect)
	}
	if pl := s[config.EnvPostLogoutURI]; pl != "" {
		if msg, hint := checkAppURL(pl, false); msg != "" {
			r.fail("settings.post_logout_redirect_uri", config.EnvPostLogoutURI+" "+msg, hint)
		} else {
			r.pass("settings.post_logout_redirect_uri", config.EnvPostLogoutURI+" is "+pl)
		}
	}
	checkServeOnly(r, s)
	if keys := s[config.EnvCookieSecret]; keys != "" {
		for i, k := range strings.Split(keys, ",") {
			if _, err := config.DecodeCookieKey(k); err != nil {
				r.fail("settings.cookie_secret", config.EnvCookieSecret+" key "+strconv.Itoa(i+1)+" is not base64 of 32 bytes", "make one with: openssl rand -base64 32")
				return envURL
			}
		}
		r.pass("settings.cookie_secret", config.EnvCookieSecret+" holds valid 32-byte keys")
	}
	return envURL
}

// checkAppURL judges a URL of the app as serve does (config.CheckAppURL),
// and a redirect URI's path, which must be the app's callback.
func checkAppURL(raw string, redirect bool) (msg, hint string) {
	u, msg, hint := config.CheckAppURL(raw, redirect)
	if msg != "" {
		return msg, hint
	}
	if redirect && u.Path != config.CallbackPath {
		return "has the path " + u.Path + ", not the app's callback " + config.CallbackPath,
			"use " + u.Scheme + "://" + u.Host + config.CallbackPath + " and register it in the " + dashRedirects
	}
	return "", ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}

func isPlaceholder(s string) bool {
	l := strings.ToLower(s)
	for _, p := range placeholders {
		if l == p {
			return true
		}
	}
	return strings.HasPrefix(l, "<") || strings.HasPrefix(l, "your") || strings.Trim(l, "x*.") == ""
}

// checkServeOnly judges the settings only serve reads (SKCTL_ADDR,
// SKCTL_USERINFO, SKCTL_TOKEN_AUTH_METHOD) with serve's own rules, when
// they are set: check-config must fail whatever serve would refuse.
func checkServeOnly(r *Report, s Settings) {
	for _, st := range []struct{ env, id string }{
		{config.EnvAddr, "settings.addr"}, {config.EnvUserinfo, "settings.userinfo"}, {config.EnvTokenAuth, "settings.token_auth_method"},
	} {
		v, set := s[st.env]
		if !set {
			continue
		}
		// Valid stand-ins for the required settings, so that only this
		// one is judged.
		env := map[string]string{config.EnvEnvironmentURL: "https://acme.scalekit.dev", config.EnvClientID: "skc_1", config.EnvClientSecret: "x", st.env: v}
		_, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) { val, ok := env[k]; return val, ok }})
		problem := false
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				if p.Env == st.env {
					problem = true
					r.fail(st.id, st.env+" "+p.Message, p.Hint)
				}
			}
		}
		if !problem {
			r.pass(st.id, st.env+" is "+v)
		}
	}
}
