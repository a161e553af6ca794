package tenant_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestChangesArePublishedInOrderOutsideTheLock: concurrent writers'
// changes reach OnChange's function one at a time, in the order the
// changes were made (the order ListOrgs keeps), before each writer
// returns; and the function reads the tenant, which would deadlock under
// the write lock.
func TestChangesArePublishedInOrderOutsideTheLock(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var mu sync.Mutex
	var seen []string
	busy := false
	tn.OnChange(func(c tenant.Change) {
		mu.Lock()
		if busy {
			t.Error("OnChange's function was called while another call was running")
		}
		busy = true
		mu.Unlock()
		if c.Type == events.OrgCreated {
			if _, err := tn.Org(c.Org.ID); err != nil { // reads the tenant
				t.Errorf("the organization of %s is not visible to OnChange: %v", c.Type, err)
			}
		}
		mu.Lock()
		seen = append(seen, string(c.Type)+" "+c.OrgID())
		busy = false
		mu.Unlock()
	})
	before := tn.ListOrgs(tenant.Page{Size: 1000}, "").Total
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 20 {
				o, err := tn.CreateOrg(tenant.Org{DisplayName: fmt.Sprintf("org %d-%d", w, i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				published := slices.Contains(seen, "organization.created "+o.ID)
				mu.Unlock()
				if !published {
					t.Errorf("CreateOrg returned before its change was published")
				}
			}
		})
	}
	wg.Wait()
	var want []string
	for _, o := range tn.ListOrgs(tenant.Page{Size: 1000}, "").Items[before:] {
		want = append(want, "organization.created "+o.ID)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("published %d changes in this order:\n%v\nthe organizations were made in this one:\n%v", len(seen), seen, want)
	}
}

// TestChangesCarryWhatChanged: each kind of change says what it changed,
// as copies.
func TestChangesCarryWhatChanged(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var got []tenant.Change
	tn.OnChange(func(c tenant.Change) { got = append(got, c) })
	o, _ := tn.CreateOrg(tenant.Org{DisplayName: "Initech"})
	u, _ := tn.CreateUserAndMembership(o.ID, tenant.User{Email: "bill@initech.test"}, tenant.Membership{}, true)
	d, _ := tn.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "initech.test"})
	cn, _ := tn.CreateConnection(tenant.Connection{OrgID: o.ID, Type: "SAML", Provider: "OKTA"})
	tn.SetConnectionEnabled(o.ID, cn.ID, true)
	tn.DeleteMembership(o.ID, u.ID)
	tn.DeleteOrg(o.ID)
	want := []struct {
		typ  events.Type
		what string
	}{
		{events.OrgCreated, o.ID},
		{events.MembershipInvited, u.ID},
		{events.DomainCreated, d.ID},
		{events.SSOCreated, cn.ID},
		{events.SSOEnabled, cn.ID},
		{events.MembershipDeleted, u.ID},
		{events.OrgDeleted, o.ID},
	}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		c := got[i]
		var id string
		switch {
		case c.User != nil:
			id = c.User.ID
		case c.Domain != nil:
			id = c.Domain.ID
		case c.Connection != nil:
			id = c.Connection.ID
		case c.Org != nil:
			id = c.Org.ID
		}
		if c.Type != w.typ || id != w.what || c.OrgID() != o.ID {
			t.Errorf("change %d: %s of %s in %s, want %s of %s in %s", i, c.Type, id, c.OrgID(), w.typ, w.what, o.ID)
		}
	}
	if got[4].Connection.Enabled != true || got[3].Connection.Enabled {
		t.Error("the connection copies do not show it disabled, then enabled")
	}
}
