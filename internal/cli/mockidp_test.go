package cli

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"
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
