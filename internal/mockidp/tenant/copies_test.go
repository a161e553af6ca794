package tenant_test

import (
	"testing"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestCopiesDoNotAlias: what a getter returns, and what a caller passed
// in, share nothing with the tenant: changing their maps, slices and
// nested claims changes nothing stored. (A shared map would also be a data
// race between a handler and the sign-in flow.)
func TestCopiesDoNotAlias(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	u := must(tn.User(ada))
	u.Memberships[0].Roles[0] = "member"
	u.Memberships[0].Permissions[0] = "x"
	u.Memberships = append(u.Memberships, tenant.Membership{OrgID: globex})
	u.Metadata["employee_type"] = "contractor"
	u.Claims["department"] = "Sales"
	again := must(tn.User(ada))
	if again.Memberships[0].Roles[0] != "admin" || again.Memberships[0].Permissions[0] != "organization:manage" || len(again.Memberships) != 1 {
		t.Errorf("Ada's membership changed through a copy: %+v", again.Memberships)
	}
	if again.Metadata["employee_type"] != "full-time" || again.Claims["department"] != "Engineering" {
		t.Errorf("Ada's maps changed through a copy: %v %v", again.Metadata, again.Claims)
	}

	meta := map[string]string{"k": "v"}
	o := must(tn.CreateOrg(tenant.Org{DisplayName: "Initech", Metadata: meta}))
	meta["k"] = "changed by the caller"
	o.Features["sso"] = true
	if got := must(tn.Org(o.ID)); got.Metadata["k"] != "v" || got.Features["sso"] {
		t.Errorf("the organization changed through the caller's maps: %+v", got)
	}

	claims := map[string]any{"nested": map[string]any{"list": []any{"a"}}}
	pu := must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "p@initech.test", Claims: claims}, tenant.Membership{Roles: []string{"member"}}, true))
	claims["nested"].(map[string]any)["list"].([]any)[0] = "b"
	pu.Claims["nested"].(map[string]any)["list"].([]any)[0] = "c"
	pu.Memberships[0].Invite.ResentCount = 99
	got := must(tn.User(pu.ID))
	if v := got.Claims["nested"].(map[string]any)["list"].([]any)[0]; v != "a" {
		t.Errorf("a nested claim became %v through a copy", v)
	}
	if got.Memberships[0].Invite.ResentCount != 0 {
		t.Error("the invitation changed through a copy")
	}

	d := must(tn.Directory(acme, acmeDir))
	d.Users[0].Groups[0] = "dirgroup_0"
	d.Groups[0].DisplayName = "Renamed"
	if again := must(tn.Directory(acme, acmeDir)); again.Users[0].Groups[0] != engGroup || again.Groups[0].DisplayName != "Engineering" {
		t.Errorf("the directory changed through a copy: %+v", again)
	}
	c, _ := tn.ConnectionByID(acmeConn)
	c.Domains = append(c.Domains, "x.test")
	r, _ := tn.Role("admin")
	r.Permissions[0] = "everything"
	if r2, _ := tn.Role("admin"); r2.Permissions[0] != "organization:manage" {
		t.Error("a role changed through a copy")
	}
}
