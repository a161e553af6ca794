package checkconfig

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// advice is check-config's own rule for a value serve accepts: it may
// warn (the value is not Scalekit-shaped) or fail (a placeholder). It
// returns nil when it has nothing to say.
type advice func(value string) *result

// settingCheck declares the check of one setting: serve's own validator
// first (config.Setting.Validate, so check-config fails whatever serve
// refuses), then advice, if any.
func settingCheck(id CheckID, env string, always bool, adv advice) check {
	return check{id: id, setting: env, always: always, run: func(st *state, _ context.Context) result {
		s, _ := config.Lookup(env)
		v := s.Value(func(k string) (string, bool) { v, ok := st.o.Settings[k]; return v, ok })
		if f := s.Validate(v); f != nil {
			return fail(env+" "+f.Message, f.Hint)
		}
		if adv != nil {
			if r := adv(v); r != nil {
				return *r
			}
		}
		return pass(describeSetting(s, v))
	}}
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
	}
	return s.Env + " is " + v
}

// adviseEnvironmentURL warns on a path, which serve accepts (other OIDC
// providers and the mock's scenario environments have one) but Scalekit's
// environment URLs never have.
func adviseEnvironmentURL(v string) *result {
	if u, err := url.Parse(v); err == nil && u.Path != "" {
		r := warn(config.EnvEnvironmentURL+" has the path "+u.Path,
			"Scalekit environment URLs are a scheme and host only; check the value in the "+config.DashCredentials)
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
		"Scalekit client IDs start with skc_ (environment; prd_skc_ in production), webc_, spac_, ntvc_, m2morg_ or m2m_; check the value in the "+config.DashCredentials)
	return &r
}

// adviseClientSecret fails a value copied from documentation: serve would
// start with it, and every sign-in would then fail at the token endpoint.
func adviseClientSecret(secret string) *result {
	if !isPlaceholder(secret) {
		return nil
	}
	r := fail(config.EnvClientSecret+" is a placeholder, not a secret", "replace it with the client secret from the "+config.DashCredentials)
	return &r
}

func isPlaceholder(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"your-client-secret", "your_client_secret", "<client_secret>", "changeme", "change-me", "secret", "xxx", "todo", "replace-me", "client_secret"} {
		if l == p {
			return true
		}
	}
	return strings.HasPrefix(l, "<") || strings.HasPrefix(l, "your") || strings.Trim(l, "x*.") == ""
}
