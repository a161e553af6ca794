package checkconfig

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/config"
)

// TestExitCode: unreachable beats failed beats warned (with --strict).
func TestExitCode(t *testing.T) {
	r := &Report{}
	r.pass("a", "ok")
	r.warn("b", "hmm", "do x")
	if r.ExitCode(false) != ExitOK || r.ExitCode(true) != ExitFailed {
		t.Errorf("warn: %d / strict %d", r.ExitCode(false), r.ExitCode(true))
	}
	r.fail("c", "bad", "do y")
	if r.ExitCode(false) != ExitFailed {
		t.Errorf("fail: %d", r.ExitCode(false))
	}
	r.Unreachable = true
	if r.ExitCode(false) != ExitUnreachable {
		t.Errorf("unreachable: %d", r.ExitCode(false))
	}
}

// TestOfflineSettings: the settings checks judge values without a network
// and skip everything else.
func TestOfflineSettings(t *testing.T) {
	r := Run(context.Background(), Options{Offline: true, Settings: Settings{
		config.EnvEnvironmentURL: "https://acme.scalekit.dev",
		config.EnvClientID:       "skc_1",
		config.EnvClientSecret:   "xxxxxxxx",
		config.EnvRedirectURI:    "https://app.example.com/api/auth/callback?next=1",
		config.EnvCookieSecret:   "dG9vIHNob3J0",
	}})
	want := map[string]Status{
		"settings.environment_url": Pass, "settings.client_id": Pass, "settings.client_secret": Fail,
		"settings.redirect_uri": Fail, "settings.cookie_secret": Fail, "discovery.fetch": Skipped, "clock.skew": Skipped,
	}
	for id, s := range want {
		if got, _ := r.status(id); got != s {
			t.Errorf("%s = %s, want %s", id, got, s)
		}
	}
	for _, c := range r.Checks {
		if (c.Status == Fail || c.Status == Warn) && c.Hint == "" {
			t.Errorf("%s has no hint", c.ID)
		}
	}
}

// TestGitHubEscaping: messages cannot break out of a workflow command.
func TestGitHubEscaping(t *testing.T) {
	r := &Report{}
	r.fail("x", "line1\nline2 100%", "a:b,c")
	var buf bytes.Buffer
	if err := r.Write(&buf, "github", false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "line1%0Aline2 100%25") {
		t.Errorf("escaping: %q", out)
	}
	if err := r.Write(&buf, "yaml", false); err == nil {
		t.Errorf("an unknown format was accepted")
	}
}

// TestTextColour: colour codes only when asked for (a terminal).
func TestTextColour(t *testing.T) {
	r := &Report{EnvironmentURL: "https://acme.scalekit.dev"}
	r.pass("a", "ok")
	var plain, coloured bytes.Buffer
	r.Write(&plain, "text", false)
	r.Write(&coloured, "text", true)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(coloured.String(), "\x1b[32m") {
		t.Errorf("plain %q, coloured %q", plain.String(), coloured.String())
	}
}
