package tenant_test

import (
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestDomains: a domain is verified, of the organization type unless said
// otherwise, one organization's only in any case, and checked as a name;
// only an organization domain routes sign-ins.
func TestDomains(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	d := must(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: " Globex-Corp.TEST "}))
	if d.Name != "globex-corp.test" || d.Type != tenant.DomainOrganization || !d.Verified || len(d.ID) != len("dom_")+17 {
		t.Errorf("created %+v", d)
	}
	if o, ok := tn.OrgByDomain("GLOBEX-corp.test"); !ok || o.ID != globex {
		t.Errorf("OrgByDomain = %v, %v", o.ID, ok)
	}
	cf := wantErr[*tenant.ConflictError](t, second2(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: "acme.test"})), "Acme's domain for Globex")
	if cf.Field != "domain" {
		t.Errorf("conflict on %q", cf.Field)
	}
	for _, bad := range []string{"https://x.test/", "@x.test", "localhost", "a..b", "-a.test", "a b.test"} {
		wantErr[*tenant.InvalidError](t, second2(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: bad})), "domain "+bad)
	}
	wantErr[*tenant.InvalidError](t, second2(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: "ok.test", Type: "PRIMARY"})), "an unknown type")
	a := must(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: "partners.test", Type: tenant.DomainAllowedEmail}))
	if _, ok := tn.OrgByDomain("partners.test"); ok {
		t.Error("an allowed email domain routes sign-ins")
	}
	all := must(tn.ListDomains(globex, "", tenant.Page{}))
	if all.Total != 3 || all.Items[0].Name != "globex.test" || all.Items[2].ID != a.ID {
		t.Errorf("Globex's domains %+v", all.Items)
	}
	if l := must(tn.ListDomains(globex, tenant.DomainAllowedEmail, tenant.Page{})); l.Total != 1 || l.Items[0].ID != a.ID {
		t.Errorf("allowed email domains %+v", l.Items)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.Domain(acme, d.ID)), "Globex's domain asked of Acme")
	if err := tn.DeleteDomain(globex, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := tn.OrgByDomain("globex-corp.test"); ok {
		t.Error("a deleted domain still routes")
	}
	must(tn.CreateDomain(tenant.Domain{OrgID: acme, Name: "globex-corp.test"})) // free again
}

// TestConnections: the fixtures' connections are enabled and COMPLETED;
// the API's are DRAFT and off until enabled; EnabledConnection, which
// routes sign-ins, skips disabled ones; ListConnections finds them by
// organization, or by a domain of the organization or of the connection.
func TestConnections(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	fixed, ok := tn.ConnectionByID(acmeConn)
	if !ok || !fixed.Enabled || fixed.Status != "COMPLETED" || fixed.OrgID != acme || fixed.Type != "OIDC" || fixed.Provider != "OKTA" {
		t.Fatalf("the fixtures' connection %+v", fixed)
	}
	made := must(tn.CreateConnection(tenant.Connection{OrgID: acme, Type: "saml", Provider: "okta", Domains: []string{"Acme-EU.test"}}))
	if made.Enabled || made.Status != "DRAFT" || made.Type != "SAML" || made.Provider != "OKTA" || !slices.Equal(made.Domains, []string{"acme-eu.test"}) {
		t.Errorf("created %+v", made)
	}
	wantErr[*tenant.InvalidError](t, second2(tn.CreateConnection(tenant.Connection{OrgID: acme, Type: "LDAP"})), "an unknown type")
	wantErr[*tenant.NotFoundError](t, second2(tn.CreateConnection(tenant.Connection{OrgID: "org_00000000000000000"})), "an unknown organization")

	c.Advance(time.Minute)
	off := must(tn.SetConnectionEnabled(acme, acmeConn, false))
	if off.Enabled || !off.UpdateTime.Equal(c.Now()) {
		t.Errorf("disabled %+v", off)
	}
	if _, ok := tn.EnabledConnection(acme); ok {
		t.Error("an organization whose connections are all off has an enabled one")
	}
	must(tn.SetConnectionEnabled(acme, made.ID, true))
	if e, ok := tn.EnabledConnection(acme); !ok || e.ID != made.ID {
		t.Errorf("EnabledConnection = %s, %v, want the one turned on", e.ID, ok)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.SetConnectionEnabled(globex, acmeConn, true)), "Acme's connection through Globex")

	ids := func(cs []tenant.Connection) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(tn.ListConnections(acme, "")); !slices.Equal(got, []string{acmeConn, made.ID}) {
		t.Errorf("Acme's connections %v", got)
	}
	if got := ids(tn.ListConnections("", "ACME.test")); !slices.Equal(got, []string{acmeConn, made.ID}) {
		t.Errorf("by Acme's domain: %v", got)
	}
	if got := ids(tn.ListConnections("", "acme-eu.test")); !slices.Equal(got, []string{made.ID}) {
		t.Errorf("by the connection's own domain: %v", got)
	}
	if got := tn.ListConnections("", "nowhere.test"); len(got) != 0 {
		t.Errorf("by an unknown domain: %v", got)
	}
	if got := tn.ListConnections("", ""); len(got) != 3 {
		t.Errorf("all: %v", ids(got))
	}
	if err := tn.DeleteConnection(acme, made.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := tn.ConnectionByID(made.ID); ok {
		t.Error("a deleted connection is found")
	}
}

