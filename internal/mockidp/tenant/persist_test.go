package tenant_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"go.yaml.in/yaml/v3"
)

// changeEverything makes a change of every kind, so that a round trip
// that drops one shows.
func changeEverything(t *testing.T, tn *tenant.Tenant, c *clock) {
	t.Helper()
	o := must(tn.CreateOrg(tenant.Org{DisplayName: "Initech", ExternalID: "INI", Slug: "initech", LogoURL: "https://initech.test/logo.png",
		RegionCode: "EU", Metadata: map[string]string{"plan": "free"}, Features: map[string]bool{"dir_sync": true}}))
	must(tn.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "initech.test"}))
	must(tn.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "initech-partners.test", Type: tenant.DomainAllowedEmail}))
	conn := must(tn.CreateConnection(tenant.Connection{OrgID: o.ID, Type: "SAML", Provider: "AZURE_AD", Domains: []string{"initech.eu"}}))
	must(tn.SetConnectionEnabled(acme, acmeConn, false))
	must(tn.SetConnectionEnabled(o.ID, conn.ID, true))
	must(tn.SetDirectoryEnabled(acme, acmeDir, false))
	// What a SCIM push makes: a user with the IdP's document, one with no
	// email, a group with a member.
	bj := must(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "bjensen", ExternalID: "EXT-BJ", Email: "bjensen@example.com",
		Emails: []string{"bjensen@example.com", "babs@example.org"}, GivenName: "Barbara", FamilyName: "Jensen", Name: "Ms. Barbara J Jensen III",
		DisplayName: "Babs Jensen", Active: true, SCIM: `{"userName":"bjensen","externalId":"EXT-BJ"}`}))
	must(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "no-mail", Active: false}))
	must(tn.CreateDirGroup(acmeDir, tenant.DirGroup{DisplayName: "Tour Guides", ExternalID: "EXT-TG", SCIM: `{"displayName":"Tour Guides"}`}, []string{bj.ID}))
	must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "peter@initech.test", GivenName: "Peter", FamilyName: "Gibbons",
		ExternalID: "EMP-9", Metadata: map[string]string{"desk": "4"}}, tenant.Membership{Permissions: []string{"tps:file"}}, false))
	must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "milton@initech.test"}, tenant.Membership{Metadata: map[string]string{"floor": "b"}}, true))
	must(tn.CreateMembership(o.ID, hank, tenant.Membership{Roles: []string{"admin"}}, false))
	must(tn.UpdateUser(grace, func(u *tenant.User) error { u.EmailVerified = false; u.Locale = "en-US"; return nil }))
	must(tn.SignUp("solo@startup.test"))
	if err := tn.DeleteMembership(acme, hank); err != nil {
		t.Fatal(err)
	}
	if err := tn.DeleteOrg(globex); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	tn.SignedIn(ada, acme)
}

// TestSaveLoadRoundTrip: a tenant saved to a state directory and loaded by
// a new environment seeded from the same fixtures is the same tenant,
// times and order included, and says its seed is unchanged.
func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	changeEverything(t, tn, c)
	dir := t.TempDir()
	if err := tn.Save(dir); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(dir, "tenant.json")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("tenant.json: %v, %v", info, err)
	}
	back, _ := newTenant(t)
	if err := back.Load(dir); err != nil {
		t.Fatal(err)
	}
	if back.SeedChanged() {
		t.Error("the same fixtures count as changed")
	}
	if a, b := tn.ListUsers(tenant.Page{Size: 100}), back.ListUsers(tenant.Page{Size: 100}); !reflect.DeepEqual(a, b) {
		t.Errorf("users differ after the round trip:\n%+v\n%+v", a, b)
	}
	if a, b := tn.ListOrgs(tenant.Page{Size: 100}, ""), back.ListOrgs(tenant.Page{Size: 100}, ""); !reflect.DeepEqual(a, b) {
		t.Errorf("organizations differ:\n%+v\n%+v", a, b)
	}
	for _, o := range tn.ListOrgs(tenant.Page{Size: 100}, "").Items {
		a, b := must(tn.ListOrgUsers(o.ID, tenant.Page{Size: 100})), must(back.ListOrgUsers(o.ID, tenant.Page{Size: 100}))
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s's members differ", o.DisplayName)
		}
		ad, bd := must(tn.ListDomains(o.ID, "", tenant.Page{})), must(back.ListDomains(o.ID, "", tenant.Page{}))
		if !reflect.DeepEqual(ad, bd) {
			t.Errorf("%s's domains differ: %+v vs %+v", o.DisplayName, ad, bd)
		}
		if !reflect.DeepEqual(tn.ListConnections(o.ID, ""), back.ListConnections(o.ID, "")) {
			t.Errorf("%s's connections differ", o.DisplayName)
		}
		if !reflect.DeepEqual(must(tn.ListDirectories(o.ID)), must(back.ListDirectories(o.ID))) {
			t.Errorf("%s's directories differ", o.DisplayName)
		}
	}
	if !reflect.DeepEqual(tn.Roles(), back.Roles()) {
		t.Error("roles differ")
	}
	// Indexes are rebuilt: look-ups by email, external ID and domain work.
	if u := must(back.UserByExternalID("EMP-9")); u.Email != "peter@initech.test" {
		t.Errorf("by external ID: %+v", u)
	}
	if o, ok := back.OrgByDomain("initech.test"); !ok || o.Slug != "initech" {
		t.Errorf("by domain: %+v %v", o, ok)
	}
	wantErr[*tenant.ConflictError](t, second2(back.CreateOrg(tenant.Org{DisplayName: "x", ExternalID: "INI"})), "a loaded external ID")
}

