package tenant

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// Directory sync: the users and groups an organization's IdP pushes to a
// directory over SCIM. A SCIM request names only the directory (its token
// was checked against it), so these methods take the directory's ID
// alone. The SCIM rules (which attributes, which filters) are the scim
// package's; the tenant keeps the records, their uniqueness and the
// events.
//
// A directory keeps its users and groups in slices, in the order they were
// made: look-ups walk them. A directory of 10,000 users answers a look-up
// in tens of microseconds, which is far below what an IdP waits for.

// MaxSCIMBytes bounds the SCIM JSON kept of one user or group: what an
// IdP sends of one person is a few kilobytes.
const MaxSCIMBytes = 64 << 10

// DirMember is a user in a group, as the group lists it.
type DirMember struct {
	ID       string // diruser_…
	UserName string // DirUser.UserName
}

// DirUsersPage is what a look-up of a directory's users found.
type DirUsersPage struct {
	Items []DirUser
	Total int // the users that matched, before paging
	// GroupNames are the display names of the groups the items are in,
	// by group ID.
	GroupNames map[string]string
}

// DirGroupsPage is what a look-up of a directory's groups found.
type DirGroupsPage struct {
	Items []DirGroup
	Total int
	// Members are the items' members by group ID, in the directory's order
	// of users; nil when the look-up did not ask for them.
	Members map[string][]DirMember
}

// syncDir finds a directory by its ID alone. The caller holds the lock.
func (t *Tenant) syncDir(id string) (*Directory, error) {
	d := t.dirs[id]
	if d == nil {
		return nil, &NotFoundError{Kind: "directory", ID: id}
	}
	return d, nil
}

// dirHead is a copy of a directory for a change: its groups (which name
// the user's groups in the event) but not its users, so that an event
// does not copy a large directory. The caller holds the lock.
func dirHead(d *Directory) *Directory {
	h := *d
	h.Users, h.Token = nil, "" // no event needs the token
	h.Groups = slices.Clone(d.Groups)
	return &h
}

// synced notes a push: the directory's last sync is now, and the change
// is made durable. The caller holds the write lock.
func (t *Tenant) synced(d *Directory, now time.Time) {
	d.LastSync = now
	t.changed()
}

// FindDirUsers returns the users of a directory that match (all when match
// is nil), offset and limit applied to them in creation order (limit < 0:
// no limit). match is called under the tenant's read lock with the stored
// user: it must not keep or change it.
func (t *Tenant) FindDirUsers(dirID string, match func(*DirUser) bool, offset, limit int) (DirUsersPage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirUsersPage{}, err
	}
	out := DirUsersPage{GroupNames: map[string]string{}}
	for i := range d.Users {
		u := &d.Users[i]
		if match != nil && !match(u) {
			continue
		}
		out.Total++
		if out.Total <= offset || (limit >= 0 && len(out.Items) >= limit) {
			continue
		}
		out.Items = append(out.Items, u.clone())
		for _, g := range u.Groups {
			out.GroupNames[g] = ""
		}
	}
	for _, g := range d.Groups {
		if _, ok := out.GroupNames[g.ID]; ok {
			out.GroupNames[g.ID] = g.DisplayName
		}
	}
	return out, nil
}

// FindDirGroups returns the groups of a directory that match, as
// FindDirUsers does, with their members when members is true.
func (t *Tenant) FindDirGroups(dirID string, match func(*DirGroup) bool, offset, limit int, members bool) (DirGroupsPage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirGroupsPage{}, err
	}
	var out DirGroupsPage
	for i := range d.Groups {
		g := &d.Groups[i]
		if match != nil && !match(g) {
			continue
		}
		out.Total++
		if out.Total <= offset || (limit >= 0 && len(out.Items) >= limit) {
			continue
		}
		out.Items = append(out.Items, *g)
	}
	if members && len(out.Items) > 0 {
		out.Members = make(map[string][]DirMember, len(out.Items))
		for _, g := range out.Items {
			out.Members[g.ID] = []DirMember{}
		}
		for _, u := range d.Users {
			for _, gid := range u.Groups {
				if ms, ok := out.Members[gid]; ok {
					out.Members[gid] = append(ms, DirMember{ID: u.ID, UserName: u.UserName()})
				}
			}
		}
	}
	return out, nil
}

// userNameKey is how userNames are compared: case-insensitively (RFC 7643
// §4.1.1: userName is not case-exact).
func userNameKey(u *DirUser) string { return strings.ToLower(u.UserName()) }

