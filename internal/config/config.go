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

// Config is a validated configuration.
type Config struct {
	EnvironmentURL        string
	ClientID              string
	ClientSecret          Secret
	RedirectURI           string
	PostLogoutRedirectURI string
	Addr                  string
	// MetricsAddr is where /metrics is served; "" serves it on Addr.
	MetricsAddr string
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
	// RedisURL is the Redis or Valkey the replicas share, "" for none.
	// It may hold a password, so it is a Secret: RedactURL shows it.
	RedisURL Secret
}

// Sources are where Load reads settings from.
type Sources struct {
	// LookupEnv reads the process environment.
	LookupEnv func(string) (string, bool)
	// Environ lists the process environment as KEY=value (os.Environ),
	// for the names only: Strays looks through them for misspelt
	// settings. nil lists nothing.
	Environ func() []string
	// EnvFile is the .env path; "" reads none. A missing file is an error
	// only when EnvFileExplicit (the user named it).
	EnvFile         string
	EnvFileExplicit bool
	// Flags holds the flags the user set, keyed by their variable name.
	Flags map[string]string
}

// Load reads every setting and validates them all. The error is a
// Problems listing every problem, or a *FileError for an unreadable .env.
// A setting left unset by a misspelt variable (see Strays) says so in its
// problem's hint.
func Load(src Sources) (*Config, error) {
	file, err := readEnvFile(src.EnvFile, src.EnvFileExplicit)
	if err != nil {
		return nil, err
	}
	return build(src.lookup(file), src.strays(file))
}

// Resolve returns the raw (trimmed) value of every setting that is set
// anywhere, with no validation: check-config reports on each value itself,
// with the settings' own validators.
func Resolve(src Sources) (map[string]string, error) {
	file, err := readEnvFile(src.EnvFile, src.EnvFileExplicit)
	if err != nil {
		return nil, err
	}
	get := src.lookup(file)
	out := map[string]string{}
	for _, s := range Settings() {
		if v, ok := get(s.Env); ok {
			out[s.Env] = strings.TrimSpace(v)
		}
	}
	return out, nil
}

// lookup returns a lookup that applies the precedence flag, environment,
// .env (file, parsed).
func (src Sources) lookup(file map[string]string) func(string) (string, bool) {
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
	}
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
