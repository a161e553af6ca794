// Package config turns flags, the environment and a .env file into a
// validated configuration for `skctl serve` (and `check-config`). It does no
// network I/O and keeps no globals. Precedence: flag, then environment,
// then .env, then default.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/joho/godotenv"
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
)

// Setting describes one setting: its variable, flag, default and meaning.
type Setting struct {
	Env, Flag, Default, Meaning string
	Secret                      bool
}

// Settings lists every setting `serve` reads, in the order of the README's
// table.
var Settings = []Setting{
	{EnvEnvironmentURL, "environment-url", "", "the Scalekit environment URL, e.g. https://acme.scalekit.dev (no trailing slash)", false},
	{EnvClientID, "client-id", "", "the app's client ID (skc_…)", false},
	{EnvClientSecret, "client-secret", "", "the app's client secret (prefer the environment or .env to the flag)", true},
	{EnvRedirectURI, "redirect-uri", DefaultRedirectURI, "the callback URL registered in Scalekit; its path must be " + CallbackPath, false},
	{EnvPostLogoutURI, "post-logout-redirect-uri", "the redirect URI's origin + /", "where Scalekit sends the browser after logout; register it as a Post logout URL", false},
	{EnvCookieSecret, "", "derived from the client secret", "cookie encryption keys: base64 of 32 bytes, comma-separated, the first encrypts (rotation)", true},
	{EnvAddr, "addr", DefaultAddr, "the address the app listens on", false},
	{EnvUserinfo, "userinfo", "false", "call the userinfo endpoint at sign-in and check its sub (C10; OpenID certification needs it, Scalekit's flow does not)", false},
	{EnvTokenAuth, "token-auth-method", "client_secret_post", "how the app authenticates to the token endpoint: client_secret_post (every Scalekit client) or client_secret_basic", false},
}

// Defaults of the guide.
const (
	DefaultRedirectURI = "http://localhost:4321/api/auth/callback"
	DefaultAddr        = "localhost:4321"
	CallbackPath       = "/api/auth/callback"
)

// Config is a validated configuration.
type Config struct {
	EnvironmentURL        string
	ClientID              string
	ClientSecret          Secret
	RedirectURI           string
	PostLogoutRedirectURI string
	Addr                  string
	// CookieKeys are the 32-byte cookie encryption keys; the first
	// encrypts. Derived from the client secret when SKCTL_COOKIE_SECRET is
	// unset.
	CookieKeys Keys
	// Secure is true when the redirect URI is https: cookies then get
	// Secure and the __Host- prefix (F1).
	Secure bool
	// ClockSkew is the leeway for exp and iat (C7).
	ClockSkew time.Duration
	// Userinfo makes sign-in call the userinfo endpoint and compare its
	// sub with the ID token's (C10).
	Userinfo bool
	// TokenAuthBasic sends client_secret_basic instead of
	// client_secret_post.
	TokenAuthBasic bool
}

// Sources are where Load reads settings from.
type Sources struct {
	// LookupEnv reads the process environment.
	LookupEnv func(string) (string, bool)
	// EnvFile is the .env path; "" reads none. A missing file is an error
	// only when EnvFileExplicit (the user named it).
	EnvFile         string
	EnvFileExplicit bool
	// Flags holds the flags the user set, keyed by their variable name.
	Flags map[string]string
}

// Load reads every setting and validates them all. The error is a
// Problems listing every problem, or a *FileError for an unreadable .env.
func Load(src Sources) (*Config, error) {
	get, err := src.resolver()
	if err != nil {
		return nil, err
	}
	return build(get)
}

// Resolve returns the raw value of every setting that is set anywhere,
// with no validation: check-config judges the values itself.
func Resolve(src Sources) (map[string]string, error) {
	get, err := src.resolver()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range Settings {
		if v, ok := get(s.Env); ok {
			out[s.Env] = strings.TrimSpace(v)
		}
	}
	return out, nil
}

// resolver returns a lookup that applies the precedence flag, environment,
// .env.
func (src Sources) resolver() (func(string) (string, bool), error) {
	file, err := readEnvFile(src.EnvFile, src.EnvFileExplicit)
	if err != nil {
		return nil, err
	}
	return func(name string) (string, bool) {
		if v, ok := src.Flags[name]; ok {
			return v, true
		}
		if src.LookupEnv != nil {
			if v, ok := src.LookupEnv(name); ok {
				return v, true
			}
		}
		v, ok := file[name]
		return v, ok
	}, nil
}

// FileError is a .env file that cannot be read or parsed.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: %v (fix the file, or name another with --env-file)", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

func readEnvFile(path string, explicit bool) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		return nil, &FileError{path, err}
	}
	defer f.Close()
	m, err := godotenv.Parse(f)
	if err != nil {
		return nil, &FileError{path, err}
	}
	return m, nil
}

// Problem is one invalid or missing setting.
type Problem struct {
	Env, Flag string
	Message   string // what is wrong
	Hint      string // what to do
}

func (p Problem) Error() string {
	name := p.Env
	if p.Flag != "" {
		name += " (--" + p.Flag + ")"
	}
	s := name + ": " + p.Message
	if p.Hint != "" {
		s += ": " + p.Hint
	}
	return s
}

// Problems is every problem of a configuration.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	if len(ps) == 1 {
		return "configuration: " + lines[0]
	}
	return fmt.Sprintf("configuration has %d problems:\n  %s", len(ps), strings.Join(lines, "\n  "))
}

func flagOf(env string) string {
	for _, s := range Settings {
		if s.Env == env {
			return s.Flag
		}
	}
	return ""
}