// checkDirUser normalises a user an IdP wrote and checks it against the
// directory's other users. The caller holds the lock.
func checkDirUser(d *Directory, u *DirUser) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	for i, e := range u.Emails {
		u.Emails[i] = strings.ToLower(strings.TrimSpace(e))
	}
	if strings.TrimSpace(u.PreferredUsername) == "" {
		return &InvalidError{Field: "userName", Reason: "is required: every SCIM user has a userName, such as the user's email"}
	}
	if len(u.SCIM) > MaxSCIMBytes {
		return &InvalidError{Field: "user", Reason: "is larger than the 64 KiB the mock keeps of one user: send fewer or shorter attributes"}
	}
	key := userNameKey(u)
	for i := range d.Users {
		if o := &d.Users[i]; o.ID != u.ID && userNameKey(o) == key {
			return &ConflictError{Field: "userName", Value: u.UserName()}
		}
	}
	return nil
}

// CreateDirUser adds a user the directory's IdP pushed (SCIM POST /Users):
// a new ID, in no group (a user joins a group by the group's members).
// Its userName must be unique in the directory.
func (t *Tenant) CreateDirUser(dirID string, u DirUser) (DirUser, error) {
	u = u.clone()
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirUser{}, err
	}
	u.ID = ""
	if err := checkDirUser(d, &u); err != nil {
		return DirUser{}, err
	}
	now := t.now()
	u.ID = t.newID("diruser_")
	u.Groups = nil
	u.CreateTime, u.UpdateTime = now, now
	d.Users = append(d.Users, u.clone())
	t.synced(d, now)
	c := u.clone()
	t.emit(Change{Type: events.DirUserCreated, Directory: dirHead(d), DirUser: &c})
	return u, nil
}

// UpdateDirUser changes a directory user with f (SCIM PUT or PATCH), which
// gets a copy to change; its ID, groups and creation time stay. A change
// that changes nothing is no event. f runs under the write lock, which
// holds up every other request of the environment: it should only check
// and store what was worked out before (as the SCIM PATCH does).
func (t *Tenant) UpdateDirUser(dirID, id string, f func(*DirUser) error) (DirUser, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirUser{}, err
	}
	i := slices.IndexFunc(d.Users, func(u DirUser) bool { return u.ID == id })
	if i < 0 {
		return DirUser{}, &NotFoundError{Kind: "user", ID: id}
	}
	old := d.Users[i]
	u := old.clone()
	if err := f(&u); err != nil {
		return DirUser{}, err
	}
	u.ID, u.Groups, u.CreateTime, u.UpdateTime = old.ID, slices.Clone(old.Groups), old.CreateTime, old.UpdateTime
	if err := checkDirUser(d, &u); err != nil {
		return DirUser{}, err
	}
	if reflect.DeepEqual(normalEmpty(old), normalEmpty(u)) {
		return u, nil
	}
	now := t.now()
	u.UpdateTime = now
	d.Users[i] = u.clone()
	t.synced(d, now)
	c := u.clone()
	t.emit(Change{Type: events.DirUserUpdated, Directory: dirHead(d), DirUser: &c})
	return u, nil
}

// normalEmpty is a user with empty slices as nil, so that comparing two
// versions of it sees only real changes.
func normalEmpty(u DirUser) DirUser {
	for _, s := range []*[]string{&u.Groups, &u.Roles, &u.Emails} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return u
}

// DeleteDirUser removes a directory user (SCIM DELETE /Users/{id}), and so
// its memberships.
func (t *Tenant) DeleteDirUser(dirID, id string) (DirUser, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirUser{}, err
	}
	i := slices.IndexFunc(d.Users, func(u DirUser) bool { return u.ID == id })
	if i < 0 {
		return DirUser{}, &NotFoundError{Kind: "user", ID: id}
	}
	u := d.Users[i]
	d.Users = slices.Delete(d.Users, i, i+1)
	t.synced(d, t.now())
	c := u.clone()
	t.emit(Change{Type: events.DirUserDeleted, Directory: dirHead(d), DirUser: &c})
	return u, nil
}

// checkDirGroup normalises a group an IdP wrote and checks it against the
// directory's other groups: display names are unique in a directory, as
// the fixtures require. The caller holds the lock.
func checkDirGroup(d *Directory, g *DirGroup) error {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	if g.DisplayName == "" {
		return &InvalidError{Field: "displayName", Reason: "is required: every SCIM group has a displayName"}
	}
	if len(g.SCIM) > MaxSCIMBytes {
		return &InvalidError{Field: "group", Reason: "is larger than the 64 KiB the mock keeps of one group (members aside): send fewer or shorter attributes"}
	}
	for _, o := range d.Groups {
		if o.ID != g.ID && o.DisplayName == g.DisplayName {
			return &ConflictError{Field: "displayName", Value: g.DisplayName}
		}
	}
	return nil
}

// CreateDirGroup adds a group the directory's IdP pushed (SCIM POST
// /Groups), with members, each a user of the directory.
func (t *Tenant) CreateDirGroup(dirID string, g DirGroup, members []string) (DirGroup, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirGroup{}, err
	}
	g.ID = ""
	if err := checkDirGroup(d, &g); err != nil {
		return DirGroup{}, err
	}
	if err := checkMembers(d, members); err != nil {
		return DirGroup{}, err
	}
	now := t.now()
	g.ID = t.newID("dirgroup_")
	g.CreateTime, g.UpdateTime = now, now
	d.Groups = append(d.Groups, g)
	t.synced(d, now)
	c := g
	t.emit(Change{Type: events.DirGroupCreated, Directory: dirHead(d), DirGroup: &c})
	t.setMembers(d, g.ID, members, now)
	return g, nil
}

