package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// TestNewMockIDPCmd checks that flags land in the options (gh's
// TestNewCmd… shape: runF captures them, nothing runs).
func TestNewMockIDPCmd(t *testing.T) {
	cases := []struct {
		args  []string
		check func(*testing.T, *mockIDPOptions)
	}{
		{nil, func(t *testing.T, o *mockIDPOptions) {
			if o.addr != DefaultMockAddr || o.lifetimes.AccessToken != 5*time.Minute || o.stateDir != "" {
				t.Errorf("defaults: %+v", o)
			}
		}},
		{[]string{"--addr", "127.0.0.1:0", "--issuer", "https://auth.example.test", "--state-dir", "/tmp/x",
			"--redirect-uri", "http://a/cb", "--redirect-uri", "http://b/cb", "--post-logout-redirect-uri", "http://a/",
			"--auto-login", "ada@acme.test", "--access-token-ttl", "30s", "--session-idle-ttl", "1h"},
			func(t *testing.T, o *mockIDPOptions) {
				if o.addr != "127.0.0.1:0" || o.issuer != "https://auth.example.test" || o.stateDir != "/tmp/x" || o.autoLogin != "ada@acme.test" {
					t.Errorf("strings: %+v", o)
				}
				if !slices.Equal(o.redirectURIs, []string{"http://a/cb", "http://b/cb"}) || !slices.Equal(o.postLogoutURIs, []string{"http://a/"}) {
					t.Errorf("repeatable URIs: %v %v", o.redirectURIs, o.postLogoutURIs)
				}
				if o.lifetimes.AccessToken != 30*time.Second || o.lifetimes.SessionIdle != time.Hour {
					t.Errorf("lifetimes: %+v", o.lifetimes)
				}
			}},
	}
	for _, tc := range cases {
		var got *mockIDPOptions
		d := &Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
		cmd := newMockIDPCmd(d, &globalOptions{logFormat: "text", logLevel: "info"}, func(_ context.Context, o *mockIDPOptions) error {
			got = o
			return nil
		})
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		tc.check(t, got)
	}
}

// TestConfigFlags: serve's and check-config's flags become settings, and
// only the flags the user set override the environment.
func TestConfigFlags(t *testing.T) {
	d := &Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, LookupEnv: func(string) (string, bool) { return "", false }}
	var got map[string]string
	var explicit bool
	serve := newServeCmd(d, &globalOptions{}, func(_ context.Context, o *serveOptions) error {
		src := o.config.sources(d, o.cmd)
		got, explicit = src.Flags, src.EnvFileExplicit
		return nil
	})
	serve.SetArgs([]string{"--client-id", "skc_1", "--environment-url", "https://acme.scalekit.dev", "--env-file", "prod.env"})
	if err := serve.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["SCALEKIT_CLIENT_ID"] != "skc_1" || got["SCALEKIT_ENVIRONMENT_URL"] != "https://acme.scalekit.dev" || !explicit {
		t.Errorf("serve flags: %v explicit=%v", got, explicit)
	}
	check := newCheckConfigCmd(d, &globalOptions{}, func(_ context.Context, o *checkConfigOptions) error {
		got = o.config.sources(d, o.cmd).Flags
		return nil
	})
	check.SetArgs([]string{"--redirect-uri", "https://app.example.com/api/auth/callback", "--output", "junit"})
	if err := check.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["SCALEKIT_REDIRECT_URI"] == "" {
		t.Errorf("check-config flags: %v", got)
	}
}

// TestWebhookFlags: --webhook-url and --webhook-secret become endpoints
// with one secret: the one given, one kept in --state-dir (the same on
// the next start), or a new one; bad values are usage errors that say
// what to do, never quoting the secret.
func TestWebhookFlags(t *testing.T) {
	var got *mockIDPOptions
	parse := func(args ...string) *mockIDPOptions {
		t.Helper()
		d := &Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
		cmd := newMockIDPCmd(d, &globalOptions{logFormat: "text", logLevel: "info"}, func(_ context.Context, o *mockIDPOptions) error {
			got = o
			return nil
		})
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return got
	}
	log := slog.New(slog.DiscardHandler)
	const secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

	eps, s, err := webhookEndpoints(parse("--webhook-url", "http://localhost:3000/a", "--webhook-url", "https://app.test/b", "--webhook-secret", secret), log)
	if err != nil || s != secret || len(eps) != 2 || eps[1].URL != "https://app.test/b" || eps[0].Secret != secret || eps[1].Secret != secret {
		t.Errorf("given: %+v %q %v", eps, s, err)
	}
	if eps, s, err := webhookEndpoints(parse(), log); err != nil || eps != nil || s != "" {
		t.Errorf("none: %+v %q %v", eps, s, err)
	}
	_, s1, err := webhookEndpoints(parse("--webhook-url", "http://localhost:3000/a"), log)
	_, s2, err2 := webhookEndpoints(parse("--webhook-url", "http://localhost:3000/a"), log)
	if err != nil || err2 != nil || webhook.CheckSecret(s1) != nil || s1 == s2 {
		t.Errorf("generated without --state-dir: %q %q %v %v, want two new secrets", s1, s2, err, err2)
	}
	dir := filepath.Join(t.TempDir(), "state")
	_, s1, err = webhookEndpoints(parse("--webhook-url", "http://localhost:3000/a", "--state-dir", dir), log)
	_, s2, err2 = webhookEndpoints(parse("--webhook-url", "http://localhost:3000/a", "--state-dir", dir), log)
	if err != nil || err2 != nil || webhook.CheckSecret(s1) != nil || s1 != s2 {
		t.Errorf("generated with --state-dir: %q %q %v %v, want one secret kept", s1, s2, err, err2)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--webhook-secret", secret}, "--webhook-secret needs --webhook-url"},
		{[]string{"--webhook-url", "localhost:3000/hooks"}, `--webhook-url: url "localhost:3000/hooks": want an absolute http(s) URL`},
		{[]string{"--webhook-url", "http://localhost:3000/a", "--webhook-secret", "hunter2-hunter2"}, "--webhook-secret: want whsec_"},
	} {
		_, _, err := webhookEndpoints(parse(c.args...), log)
		var ue *usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
}
