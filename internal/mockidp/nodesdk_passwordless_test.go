package mockidp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
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
		"PASSWORDLESS_TYPE=", // whatever the shell has: the environment leaves the type to the mock
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

// linkOnlySteps are the steps passwordless-check.mjs runs against a LINK
// environment.
var linkOnlySteps = []string{
	"passwordless.link-only (no magiclinkAuthUri)",
	"passwordless.link-only",
	"passwordless.link-only (a code)",
}

// TestNodeSDKPasswordlessLinkOnly runs the Node SDK against an
// environment whose fixtures say passwordless.type LINK: a send without
// magiclinkAuthUri is a ScalekitBadRequestException naming the field;
// the send answers passwordlessType LINK and the mailbox's email has a
// link and no code; a code for the request is refused and the link then
// verifies (see scripts/node-sdk/passwordless-check.mjs).
func TestNodeSDKPasswordlessLinkOnly(t *testing.T) {
	t.Parallel()
	node := needNodeSDK(t)
	env := startEnv(t, mockidp.Options{Fixtures: pwlFixtures(t, passwordless.Link)})
	out := runNodeCheck(t, node, "passwordless-check.mjs", 60*time.Second,
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
		"PASSWORDLESS_TYPE=LINK",
	)
	var printed []string
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "ok "); ok {
			printed = append(printed, name)
		}
	}
	if strings.Join(printed, "\n") != strings.Join(linkOnlySteps, "\n") {
		t.Errorf("node passwordless-check.mjs (LINK) ran steps %q, want %q", printed, linkOnlySteps)
	}
	t.Logf("node passwordless-check.mjs (LINK):\n%s", out)
}