// UpdateDirGroup changes a group and its members with f (SCIM PUT or
// PATCH), which gets a copy of the group and its member IDs and returns
// the new member IDs. A group whose members change is
// organization.directory.group_updated, and each user who joined or left
// it is organization.directory.user_updated: Scalekit's group-based role
// assignment tells the app of a new member by the user's update. f runs
// under the write lock, as UpdateDirUser's does; what runs here besides
// it is linear in the directory's users (memberIDs, checkMembers,
// setMembers) but for sorting the two member lists.
func (t *Tenant) UpdateDirGroup(dirID, id string, f func(g *DirGroup, members []string) ([]string, error)) (DirGroup, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirGroup{}, err
	}
	i := slices.IndexFunc(d.Groups, func(g DirGroup) bool { return g.ID == id })
	if i < 0 {
		return DirGroup{}, &NotFoundError{Kind: "group", ID: id}
	}
	old := d.Groups[i]
	before := memberIDs(d, id)
	g := old
	after, err := f(&g, slices.Clone(before))
	if err != nil {
		return DirGroup{}, err
	}
	g.ID, g.CreateTime, g.UpdateTime = old.ID, old.CreateTime, old.UpdateTime
	if err := checkDirGroup(d, &g); err != nil {
		return DirGroup{}, err
	}
	if err := checkMembers(d, after); err != nil {
		return DirGroup{}, err
	}
	same := slices.Equal(sortedSet(before), sortedSet(after))
	if g == old && same {
		return g, nil
	}
	now := t.now()
	g.UpdateTime = now
	d.Groups[i] = g
	t.synced(d, now)
	c := g
	t.emit(Change{Type: events.DirGroupUpdated, Directory: dirHead(d), DirGroup: &c})
	if !same {
		t.setMembers(d, id, after, now)
	}
	return g, nil
}

// DeleteDirGroup removes a group (SCIM DELETE /Groups/{id}); its members
// leave it, each a user_updated.
func (t *Tenant) DeleteDirGroup(dirID, id string) (DirGroup, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.syncDir(dirID)
	if err != nil {
		return DirGroup{}, err
	}
	i := slices.IndexFunc(d.Groups, func(g DirGroup) bool { return g.ID == id })
	if i < 0 {
		return DirGroup{}, &NotFoundError{Kind: "group", ID: id}
	}
	g := d.Groups[i]
	now := t.now()
	t.synced(d, now)
	// The group goes first, so that the members' updates no longer name it.
	d.Groups = slices.Delete(d.Groups, i, i+1)
	c := g
	t.emit(Change{Type: events.DirGroupDeleted, Directory: dirHead(d), DirGroup: &c})
	t.setMembers(d, id, nil, now)
	return g, nil
}

// memberIDs are a group's members, in the directory's order of users.
// The caller holds the lock.
func memberIDs(d *Directory, groupID string) []string {
	var out []string
	for _, u := range d.Users {
		if slices.Contains(u.Groups, groupID) {
			out = append(out, u.ID)
		}
	}
	return out
}

// checkMembers checks that every member is a user of the directory. The
// caller holds the lock.
func checkMembers(d *Directory, members []string) error {
	if len(members) == 0 {
		return nil
	}
	users := make(map[string]bool, len(d.Users))
	for _, u := range d.Users {
		users[u.ID] = true
	}
	for _, m := range members {
		if !users[m] {
			return &InvalidError{Field: "members", Reason: "member " + m + " is not a user of this directory: create the user (POST /Users) and use the id it was given; the mock's groups hold users only, not groups"}
		}
	}
	return nil
}

// setMembers makes members the group's members: each user who joins or
// leaves has the group added to or removed from their groups, an update
// of the user. The caller holds the write lock and has checked members.
func (t *Tenant) setMembers(d *Directory, groupID string, members []string, now time.Time) {
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m] = true
	}
	head := dirHead(d)
	for i := range d.Users {
		u := &d.Users[i]
		in := slices.Contains(u.Groups, groupID)
		switch {
		case want[u.ID] && !in:
			u.Groups = append(u.Groups, groupID)
		case !want[u.ID] && in:
			u.Groups = without(u.Groups, groupID)
		default:
			continue
		}
		u.UpdateTime = now
		c := u.clone()
		t.emit(Change{Type: events.DirUserUpdated, Directory: head, DirUser: &c})
	}
}

// sortedSet is ids sorted without repeats, to compare member lists.
func sortedSet(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return slices.Compact(s)
}