// TestLoadOtherSeedAndDamage: a state file made from other fixtures is
// loaded, and SeedChanged says so; a damaged one is an error that says
// what to do; no file leaves the seed.
func TestLoadOtherSeedAndDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other, err := fixture.Parse([]byte("organizations: [{name: Solo}]\nusers: [{email: solo@solo.test}]\napps: [{client_id: a, client_secret: b}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var g ids.Gen
	made := tenant.New(other, time.Now, g.New)
	if err := made.Save(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tenant.json")); err == nil {
		t.Error("an unchanged tenant was saved: the fixtures alone make it again")
	}
	must(made.SignUp("new@solo.test"))
	if err := made.Save(dir); err != nil {
		t.Fatal(err)
	}
	tn, _ := newTenant(t)
	if err := tn.Load(t.TempDir()); err != nil || tn.SeedChanged() {
		t.Fatalf("no file: %v, changed %v", err, tn.SeedChanged())
	}
	if err := tn.Load(dir); err != nil {
		t.Fatal(err)
	}
	if !tn.SeedChanged() {
		t.Error("a tenant.json of other fixtures is not reported")
	}
	if _, err := tn.UserByEmail("solo@solo.test"); err != nil {
		t.Error("the state file's users were not loaded")
	}
	os.WriteFile(filepath.Join(dir, "tenant.json"), []byte(`{"version":1,"organizations":[{"ID":"org_1"},{"ID":"org_1"}],"domains":[{"ID":"dom_1","OrgID":"org_2"}]}`), 0o600)
	if err := tn.Load(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a domain of no organization: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "tenant.json"), []byte(`{"version":`), 0o600)
	if err := tn.Load(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a truncated file: %v", err)
	}
}

// TestPersistGroupCommit: Persist returns with the change made before it
// on disk, also when many callers persist at once; a mere last-login time
// does not make Persist write (the background Save does).
func TestPersistGroupCommit(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	emails := make([]string, 16)
	for i := range emails {
		emails[i] = "u" + string(rune('a'+i)) + "@acme.test"
		wg.Go(func() {
			must(tn.CreateUserAndMembership(acme, tenant.User{Email: emails[i]}, tenant.Membership{}, false))
			if err := tn.Persist(dir); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	back, _ := newTenant(t)
	if err := back.Load(dir); err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		if _, err := back.UserByEmail(e); err != nil {
			t.Errorf("%s, persisted before its caller returned, is not on disk", e)
		}
	}
	before, _ := os.Stat(filepath.Join(dir, "tenant.json"))
	c.Advance(time.Minute)
	tn.SignedIn(ada, acme)
	if err := tn.Persist(dir); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(filepath.Join(dir, "tenant.json")); !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Error("Persist rewrote the tenant for a last-login time")
	}
	if err := tn.Save(dir); err != nil {
		t.Fatal(err)
	}
	back2, _ := newTenant(t)
	back2.Load(dir)
	if u := must(back2.User(ada)); !u.LastLogin.Equal(c.Now()) {
		t.Errorf("Save did not write the last login: %v", u.LastLogin)
	}
}

// TestExportRoundTrip: the export, as JSON and as YAML, is a fixtures file
// that fixture.Parse takes, and a tenant seeded from it exports the same:
// what was built through the API can seed CI.
func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	changeEverything(t, tn, c)
	first := tn.Export()
	j, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"JSON": j, "YAML": y} {
		fx, err := fixture.Parse(data)
		if err != nil {
			t.Fatalf("%s export does not parse: %v\n%s", name, err, data)
		}
		var g ids.Gen
		again := tenant.New(fx, c.Now, g.New).Export()
		if !reflect.DeepEqual(first, again) {
			a, _ := json.Marshal(again)
			t.Errorf("%s: the tenant seeded from the export exports differently:\n%s\n%s", name, j, a)
		}
	}
	// What the changes made is in it.
	var peter *fixture.User
	for i := range first.Users {
		if first.Users[i].Email == "peter@initech.test" {
			peter = &first.Users[i]
		}
	}
	if peter == nil || peter.ExternalID != "EMP-9" || peter.Memberships[0].Permissions[0] != "tps:file" {
		t.Errorf("Peter in the export: %+v", peter)
	}
	if len(first.Apps) != 3 || first.Apps[2].Organization != acme {
		t.Errorf("apps %+v", first.Apps)
	}
}

// TestExportDropsDeletedAppOrg: an M2M app of an organization since
// deleted loses its organization in the export, which would not parse
// otherwise.
func TestExportDropsDeletedAppOrg(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	if err := tn.DeleteOrg(acme); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(tn.Export())
	if _, err := fixture.Parse(data); err != nil {
		t.Errorf("the export after deleting Acme: %v", err)
	}
}
