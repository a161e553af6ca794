package mockidp_test

import (
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// TestMgmtStateSurvivesCrash: with --state-dir a change is durable before
// it is answered. The first environment never saves in the background
// (SaveEvery an hour) and is never closed (a crash: no save on close)
// before a second environment starts on the same directory and finds the
// organization, the user and the membership with the same IDs.
func TestMgmtStateSurvivesCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startEnv(t, mockidp.Options{StateDir: dir, SaveEvery: time.Hour})
	c1 := newMgAPI(t, first)
	o := c1.createOrg("Durable Inc", "DURABLE-1")
	u := c1.createUser(o.GetId(), "keeper@durable.test", false)
	name := "Durable Renamed"
	ur, err := c1.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
		Organization: &organizationspb.UpdateOrganization{DisplayName: &name}}))
	mgMust(t, "UpdateOrganization", ur, err)

	second := startEnv(t, mockidp.Options{StateDir: dir, SaveEvery: time.Hour})
	c2 := newMgAPI(t, second)
	got, err := c2.getOrg(o.GetId())
	if err != nil {
		t.Fatalf("the second environment: GetOrganization %s: %v%s", o.GetId(), err, mgDescribe(err))
	}
	if got.GetDisplayName() != name || got.GetExternalId() != "DURABLE-1" {
		t.Errorf("the second environment's %s = %q %q, want %q DURABLE-1 (the last change answered)", o.GetId(), got.GetDisplayName(), got.GetExternalId(), name)
	}
	gu, err := c2.getUser(u.GetId())
	if err != nil {
		t.Fatalf("the second environment: GetUser %s: %v%s", u.GetId(), err, mgDescribe(err))
	}
	if gu.GetEmail() != "keeper@durable.test" || mgMembership(gu, o.GetId()) == nil {
		t.Errorf("the second environment's user %s = %s with memberships %v", u.GetId(), gu.GetEmail(), gu.GetMemberships())
	}
	// The seeded organizations are still there beside it.
	if _, err := c2.getOrg(acmeOrg); err != nil {
		t.Errorf("the second environment lost Acme: %v", err)
	}
	// And the user the API made signs in there.
	a := newApp(t, second, app1ID, app1Secret, app1Redirect)
	if sub := a.login(newBrowser(t), "keeper@durable.test").idToken.Subject; sub != u.GetId() {
		t.Errorf("sign-in in the second environment: sub %s, want %s", sub, u.GetId())
	}
}

// TestMgmtStateExport: GET /__mock/export writes the environment as
// fixtures that parse and seed a new environment serving what the API
// made, with the same IDs.
func TestMgmtStateExport(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Exported Co", "EXPORTED-1")
	u := c.createUser(o.GetId(), "exported@exported.test", false, "admin")

	status, body := mgControl(t, env, http.MethodGet, "/__mock/export", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/export: %d %.300s", status, body)
	}
	fx, err := fixture.Parse(body)
	if err != nil {
		t.Fatalf("the export does not parse as fixtures: %v\n%.1000s", err, body)
	}
	next := startEnv(t, mockidp.Options{Fixtures: fx})
	c2 := newMgAPI(t, next)
	got, err := c2.getOrg(o.GetId())
	if err != nil {
		t.Fatalf("the environment seeded from the export: GetOrganization %s: %v%s", o.GetId(), err, mgDescribe(err))
	}
	if got.GetDisplayName() != "Exported Co" || got.GetExternalId() != "EXPORTED-1" {
		t.Errorf("exported organization = %q %q, want Exported Co EXPORTED-1", got.GetDisplayName(), got.GetExternalId())
	}
	gu, err := c2.getUser(u.GetId())
	if err != nil {
		t.Fatalf("the environment seeded from the export: GetUser %s: %v%s", u.GetId(), err, mgDescribe(err))
	}
	if m := mgMembership(gu, o.GetId()); gu.GetEmail() != "exported@exported.test" || m == nil || len(mgRoleNames(m)) != 1 || mgRoleNames(m)[0] != "admin" {
		t.Errorf("exported user = %s, membership %v, want an admin of %s", gu.GetEmail(), m, o.GetId())
	}
	// The apps came along: the default app's token worked above; and the
	// seeded organizations are there.
	if _, err := c2.getOrg(acmeOrg); err != nil {
		t.Errorf("the environment seeded from the export lacks Acme: %v", err)
	}

	// YAML too.
	status, body = mgControl(t, env, http.MethodGet, "/__mock/export?format=yaml", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/export?format=yaml: %d %.300s", status, body)
	}
	if fy, err := fixture.Parse(body); err != nil {
		t.Errorf("the YAML export does not parse: %v", err)
	} else if len(fy.Organizations) != len(fx.Organizations) || len(fy.Users) != len(fx.Users) {
		t.Errorf("the YAML export has %d organizations and %d users, the JSON %d and %d", len(fy.Organizations), len(fy.Users), len(fx.Organizations), len(fx.Users))
	}
}
