package mockidp_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
)

// nodeSDKDir holds scripts/node-sdk, relative to this package's directory
// (the working directory of `go test`).
const nodeSDKDir = "../../scripts/node-sdk"

// TestNodeSDK runs Scalekit's official Node SDK, pinned in
// scripts/node-sdk/package.json, against the mock: login, token
// validation, refresh rotation, logout and client_credentials (see
// scripts/node-sdk/sdk-check.mjs). It needs node and the SDK installed with
// `npm ci --prefix scripts/node-sdk`; without them it skips, except under
// CI=true, where it fails.
func TestNodeSDK(t *testing.T) {
	t.Parallel()
	node := needNodeSDK(t)
	env := startEnv(t, mockidp.Options{})
	out := runNodeCheck(t, node, "sdk-check.mjs", 60*time.Second,
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
		"SCALEKIT_REDIRECT_URI="+app1Redirect,
		"SCALEKIT_LOGIN_HINT=ada@acme.test",
		"SCALEKIT_POST_LOGOUT_REDIRECT_URI=http://localhost:4321/",
		"SCALEKIT_M2M_CLIENT_ID="+m2mID,
		"SCALEKIT_M2M_CLIENT_SECRET="+m2mSecret,
	)
	t.Logf("node sdk-check.mjs:\n%s", out)
}

// needNodeSDK returns node's path, or skips the test when node or the SDK
// is missing, except under CI=true, where it fails.
func needNodeSDK(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(nodeSDKDir, "node_modules", "@scalekit-sdk", "node", "package.json"))
	}
	if err != nil {
		msg := "Node SDK check needs node on PATH and the SDK installed: run `npm ci --prefix scripts/node-sdk` (" + err.Error() + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// runNodeCheck runs a check script of scripts/node-sdk with the
// environment variables given and returns its output, failing the test
// unless it exits 0 having printed PASS.
func runNodeCheck(t *testing.T, node, script string, timeout time.Duration, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(nodeSDKDir, script))
	// axios honours HTTP(S)_PROXY; the mock is on loopback.
	cmd.Env = append(append(os.Environ(), env...), "NO_PROXY="+noProxy("NO_PROXY"), "no_proxy="+noProxy("no_proxy"))
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("node %s timed out: %v\n%s", script, ctx.Err(), out)
	case err != nil && !errors.As(err, &ee):
		t.Fatalf("node %s: %v\n%s", script, err, out)
	case err != nil:
		t.Fatalf("node %s failed (%v):\n%s", script, err, out)
	case !strings.Contains(string(out), "\nPASS"):
		t.Fatalf("node %s exited 0 without PASS:\n%s", script, out)
	}
	return string(out)
}

// noProxy returns the variable's value with the loopback hosts added.
func noProxy(name string) string {
	if v := os.Getenv(name); v != "" {
		return v + ",127.0.0.1,localhost"
	}
	return "127.0.0.1,localhost"
}
