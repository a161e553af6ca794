package mockidp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
)

// passwordlessSteps are the steps scripts/node-sdk/passwordless-check.mjs
// prints "ok" for, in order; a step the script stops running fails the
// test, not only a step that fails.
var passwordlessSteps = []string{
	"passwordless.magic-link",
	"passwordless.magic-link (reused)",
	"passwordless.magic-link (another request)",
	"passwordless.rate-limit",
	"passwordless.test-user",
	"passwordless.expired",
}

// TestNodeSDKPasswordless runs Scalekit's Node SDK through the headless
// passwordless flow an app builds on: each email read from the mailbox's
// JSON over HTTP, a magic link verified once, a reused link, an expired
// code (the mock's clock moved), the rate limit and a +sktest address
// refused or accepted as the mock documents (see
// scripts/node-sdk/passwordless-check.mjs). It moves the clock, so it has
// an environment of its own. Like TestNodeSDK it needs node and
// `npm ci --prefix scripts/node-sdk`; without them it skips, except under
// CI=true, where it fails.
func TestNodeSDKPasswordless(t *testing.T) {
	t.Parallel()
	node := needNodeSDK(t)
	env := startEnv(t, mockidp.Options{})
	out := runNodeCheck(t, node, "passwordless-check.mjs", 60*time.Second,
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
	)
	var printed []string
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "ok "); ok {
			printed = append(printed, name)
		}
	}
	if strings.Join(printed, "\n") != strings.Join(passwordlessSteps, "\n") {
		t.Errorf("node passwordless-check.mjs ran steps %q, want %q", printed, passwordlessSteps)
	}
	t.Logf("node passwordless-check.mjs:\n%s", out)
}
