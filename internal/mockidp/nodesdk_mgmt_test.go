package mockidp_test

import (
	"net/http"
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
	"events.listEventsPaginated",
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
	node := needNodeSDK(t)
	env := startEnv(t, mockidp.Options{})
	// The fixtures' Acme directory's IdP pushes a user and a group over
	// SCIM; the script finds them through the SDK's directory calls.
	idp := newSCIM(t, env, acmeDir, acmeToken)
	u := idp.must(http.StatusCreated, "POST", "/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "pushed@acme.test", "active": true,
		"name": map[string]string{"givenName": "Pushed", "familyName": "User"}, "emails": []map[string]any{{"value": "pushed@acme.test", "primary": true}}})
	idp.must(http.StatusCreated, "POST", "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Pushed Group",
		"members": []map[string]string{{"value": u["id"].(string)}}})
	out := runNodeCheck(t, node, "mgmt-check.mjs", 120*time.Second,
		"SCIM_PUSHED_EMAIL=pushed@acme.test", "SCIM_PUSHED_GROUP=Pushed Group",
		"SCALEKIT_ENVIRONMENT_URL="+env.URL,
		"SCALEKIT_CLIENT_ID="+app1ID,
		"SCALEKIT_CLIENT_SECRET="+app1Secret,
		"SCALEKIT_REDIRECT_URI="+app1Redirect,
		"SCALEKIT_M2M_CLIENT_ID="+m2mID,
		"SCALEKIT_M2M_CLIENT_SECRET="+m2mSecret,
	)
	printed := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
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
