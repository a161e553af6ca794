package checkconfig

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// advice is check-config's own rule for a value serve accepts: it warns
// (the value is not Scalekit-shaped, or looks like a placeholder). It
// returns nil when it has nothing to say.
type advice func(value string) *result

// settingCheck declares the check of one setting: serve's own validator
// first (config.Setting.Validate, so check-config fails whatever serve
// refuses), then advice, if any. onMock, when set, is the hint to give
// instead of a validator's that sends the user to the Scalekit dashboard,
// when the environment is skctl mock-idp.
func settingCheck(id CheckID, env string, always bool, adv advice, onMock func(value string) string) check {
	return check{id: id, setting: env, always: always, run: func(st *state, _ context.Context) result {
		s, _ := config.Lookup(env)
		v := s.Value(func(k string) (string, bool) { v, ok := st.o.Settings[k]; return v, ok })
		if f := s.Validate(v); f != nil {
			r := fail(env+" "+f.Message, f.Hint)
			if onMock != nil && strings.Contains(f.Hint, config.Dashboard) {
				r = r.onMock(onMock(v))
			}
			if _, set := st.o.Settings[env]; !set {
				r.hint, r.mockHint = strayHint(r.hint, st.o.Strays, env), strayHint(r.mockHint, st.o.Strays, env)
			}
			return r
		}
		if adv != nil {
			if r := adv(v); r != nil {
				return *r
			}
		}
		return pass(describeSetting(s, v))
	}}
}

// strayHint leads hint with the strays that were probably meant to be
// the unset setting env, as serve's problem does.
func strayHint(hint string, strays []config.Stray, env string) string {
	if hint == "" {
		return ""
	}
	return config.WithStrays(&config.Fault{Hint: hint}, strays, env).Hint
}

// checkStrays reports the variables of skctl's namespaces that are not
// settings: a warning when one is probably a misspelt setting, which then
// silently stays unset or at its default.
func (st *state) checkStrays(context.Context) result {
	var msgs, renames []string
	for _, s := range st.o.Strays {
		msgs = append(msgs, s.String())
		if s.Likely {
			renames = append(renames, "rename "+s.Name+" to "+s.Nearest+" in "+s.In)
		}
	}
	if len(renames) == 0 {
		// Far from every setting: most likely another program's.
		return pass(strings.Join(msgs, "; "))
	}
	return warn(strings.Join(msgs, "; "), strings.Join(renames, ", and "))
}

// The hints against skctl mock-idp for the settings it defines: the mock
// prints the default app's settings when it starts, and its flags and
// fixtures file are where they change.
func mockClientIDHint(string) string {
	return "skctl mock-idp prints SCALEKIT_CLIENT_ID when it starts: the first app of its fixtures file (apps[].client_id), or the one given with --client-id"
}

func mockClientSecretHint(string) string {
	return "skctl mock-idp prints SCALEKIT_CLIENT_SECRET when it starts: the first app's apps[].client_secret in its fixtures file, or the one given with --client-secret"
}

func mockRedirectURIHint(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	fixed := u.Scheme + "://" + u.Host + config.CallbackPath
	return "use " + fixed + ", and register it with the mock: skctl mock-idp --redirect-uri " + fixed + ", or in its fixtures file's apps[].redirect_uris"
}

// describeSetting is a passing setting's message; a secret's value is
// never shown.
func describeSetting(s config.Setting, v string) string {
	switch {
	case s.Env == config.EnvCookieSecret:
		keys, _ := config.ParseCookieKeys(v)
		return s.Env + " holds " + strconv.Itoa(len(keys)) + " valid 32-byte key(s)"
	case s.Secret:
		return s.Env + " is set (" + strconv.Itoa(len(v)) + " characters)"
	case s.Env == config.EnvRedisURL: // its password, if any, is never shown
		return s.Env + " is " + config.RedactURL(v)
	}
	return s.Env + " is " + v
}

// adviseEnvironmentURL warns on a trailing slash on a Scalekit host, in
// serve's words (config.EnvironmentURLAdvice), and on a path, which serve
// accepts (other OIDC providers and the mock's scenario environments have
// one) but Scalekit's environment URLs never have. A bare trailing slash
// elsewhere is no path: it is part of some providers' issuers.
func adviseEnvironmentURL(v string) *result {
	if f := config.EnvironmentURLAdvice(v); f != nil {
		r := warn(config.EnvEnvironmentURL+" "+f.Message, f.Hint)
		return &r
	}
	if u, err := url.Parse(v); err == nil && u.Path != "" && u.Path != "/" {
		r := warn(config.EnvEnvironmentURL+" has the path "+u.Path,
			"Scalekit environment URLs are a scheme and host only; check the value in the "+config.DashCredentials).
			onMock("on skctl mock-idp a path is a scenario environment, with the failure modes it names switched on: use the mock's root URL for a plain sign-in")
		return &r
	}
	return nil
}

// adviseClientID warns on an ID that is not one of the known shapes of
// Scalekit client IDs (contract §8).
func adviseClientID(id string) *result {
	for _, p := range []string{"skc_", "prd_skc_", "webc_", "spac_", "ntvc_", "m2morg_", "m2m_"} {
		if strings.HasPrefix(id, p) && len(id) > len(p) {
			return nil
		}
	}
	r := warn(config.EnvClientID+" "+id+" has an unknown prefix",
		"Scalekit client IDs start with skc_ (environment; prd_skc_ in production), webc_, spac_, ntvc_, m2morg_ or m2m_; check the value in the "+config.DashCredentials).
		onMock("check the value against the mock's: " + mockClientIDHint(id))
	return &r
}

// adviseClientSecret warns on a value that looks copied from
// documentation: serve would start with it, and every sign-in would then
// fail at the token endpoint. Only a warning: a real secret can look like
// one (an example provider's "secret"), and the credentials check, which
// asks the token endpoint, is the one that knows.
func adviseClientSecret(secret string) *result {
	why := placeholderReason(secret)
	if why == "" {
		return nil
	}
	r := warn(config.EnvClientSecret+" looks like a placeholder: "+why,
		"if it is the real secret, "+string(Credentials)+" says whether the token endpoint accepts it; otherwise replace it with the client secret from the "+config.DashCredentials).
		onMock("if it is not the mock's secret, " + mockClientSecretHint(secret))
	return &r
}

// placeholderWords are the values documentation and templates put where
// a client secret goes.
var placeholderWords = []string{"your-client-secret", "your_client_secret", "<client_secret>", "changeme", "change-me", "secret", "xxx", "todo", "replace-me", "client_secret"}

// placeholderReason says what makes secret look like a placeholder, or
// "" when nothing does. It names the rule, never the value, since the
// value may be the real secret.
func placeholderReason(secret string) string {
	l := strings.ToLower(secret)
	switch {
	case slices.Contains(placeholderWords, l):
		// Not listed: the list would show the value.
		return "it is one of the words documentation and templates write in place of a secret"
	case strings.HasPrefix(l, "<"):
		return "it starts with <, as a template's <client_secret> does"
	case strings.HasPrefix(l, "your"):
		return `it starts with "your", as a template's your-client-secret does`
	case strings.Trim(l, "x*.") == "":
		return "it is only x, * and . characters, as a masked or elided value is"
	}
	return ""
}