// TestDirectories: the default fixtures' directory lists its users and
// groups, by group and by update time, and can be switched off.
func TestDirectories(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	dirs := must(tn.ListDirectories(acme))
	if len(dirs) != 1 || dirs[0].ID != acmeDir || dirs[0].Provider != "OKTA" || dirs[0].Type != "SCIM" || !dirs[0].Enabled {
		t.Fatalf("Acme's directories %+v", dirs)
	}
	if d := must(tn.ListDirectories(globex)); len(d) != 0 {
		t.Errorf("Globex's directories %+v", d)
	}
	users := must(tn.DirectoryUsers(acme, acmeDir, "", time.Time{}, tenant.Page{}))
	if users.Total != 4 || users.Items[0].Email != adaEmail || !users.Items[0].Active || users.Items[3].Active {
		t.Errorf("directory users %+v", users.Items)
	}
	eng := must(tn.DirectoryUsers(acme, acmeDir, engGroup, time.Time{}, tenant.Page{}))
	if eng.Total != 3 {
		t.Errorf("Engineering has %d users, want 3 (Ada, Grace, Ned)", eng.Total)
	}
	if page := must(tn.DirectoryUsers(acme, acmeDir, "", time.Time{}, tenant.Page{Offset: 3, Size: 2})); len(page.Items) != 1 || page.Next != -1 {
		t.Errorf("the last page %+v", page)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.DirectoryUsers(acme, acmeDir, "dirgroup_1", time.Time{}, tenant.Page{})), "an unknown group")
	if later := must(tn.DirectoryUsers(acme, acmeDir, "", c.Now(), tenant.Page{})); later.Total != 0 {
		t.Errorf("users updated after the seed: %d", later.Total)
	}
	groups := must(tn.DirectoryGroups(acme, acmeDir, time.Time{}, tenant.Page{}))
	if groups.Total != 2 || groups.Items[0].DisplayName != "Engineering" || groups.Items[0].ID != engGroup {
		t.Errorf("groups %+v", groups.Items)
	}
	if d := must(tn.SetDirectoryEnabled(acme, acmeDir, false)); d.Enabled {
		t.Error("still enabled")
	}
	if d := must(tn.Directory(acme, acmeDir)); d.Enabled || len(d.Users) != 4 {
		t.Errorf("stored %+v", d)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.Directory(globex, acmeDir)), "Acme's directory through Globex")
}
