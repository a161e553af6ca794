package config

import (
	"crypto/hkdf"
	"crypto/sha256"
	"time"
)

// build validates every setting through its own Validate, collecting every
// problem rather than stopping at the first (CI wants them all at once),
// and only then turns the values into a Config. An unset setting's
// problem names the strays that were probably meant to be it.
func build(get func(string) (string, bool), strays []Stray) (*Config, error) {
	values := map[string]string{}
	var ps Problems
	for _, s := range Settings() {
		v := s.Value(get)
		values[s.Env] = v
		f := s.Validate(v)
		if _, set := get(s.Env); !set {
			f = WithStrays(f, strays, s.Env)
		}
		if f != nil {
			ps = append(ps, Problem{Env: s.Env, Flag: s.Flag, Fault: *f})
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}

	// Every value below has passed its validator, so parsing cannot fail.
	c := &Config{
		EnvironmentURL:        values[EnvEnvironmentURL],
		ClientID:              values[EnvClientID],
		ClientSecret:          Secret(values[EnvClientSecret]),
		RedirectURI:           values[EnvRedirectURI],
		PostLogoutRedirectURI: values[EnvPostLogoutURI],
		Addr:                  values[EnvAddr],
		MetricsAddr:           values[EnvMetricsAddr],
		ClockSkew:             90 * time.Second,
		TokenAuthBasic:        values[EnvTokenAuth] == "client_secret_basic",
		RedisURL:              Secret(values[EnvRedisURL]),
	}
	c.Userinfo, _ = ParseBool(values[EnvUserinfo])
	redirect, _ := ParseAppURL(c.RedirectURI, true)
	c.Secure = redirect.Scheme == "https"
	if c.PostLogoutRedirectURI == "" {
		c.PostLogoutRedirectURI = DefaultPostLogoutURI(c.RedirectURI)
	}
	if raw := values[EnvCookieSecret]; raw != "" {
		c.CookieKeys, _ = ParseCookieKeys(raw)
	} else {
		// Derived so that a newcomer needs no extra setting; a deployment
		// sets its own so that rotating the client secret does not sign
		// every user out.
		key, err := hkdf.Key(sha256.New, []byte(c.ClientSecret.Reveal()), nil, "skctl serve cookie key v1", 32)
		if err == nil {
			c.CookieKeys = [][]byte{key}
		}
	}
	return c, nil
}
