package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var good = map[string]string{
	EnvEnvironmentURL: "https://acme.scalekit.dev",
	EnvClientID:       "skc_59615193906741387",
	EnvClientSecret:   "s3cr3t-value",
}

func with(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range good {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(Sources{LookupEnv: env(good)})
	if err != nil {
		t.Fatal(err)
	}
	if c.RedirectURI != DefaultRedirectURI || c.Addr != DefaultAddr || c.PostLogoutRedirectURI != "http://localhost:4321/" || c.Secure {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.CookieKeys) != 1 || len(c.CookieKeys[0]) != 32 {
		t.Errorf("derived cookie key: %d keys", len(c.CookieKeys))
	}
	c2, _ := Load(Sources{LookupEnv: env(with(EnvClientSecret, "other"))})
	if string(c2.CookieKeys[0]) == string(c.CookieKeys[0]) {
		t.Errorf("different client secrets derive the same cookie key")
	}
}

// TestLoadProblems: each bad setting is reported with its variable, its
// flag and a fix, and every problem is reported at once.
func TestLoadProblems(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{with(EnvEnvironmentURL, "<unset>"), "SCALEKIT_ENVIRONMENT_URL (--environment-url): is not set"},
		{with(EnvEnvironmentURL, "http://acme.scalekit.dev"), "is not https"},
		{with(EnvEnvironmentURL, "https://acme.scalekit.dev?x=1"), "has a query"},
		{with(EnvEnvironmentURL, "acme.scalekit.dev"), "is not an absolute URL"},
		{with(EnvClientID, "<unset>"), "SCALEKIT_CLIENT_ID (--client-id): is not set"},
		{with(EnvClientSecret, ""), "SCALEKIT_CLIENT_SECRET (--client-secret): is not set"},
		{with(EnvRedirectURI, "http://app.example.com/api/auth/callback"), "plain http on a host other than loopback"},
		{with(EnvRedirectURI, "https://app.example.com/auth/cb"), "has the path /auth/cb"},
		{with(EnvRedirectURI, "https://app.example.com/api/auth/callback?x=1"), "has a query"},
		{with(EnvRedirectURI, "https://app.example.com/api/auth/callback#x"), "has a fragment"},
		{with(EnvRedirectURI, "https://"+strings.Repeat("a", 250)+".example.com/api/auth/callback"), "longer than 256 characters"},
		{with(EnvCookieSecret, "c2hvcnQ="), "SKCTL_COOKIE_SECRET: key 1 is not base64 of 32 bytes"},
		{with(EnvAddr, "4321"), "is not host:port"},
		{with(EnvUserinfo, "maybe"), `SKCTL_USERINFO (--userinfo): is "maybe", not a yes/no value: use one of true, false, 1, 0, yes, no, on, off (any case)`},
		{with(EnvTokenAuth, "private_key_jwt"), "use client_secret_post (Scalekit) or client_secret_basic"},
	}
	for _, tc := range cases {
		_, err := Load(Sources{LookupEnv: env(tc.env)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	_, err := Load(Sources{LookupEnv: env(map[string]string{})})
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 {
		t.Errorf("empty environment: %v; want 3 problems at once", err)
	}
}

// TestPrecedence: flag, then environment, then .env, then default.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ".env")
	os.WriteFile(file, []byte("SCALEKIT_ENVIRONMENT_URL=https://file.scalekit.dev\nSCALEKIT_CLIENT_ID=skc_file\nSCALEKIT_CLIENT_SECRET=\"quoted # not a comment\"\nSKCTL_ADDR=:9000\n"), 0o600)
	c, err := Load(Sources{
		LookupEnv: env(map[string]string{EnvClientID: "skc_env", EnvAddr: ":8000"}),
		EnvFile:   file,
		Flags:     map[string]string{EnvAddr: ":7000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.EnvironmentURL != "https://file.scalekit.dev" || c.ClientID != "skc_env" || c.Addr != ":7000" || c.ClientSecret.Reveal() != "quoted # not a comment" {
		t.Errorf("precedence: %+v", c)
	}
	// An empty variable in the environment is set, and wins over .env.
	_, err = Load(Sources{LookupEnv: env(map[string]string{EnvClientID: ""}), EnvFile: file})
	if err == nil || !strings.Contains(err.Error(), "SCALEKIT_CLIENT_ID") {
		t.Errorf("empty env var did not override .env: %v", err)
	}
	if _, err := Load(Sources{LookupEnv: env(good), EnvFile: filepath.Join(dir, "missing.env")}); err != nil {
		t.Errorf("a missing default .env is an error: %v", err)
	}
	var fe *FileError
	if _, err := Load(Sources{LookupEnv: env(good), EnvFile: filepath.Join(dir, "missing.env"), EnvFileExplicit: true}); !errors.As(err, &fe) {
		t.Errorf("a missing --env-file: %v, want a *FileError", err)
	}
}

// TestCookieSecretRotation: several keys, the first encrypts.
func TestCookieSecretRotation(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	c, err := Load(Sources{LookupEnv: env(with(EnvCookieSecret, base64.StdEncoding.EncodeToString(k1)+", "+base64.RawURLEncoding.EncodeToString(k2)))})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CookieKeys) != 2 || !bytes.Equal(c.CookieKeys[0], k1) || !bytes.Equal(c.CookieKeys[1], k2) {
		t.Errorf("keys: %v", c.CookieKeys)
	}
}

// TestSecretNeverPrinted: the client secret is redacted by fmt, JSON and
// slog.
func TestSecretNeverPrinted(t *testing.T) {
	c, _ := Load(Sources{LookupEnv: env(good)})
	js, _ := json.Marshal(c)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "secret", c.ClientSecret, "config", c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"json": string(js), "slog": logs.String(),
	} {
		if strings.Contains(out, "s3cr3t-value") || strings.Contains(out, fmt.Sprint(c.CookieKeys[0][:4])) {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
}
