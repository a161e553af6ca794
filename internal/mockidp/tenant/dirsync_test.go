package tenant_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// changeLog records the changes a tenant publishes. OnChange's function
// runs before the method that made the change returns, so no waiting is
// needed.
type changeLog struct {
	mu sync.Mutex
	cs []tenant.Change
}

func recordChanges(tn *tenant.Tenant) *changeLog {
	l := &changeLog{}
	tn.OnChange(func(c tenant.Change) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.cs = append(l.cs, c)
	})
	return l
}

// types are the types of the changes published since the last take, which
// stay for the next take.
func (l *changeLog) types() []events.Type {
	l.mu.Lock()
	defer l.mu.Unlock()
	return types(l.cs)
}

// take returns the changes published since the last take.
func (l *changeLog) take() []tenant.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.cs
	l.cs = nil
	return cs
}

func types(cs []tenant.Change) []events.Type {
	var out []events.Type
	for _, c := range cs {
		out = append(out, c.Type)
	}
	return out
}

// TestDirUserLifecycle: a pushed user is stored with a new ID, listed,
// found by userName whatever its case, changed, and deleted, each an event
// that carries the user and the directory; the directory's last sync
// moves with every push.
func TestDirUserLifecycle(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	log := recordChanges(tn)
	c.Advance(time.Minute)
	u := must(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "BJensen", Email: "BJensen@Example.com", Active: true,
		Groups: []string{engGroup}, SCIM: `{"userName":"BJensen"}`}))
	if u.ID == "" || u.Email != "bjensen@example.com" || len(u.Groups) != 0 || !u.CreateTime.Equal(c.Now()) {
		t.Errorf("created %+v: want a new ID, the email lower-cased, no groups (a group's members say who is in it), made now", u)
	}
	cs := log.take()
	if len(cs) != 1 || cs[0].Type != events.DirUserCreated || cs[0].DirUser.ID != u.ID || cs[0].Directory.ID != acmeDir || cs[0].OrgID() != acme {
		t.Fatalf("changes %+v, want one user_created of the user in Acme's directory", cs)
	}
	if cs[0].Directory.Token != "" || cs[0].Directory.Users != nil || len(cs[0].Directory.Groups) != 2 {
		t.Errorf("the change's directory: %+v; want its groups (to name the user's) and neither its users nor its token", cs[0].Directory)
	}
	d := must(tn.Directory(acme, acmeDir))
	if !d.LastSync.Equal(c.Now()) {
		t.Errorf("last sync %v, want the push's time %v", d.LastSync, c.Now())
	}

	found := must(tn.FindDirUsers(acmeDir, func(x *tenant.DirUser) bool { return x.UserName() == "BJensen" }, 0, -1))
	if found.Total != 1 || found.Items[0].SCIM != `{"userName":"BJensen"}` {
		t.Errorf("by userName: %+v", found)
	}
	wantErr[*tenant.ConflictError](t, second(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "bjensen"})), "the same userName in another case")
	wantErr[*tenant.InvalidError](t, second(tn.CreateDirUser(acmeDir, tenant.DirUser{Email: "x@acme.test"})), "no userName")
	wantErr[*tenant.NotFoundError](t, second(tn.CreateDirUser("dir_nope", tenant.DirUser{PreferredUsername: "x"})), "no such directory")
	if cs := log.take(); len(cs) != 0 {
		t.Errorf("refused pushes published %v", types(cs))
	}

	c.Advance(time.Minute)
	up := must(tn.UpdateDirUser(acmeDir, u.ID, func(x *tenant.DirUser) error { x.Active = false; x.ID = "diruser_other"; return nil }))
	if up.Active || up.ID != u.ID || !up.UpdateTime.Equal(c.Now()) {
		t.Errorf("updated %+v: want inactive, the same ID, updated now", up)
	}
	if cs := log.take(); len(cs) != 1 || cs[0].Type != events.DirUserUpdated || cs[0].DirUser.Active {
		t.Errorf("changes %v, want one user_updated of the inactive user", types(cs))
	}
	must(tn.UpdateDirUser(acmeDir, u.ID, func(x *tenant.DirUser) error { x.Active = false; return nil }))
	if cs := log.take(); len(cs) != 0 {
		t.Errorf("an update that changes nothing published %v", types(cs))
	}
	// Ada is in the fixtures' directory as ada@acme.test: taking her
	// userName is a conflict, and the update is not made.
	wantErr[*tenant.ConflictError](t, second(tn.UpdateDirUser(acmeDir, u.ID, func(x *tenant.DirUser) error { x.PreferredUsername = "ADA@acme.test"; return nil })), "another user's userName")

	gone := must(tn.DeleteDirUser(acmeDir, u.ID))
	if cs := log.take(); len(cs) != 1 || cs[0].Type != events.DirUserDeleted || cs[0].DirUser.ID != gone.ID {
		t.Errorf("changes %v, want one user_deleted", types(cs))
	}
	wantErr[*tenant.NotFoundError](t, second(tn.DeleteDirUser(acmeDir, u.ID)), "deleting twice")
}

