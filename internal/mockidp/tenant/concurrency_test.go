package tenant_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestConcurrentUse: the API and the sign-in flow use the tenant at once;
// run with -race, this finds a getter that hands out shared state or a
// path that skips the lock. Concurrent sign-ups of one email make one
// user, and the counts add up.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	dir := t.TempDir()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	signedUp := make([]string, workers)
	for w := range workers {
		wg.Go(func() {
			o := must(tn.CreateOrg(tenant.Org{DisplayName: fmt.Sprintf("Org %d", w)}))
			for i := range each {
				u := must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: fmt.Sprintf("u%d-%d@x.test", w, i)}, tenant.Membership{}, i%2 == 0))
				must(tn.UpdateUser(u.ID, func(u *tenant.User) error { u.GivenName = "G"; return nil }))
				tn.SignedIn(u.ID, o.ID)
				for _, m := range must(tn.User(u.ID)).Memberships {
					tn.Permissions(m)
				}
				tn.ListOrgUsers(o.ID, tenant.Page{Size: 5})
				tn.ListUsers(tenant.Page{Offset: i, Size: 3})
				tn.OrgByDomain("acme.test")
				tn.EnabledConnection(acme)
			}
			signedUp[w] = must(tn.SignUp("same@race.test")).ID
			tn.Export()
			if err := tn.Persist(dir); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		for range each {
			must(tn.SetConnectionEnabled(acme, acmeConn, false))
			must(tn.SetConnectionEnabled(acme, acmeConn, true))
			must(tn.UpdateOrg(acme, func(o *tenant.Org) error { o.Metadata["n"] = "x"; return nil }))
		}
	})
	wg.Wait()
	for _, id := range signedUp {
		if id != signedUp[0] {
			t.Fatalf("concurrent sign-ups of one email made %v", signedUp)
		}
	}
	orgs, users := tn.Stats()
	// 2 seeded + 8 made + 1 by the sign-up; 3 seeded + 200 + 1.
	if orgs != 2+workers+1 || users != 3+workers*each+1 {
		t.Errorf("%d organizations and %d users", orgs, users)
	}
}
