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

	env := startEnv(t, mockidp.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(nodeSDKDir, "sdk-check.mjs"))
	cmd.Env = append(os.Environ(),
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
		"SCALEKIT_REDIRECT_URI="+app1Redirect,
		"SCALEKIT_LOGIN_HINT=ada@acme.test",
		"SCALEKIT_POST_LOGOUT_REDIRECT_URI=http://localhost:4321/",
		"SCALEKIT_M2M_CLIENT_ID="+m2mID,
		"SCALEKIT_M2M_CLIENT_SECRET="+m2mSecret,
		// axios honours HTTP(S)_PROXY; the mock is on loopback.
		"NO_PROXY="+noProxy("NO_PROXY"),
		"no_proxy="+noProxy("no_proxy"),
	)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node sdk-check.mjs timed out: %v\n%s", ctx.Err(), out)
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("node sdk-check.mjs: %v\n%s", err, out)
		}
		t.Fatalf("node sdk-check.mjs failed (%v):\n%s", err, out)
	}
	if !strings.Contains(string(out), "\nPASS") {
		t.Fatalf("node sdk-check.mjs exited 0 without PASS:\n%s", out)
	}
	t.Logf("node sdk-check.mjs:\n%s", out)
}

// noProxy returns the variable's value with the loopback hosts added.
func noProxy(name string) string {
	if v := os.Getenv(name); v != "" {
		return v + ",127.0.0.1,localhost"
	}
	return "127.0.0.1,localhost"
}
