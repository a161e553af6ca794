package tenant

import (
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// AdoptSignUps takes in the users that signed up before the tenant
// existed, which older state files kept beside the sessions: each keeps
// its ID, so its sessions and refresh tokens still name it. An
// organization a sign-up made, which only its ID recorded then, is made
// again with that ID. Users the tenant has already (by ID or email) are
// skipped.
func (t *Tenant) AdoptSignUps(users []fixture.User) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, fu := range users {
		email := strings.ToLower(fu.Email)
		if _, ok := t.users[fu.ID]; ok || fu.ID == "" {
			continue
		}
		if _, ok := t.userByEmail[email]; ok {
			continue
		}
		u := &User{ID: fu.ID, Email: email, EmailVerified: true, CreateTime: now, UpdateTime: now}
		local, _, _ := strings.Cut(email, "@")
		for _, fm := range fu.Memberships {
			if _, member := u.Membership(fm.Organization); member || fm.Organization == "" {
				continue
			}
			if t.orgs[fm.Organization] == nil {
				t.addOrg(&Org{ID: fm.Organization, DisplayName: local + "'s organization", RegionCode: "US",
					Features: DefaultFeatures(), CreateTime: now, UpdateTime: now})
			}
			roles := slices.DeleteFunc(slices.Clone(fm.Roles), func(r string) bool { return t.roles[r] == nil })
			m, _ := t.newMembership(fm.Organization, Membership{Roles: roles}, false, now) // the roles exist
			t.join(u, m)
		}
		t.addUser(u)
		t.changed()
	}
}
