package config

import (
	"net/url"
	"strings"
)

// The settings, named as in Scalekit's guide where it has them.
const (
	EnvEnvironmentURL = "SCALEKIT_ENVIRONMENT_URL"
	EnvClientID       = "SCALEKIT_CLIENT_ID"
	EnvClientSecret   = "SCALEKIT_CLIENT_SECRET"
	EnvRedirectURI    = "SCALEKIT_REDIRECT_URI"
	EnvPostLogoutURI  = "SCALEKIT_POST_LOGOUT_REDIRECT_URI"
	EnvCookieSecret   = "SKCTL_COOKIE_SECRET"
	EnvAddr           = "SKCTL_ADDR"
	EnvUserinfo       = "SKCTL_USERINFO"
	EnvTokenAuth      = "SKCTL_TOKEN_AUTH_METHOD"
	EnvMetricsAddr    = "SKCTL_METRICS_ADDR"
	EnvRedisURL       = "SKCTL_REDIS_URL"
)

// Defaults of the guide.
const (
	DefaultRedirectURI = "http://localhost:4321/api/auth/callback"
	DefaultAddr        = "localhost:4321"
	CallbackPath       = "/api/auth/callback"
	DefaultTokenAuth   = "client_secret_post"
)

// Setting describes one setting and the rule its value must meet. Load
// (serve) and check-config judge a value with the same Validate, so that
// check-config fails whatever serve would refuse.
type Setting struct {
	Env, Flag string // Flag is "" for a setting read from the environment only
	// Default is the value used when the setting is unset; "" when the
	// setting is required or its default is derived (Derived says how).
	Default string
	Derived string
	Meaning string
	// Secret settings never appear in any output.
	Secret bool
	// Validate judges the value the app would use: trimmed, Default when
	// unset, "" when unset with no Default. It returns nil for a good value.
	Validate func(value string) *Fault
}

// Settings returns every setting `serve` reads, in the order of the
// README's table. It is a fresh slice each call: no caller can change
// another's.
func Settings() []Setting {
	return []Setting{
		{Env: EnvEnvironmentURL, Flag: "environment-url", Validate: ValidateEnvironmentURL,
			Meaning: "the Scalekit environment URL, e.g. https://acme.scalekit.dev (no trailing slash), or another OpenID provider's issuer exactly as its discovery names it"},
		{Env: EnvClientID, Flag: "client-id", Validate: validateClientID,
			Meaning: "the app's client ID (skc_…)"},
		{Env: EnvClientSecret, Flag: "client-secret", Secret: true, Validate: validateClientSecret,
			Meaning: "the app's client secret (prefer the environment or .env to the flag)"},
		{Env: EnvRedirectURI, Flag: "redirect-uri", Default: DefaultRedirectURI, Validate: validateRedirectURI,
			Meaning: "the callback URL registered in Scalekit; its path must be " + CallbackPath},
		{Env: EnvPostLogoutURI, Flag: "post-logout-redirect-uri", Derived: "the redirect URI's origin + /", Validate: validatePostLogoutURI,
			Meaning: "where Scalekit sends the browser after logout; register it as a Post logout URL"},
		{Env: EnvCookieSecret, Secret: true, Derived: "derived from the client secret", Validate: validateCookieSecret,
			Meaning: "cookie encryption keys: base64 of 32 bytes, comma-separated, the first encrypts (rotation)"},
		{Env: EnvAddr, Flag: "addr", Default: DefaultAddr, Validate: validateAddr,
			Meaning: "the address the app listens on: host:port, the port a number from 0 to 65535"},
		{Env: EnvUserinfo, Flag: "userinfo", Default: "false", Validate: validateBool,
			Meaning: "call the userinfo endpoint at sign-in and require its sub to be the ID token's (OpenID certification needs it, Scalekit's flow does not); true/false, yes/no, on/off or 1/0"},
		{Env: EnvTokenAuth, Flag: "token-auth-method", Default: DefaultTokenAuth, Validate: validateTokenAuth,
			Meaning: "how the app authenticates to the token endpoint: client_secret_post (every Scalekit client) or client_secret_basic"},
		{Env: EnvMetricsAddr, Flag: "metrics-addr", Derived: "none: /metrics is served on the app's address", Validate: validateMetricsAddr,
			Meaning: "serve /metrics (Prometheus) on this host:port instead of on the app's address, e.g. an address the public cannot reach"},
		{Env: EnvRedisURL, Flag: "redis-url", Validate: ValidateRedisURL,
			Meaning: "Redis or Valkey shared by serve's replicas, redis://[:PASSWORD@]HOST:PORT[/DB] or rediss:// for TLS (prefer the environment to the flag for a password); unset: one process, nothing shared"},
	}
}

// Lookup returns the setting of variable env.
func Lookup(env string) (Setting, bool) {
	for _, s := range Settings() {
		if s.Env == env {
			return s, true
		}
	}
	return Setting{}, false
}

// Value is the value the app uses for s, given what get finds: the
// trimmed value when set, else s.Default.
func (s Setting) Value(get func(string) (string, bool)) string {
	if v, ok := get(s.Env); ok {
		return strings.TrimSpace(v)
	}
	return s.Default
}

// Check validates value and names the setting in the problem, if any.
func (s Setting) Check(value string) *Problem {
	f := s.Validate(value)
	if f == nil {
		return nil
	}
	return &Problem{Env: s.Env, Flag: s.Flag, Fault: *f}
}

// DefaultPostLogoutURI is where logout lands when
// SCALEKIT_POST_LOGOUT_REDIRECT_URI is unset: the redirect URI's origin
// and /. It is "" for a redirect URI with no host.
func DefaultPostLogoutURI(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}
