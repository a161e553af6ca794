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

// mgmtSteps are the steps scripts/node-sdk/mgmt-check.mjs prints "ok" for,
// in order: every management method of the Node SDK that an app calls,
// and the cross-checks with the sign-in flow. A step the script stops
// running fails the test, not only a step that fails.
var mgmtSteps = []string{
	"organization.createOrganization",
	"lazy-auth",
	"organization.getOrganization",
	"organization.getOrganizationByExternalId",
	"organization.updateOrganization",
	"organization.updateOrganizationByExternalId",
	"organization.updateOrganizationSettings",
	"organization.generatePortalLink",
	"organization.createOrganization (second)",
	"organization.createOrganization (third)",
	"organization.listOrganization",
	"error.not-found",
	"error.conflict",
	"error.m2m-forbidden",
	"error.bad-secret",
	"user.createUserAndMembership",
	"user.getUser",
	"user.getUserByExternalId",
	"user.updateUser",
	"user.updateUserByExternalId",
	"user.listUsers",
	"user.listOrganizationUsers",
	"user.createMembership",
	"user.updateMembership",
	"user.deleteMembership",
	"user.createMembershipByExternalId",
	"user.updateMembershipByExternalId",
	"user.deleteMembershipByExternalId",
	"user.createUserAndMembership (invited)",
	"user.resendInvite",
	"user.deleteUser",
	"user.deleteUserByExternalId",
	"signin.api-user",
	"session.getSession",
	"session.getUserSessions",
	"session.revokeSession",
	"session.revokeAllUserSessions",
	"signup.page-user",
	"domain.createDomain",
	"domain.getDomain",
	"domain.listDomains",
	"domain.deleteDomain",
	"connection.listConnections",
	"connection.listConnectionsByDomain",
	"connection.getConnection",
	"connection.createConnection",
	"connection.enableConnection",
	"connection.disableConnection",
	"connection.deleteConnection",
	"directory.listDirectories",
	"directory.getPrimaryDirectoryByOrganizationId",
	"directory.getDirectory",
	"directory.listDirectoryGroups",
	"directory.listDirectoryUsers",
	"directory.disableDirectory",
	"directory.enableDirectory",
	"passwordless.sendPasswordlessEmail",
	"passwordless.verifyPasswordlessEmail (wrong code)",
	"passwordless.verifyPasswordlessEmail",
	"passwordless.resendPasswordlessEmail",
	"organization.deleteOrganization",
	"session.getSession (revoked)",
}

// TestNodeSDKManagement runs Scalekit's official Node SDK against the
// mock's management API (gRPC over h2c), as an app does: organizations,
// users and memberships, sessions, domains, connections, directories and
// passwordless email, with the sign-in flow on the same store (see
// scripts/node-sdk/mgmt-check.mjs). Like TestNodeSDK it needs node and
// `npm ci --prefix scripts/node-sdk`; without them it skips, except under
// CI=true, where it fails.
func TestNodeSDKManagement(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(nodeSDKDir, "mgmt-check.mjs"))
	cmd.Env = append(os.Environ(),
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
		"SCALEKIT_REDIRECT_URI="+app1Redirect,
		"SCALEKIT_M2M_CLIENT_ID="+m2mID,
		"SCALEKIT_M2M_CLIENT_SECRET="+m2mSecret,
		"NO_PROXY="+noProxy("NO_PROXY"),
		"no_proxy="+noProxy("no_proxy"),
	)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node mgmt-check.mjs timed out: %v\n%s", ctx.Err(), out)
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("node mgmt-check.mjs: %v\n%s", err, out)
		}
		t.Fatalf("node mgmt-check.mjs failed (%v):\n%s", err, out)
	}
	if !strings.Contains(string(out), "\nPASS") {
		t.Fatalf("node mgmt-check.mjs exited 0 without PASS:\n%s", out)
	}
	printed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "ok "); ok {
			printed[name] = true
		}
	}
	for _, name := range mgmtSteps {
		if !printed[name] {
			t.Errorf("node mgmt-check.mjs passed without step %q", name)
		}
	}
	t.Logf("node mgmt-check.mjs:\n%s", out)
}
