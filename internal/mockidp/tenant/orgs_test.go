package tenant_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestCreateOrgDefaults: a new organization gets an org_ ID of Scalekit's
// shape, the clock's times, region US and both features off (Scalekit
// has SSO and directory sync off until the app turns them on), and is
// found by ID and external ID.
func TestCreateOrgDefaults(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	o := must(tn.CreateOrg(tenant.Org{DisplayName: "  Initech ", ExternalID: "INI-1", Features: map[string]bool{"sso": true}}))
	if len(o.ID) != len("org_")+17 || o.ID[:4] != "org_" {
		t.Errorf("ID %q, want org_ and 17 digits", o.ID)
	}
	if o.DisplayName != "Initech" || o.RegionCode != "US" || !o.CreateTime.Equal(c.Now()) || !o.UpdateTime.Equal(c.Now()) {
		t.Errorf("created %+v", o)
	}
	if o.Features["sso"] != true || o.Features["dir_sync"] != false || len(o.Features) != 2 {
		t.Errorf("features %v, want sso on (asked) and dir_sync off (default)", o.Features)
	}
	if got := must(tn.Org(o.ID)); got.DisplayName != "Initech" {
		t.Errorf("Org(%s) = %+v", o.ID, got)
	}
	if got := must(tn.OrgByExternalID("INI-1")); got.ID != o.ID {
		t.Errorf("OrgByExternalID = %s, want %s", got.ID, o.ID)
	}
	wantErr[*tenant.InvalidError](t, second(tn.CreateOrg(tenant.Org{DisplayName: " "})), "an organization with no name")
	nf := wantErr[*tenant.NotFoundError](t, second(tn.Org("org_00000000000000000")), "an unknown organization")
	if nf.Kind != "organization" {
		t.Errorf("NotFoundError.Kind = %q", nf.Kind)
	}
	wantErr[*tenant.NotFoundError](t, second(tn.OrgByExternalID("")), "an empty external ID")
}

func second[T any](_ T, err error) error { return err }

// TestOrgUniqueness: external IDs and slugs are unique, on create and on
// update; an update that fails changes nothing.
func TestOrgUniqueness(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	cf := wantErr[*tenant.ConflictError](t, second(tn.CreateOrg(tenant.Org{DisplayName: "Copy", ExternalID: "ACME-001"})), "a taken external_id")
	if cf.Field != "external_id" || cf.Value != "ACME-001" {
		t.Errorf("conflict %+v", cf)
	}
	wantErr[*tenant.ConflictError](t, second(tn.CreateOrg(tenant.Org{DisplayName: "Copy", Slug: "acme"})), "a taken slug")
	wantErr[*tenant.ConflictError](t, second(tn.UpdateOrg(globex, func(o *tenant.Org) error { o.ExternalID = "ACME-001"; return nil })), "an update to a taken external_id")
	if g := must(tn.Org(globex)); g.ExternalID != "" {
		t.Errorf("a refused update changed Globex: %+v", g)
	}
	// Acme may keep its own external ID, and give it up for another to
	// take.
	must(tn.UpdateOrg(acme, func(o *tenant.Org) error { o.DisplayName = "Acme Inc"; return nil }))
	must(tn.UpdateOrg(acme, func(o *tenant.Org) error { o.ExternalID = "ACME-002"; return nil }))
	must(tn.UpdateOrg(globex, func(o *tenant.Org) error { o.ExternalID = "ACME-001"; return nil }))
	if g := must(tn.OrgByExternalID("ACME-001")); g.ID != globex {
		t.Errorf("ACME-001 is %s's, want Globex's after the swap", g.ID)
	}
	wantErr[*tenant.NotFoundError](t, second(tn.OrgByExternalID("ACME-003")), "an external ID never set")
}

// TestUpdateOrg: f edits a copy; the ID and creation time stay whatever f
// does; UpdateTime moves; f's error is returned with nothing changed.
func TestUpdateOrg(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	before := must(tn.Org(acme))
	c.Advance(time.Hour)
	o := must(tn.UpdateOrg(acme, func(o *tenant.Org) error {
		o.ID, o.CreateTime = "org_1", time.Time{}
		o.Metadata["tier"] = "gold"
		o.Features["sso"] = false
		return nil
	}))
	if o.ID != acme || !o.CreateTime.Equal(before.CreateTime) || !o.UpdateTime.Equal(c.Now()) {
		t.Errorf("updated %+v", o)
	}
	if got := must(tn.Org(acme)); got.Metadata["tier"] != "gold" || got.Metadata["plan"] != "enterprise" || got.Features["sso"] {
		t.Errorf("stored %+v", got)
	}
	boom := fmt.Errorf("boom")
	if _, err := tn.UpdateOrg(acme, func(o *tenant.Org) error { o.DisplayName = "Gone"; return boom }); err != boom {
		t.Errorf("f's error came back as %v", err)
	}
	if got := must(tn.Org(acme)); got.DisplayName != "Acme Corp" {
		t.Errorf("a failed update stored %q", got.DisplayName)
	}
}

