package tenant_test

import (
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestPendingDomainVerified: a domain the portal adds is pending and
// routes no sign-in; verifying it makes it route and emits the DNS
// verification event once, with the domain and its organization; the
// API's CreateDomain still verifies at once.
func TestPendingDomainVerified(t *testing.T) {
	t.Parallel()
	tn, clk := newTenant(t)
	log := recordChanges(tn)
	d := must(tn.CreatePendingDomain(tenant.Domain{OrgID: globex, Name: " Portal.TEST "}))
	if d.Verified || d.Name != "portal.test" || d.Type != tenant.DomainOrganization {
		t.Fatalf("pending domain %+v, want portal.test, unverified, ORGANIZATION_DOMAIN", d)
	}
	if _, ok := tn.OrgByDomain("portal.test"); ok {
		t.Error("a pending domain routes sign-ins")
	}
	wantErr[*tenant.ConflictError](t, second2(tn.CreatePendingDomain(tenant.Domain{OrgID: globex, Name: "acme.test"})), "Acme's domain, pending")
	wantErr[*tenant.InvalidError](t, second2(tn.CreatePendingDomain(tenant.Domain{OrgID: globex, Name: "not a domain"})), "a bad name, pending")

	clk.Advance(time.Minute)
	wantErr[*tenant.NotFoundError](t, second2(tn.VerifyDomain(acme, d.ID)), "Globex's domain verified through Acme")
	v := must(tn.VerifyDomain(globex, d.ID))
	if !v.Verified || !v.UpdateTime.After(d.UpdateTime) {
		t.Errorf("verified domain %+v, want verified and updated after %v", v, d.UpdateTime)
	}
	if o, ok := tn.OrgByDomain("portal.test"); !ok || o.ID != globex {
		t.Errorf("OrgByDomain after verification = %q, %v, want Globex", o.ID, ok)
	}
	must(tn.VerifyDomain(globex, d.ID)) // again: nothing changes
	want := []events.Type{events.DomainCreated, events.DomainVerificationPassed}
	if got := log.types(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("changes %v, want %v (a second verification is no change)", got, want)
	}
	c := log.cs[1]
	if c.Domain == nil || c.Domain.ID != d.ID || !c.Domain.Verified || c.Org == nil || c.Org.ID != globex {
		t.Errorf("verification change %+v, want the verified domain and Globex", c)
	}
	if api := must(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: "api.test"})); !api.Verified {
		t.Error("the API's CreateDomain no longer verifies at once")
	}
}