// TestDirGroupMembers: a group's members are its users' groups: adding
// and removing members is a group_updated and a user_updated for each
// user who joined or left, and deleting the group takes it from its
// members; a member who is not a user of the directory is refused.
func TestDirGroupMembers(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	log := recordChanges(tn)
	a := must(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "a@acme.test", Active: true}))
	b := must(tn.CreateDirUser(acmeDir, tenant.DirUser{PreferredUsername: "b@acme.test", Active: true}))
	log.take()

	g := must(tn.CreateDirGroup(acmeDir, tenant.DirGroup{DisplayName: "Tour Guides"}, []string{a.ID}))
	cs := log.take()
	if want := []events.Type{events.DirGroupCreated, events.DirUserUpdated}; !slices.Equal(types(cs), want) {
		t.Fatalf("creating a group with a member: %v, want %v", types(cs), want)
	}
	if u := cs[1].DirUser; u.ID != a.ID || !slices.Equal(u.Groups, []string{g.ID}) {
		t.Errorf("the member's update: %+v, want a in the new group", u)
	}
	wantErr[*tenant.ConflictError](t, second(tn.CreateDirGroup(acmeDir, tenant.DirGroup{DisplayName: "Engineering"}, nil)), "a second Engineering")
	wantErr[*tenant.InvalidError](t, second(tn.CreateDirGroup(acmeDir, tenant.DirGroup{DisplayName: "Ghosts"}, []string{"diruser_nobody"})), "a member who is no user")

	must(tn.UpdateDirGroup(acmeDir, g.ID, func(_ *tenant.DirGroup, m []string) ([]string, error) {
		return append(slices.DeleteFunc(m, func(id string) bool { return id == a.ID }), b.ID), nil
	}))
	cs = log.take()
	if want := []events.Type{events.DirGroupUpdated, events.DirUserUpdated, events.DirUserUpdated}; !slices.Equal(types(cs), want) {
		t.Fatalf("swapping members: %v, want %v", types(cs), want)
	}
	page := must(tn.FindDirGroups(acmeDir, func(x *tenant.DirGroup) bool { return x.ID == g.ID }, 0, -1, true))
	if ms := page.Members[g.ID]; len(ms) != 1 || ms[0].ID != b.ID || ms[0].UserName != "b@acme.test" {
		t.Errorf("members after the swap: %+v, want b alone", ms)
	}
	users := must(tn.FindDirUsers(acmeDir, func(x *tenant.DirUser) bool { return x.ID == b.ID }, 0, -1))
	if users.GroupNames[g.ID] != "Tour Guides" {
		t.Errorf("the names of b's groups: %v", users.GroupNames)
	}
	must(tn.UpdateDirGroup(acmeDir, g.ID, func(_ *tenant.DirGroup, m []string) ([]string, error) { return m, nil }))
	if cs := log.take(); len(cs) != 0 {
		t.Errorf("an update that changes nothing published %v", types(cs))
	}

	must(tn.DeleteDirGroup(acmeDir, g.ID))
	cs = log.take()
	if want := []events.Type{events.DirGroupDeleted, events.DirUserUpdated}; !slices.Equal(types(cs), want) {
		t.Fatalf("deleting the group: %v, want %v", types(cs), want)
	}
	if u := cs[1].DirUser; u.ID != b.ID || len(u.Groups) != 0 {
		t.Errorf("the member's update: %+v, want b in no group", u)
	}
	for _, g2 := range cs[1].Directory.Groups {
		if g2.ID == g.ID {
			t.Error("the member's update still names the deleted group among the directory's")
		}
	}
}

// TestFindDirUsersPaging: offset and limit page the matches, and Total
// counts them all.
func TestFindDirUsersPaging(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	all := must(tn.FindDirUsers(acmeDir, nil, 0, -1))
	if all.Total != 4 || len(all.Items) != 4 {
		t.Fatalf("the fixtures' directory: %d users of %d, want 4", len(all.Items), all.Total)
	}
	p := must(tn.FindDirUsers(acmeDir, nil, 1, 2))
	if p.Total != 4 || len(p.Items) != 2 || p.Items[0].ID != all.Items[1].ID || p.Items[1].ID != all.Items[2].ID {
		t.Errorf("offset 1 limit 2: %d of %d", len(p.Items), p.Total)
	}
	if p := must(tn.FindDirUsers(acmeDir, nil, 0, 0)); p.Total != 4 || len(p.Items) != 0 {
		t.Errorf("limit 0: %d of %d, want the count alone", len(p.Items), p.Total)
	}
}