// TestDeleteOrg: the organization goes with its memberships, domains,
// connections and directories; its members stay users; the domain is free
// for another organization; and the sessions signed in to it are ended
// (Removal{OrgID}).
func TestDeleteOrg(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var removed []tenant.Removal
	tn.OnRemove(func(r tenant.Removal) { removed = append(removed, r) })
	if err := tn.DeleteOrg(acme); err != nil {
		t.Fatal(err)
	}
	wantErr[*tenant.NotFoundError](t, second(tn.Org(acme)), "the deleted organization")
	wantErr[*tenant.NotFoundError](t, tn.DeleteOrg(acme), "deleting it again")
	if !slices.Equal(removed, []tenant.Removal{{OrgID: acme}}) {
		t.Errorf("removals %v, want the organization's sessions ended", removed)
	}
	h := must(tn.User(hank))
	if len(h.Memberships) != 1 || h.Memberships[0].OrgID != globex {
		t.Errorf("Hank's memberships after Acme went: %+v", h.Memberships)
	}
	if a := must(tn.User(ada)); len(a.Memberships) != 0 {
		t.Errorf("Ada, Acme's only: %+v, want no membership and still a user", a.Memberships)
	}
	if _, ok := tn.ConnectionByID(acmeConn); ok {
		t.Error("Acme's connection outlived it")
	}
	if _, ok := tn.OrgByDomain("acme.test"); ok {
		t.Error("acme.test still routes")
	}
	if l := tn.ListOrgs(tenant.Page{}, "ACME-001"); l.Total != 0 {
		t.Errorf("ACME-001 still lists %v", l.Items)
	}
	// Its external ID, slug and domain are free again.
	o := must(tn.CreateOrg(tenant.Org{DisplayName: "Acme again", ExternalID: "ACME-001", Slug: "acme"}))
	must(tn.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "acme.test"}))
}

// TestPaging: lists come in creation order, in pages with the total and
// the next page's offset, -1 on the last; a deletion closes the gap.
func TestPaging(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var made []string
	for i := range 23 {
		made = append(made, must(tn.CreateOrg(tenant.Org{DisplayName: fmt.Sprintf("Org %02d", i)})).ID)
	}
	all := append([]string{acme, globex}, made...)
	var got []string
	for off := 0; off >= 0; {
		l := tn.ListOrgs(tenant.Page{Offset: off, Size: 10}, "")
		if l.Total != 25 || len(l.Items) > 10 {
			t.Fatalf("page at %d: total %d, %d items", off, l.Total, len(l.Items))
		}
		for _, o := range l.Items {
			got = append(got, o.ID)
		}
		off = l.Next
	}
	if !slices.Equal(got, all) {
		t.Fatalf("paged through %v\nwant %v", got, all)
	}
	if l := tn.ListOrgs(tenant.Page{}, ""); len(l.Items) != tenant.DefaultPageSize || l.Next != 10 {
		t.Errorf("the default page: %d items, next %d", len(l.Items), l.Next)
	}
	if l := tn.ListOrgs(tenant.Page{Offset: 25, Size: 10}, ""); len(l.Items) != 0 || l.Next != -1 || l.Total != 25 {
		t.Errorf("past the end: %+v", l)
	}
	if l := tn.ListOrgs(tenant.Page{Offset: 20, Size: 5}, ""); len(l.Items) != 5 || l.Next != -1 {
		t.Errorf("the exact last page: %d items, next %d", len(l.Items), l.Next)
	}
	if err := tn.DeleteOrg(made[5]); err != nil {
		t.Fatal(err)
	}
	l := tn.ListOrgs(tenant.Page{Offset: 7, Size: 1}, "")
	if l.Total != 24 || l.Items[0].ID != made[6] {
		t.Errorf("after deleting the 8th: the 8th is %s, want %s (total %d)", l.Items[0].ID, made[6], l.Total)
	}
}
