package tenant

import (
	"slices"
	"time"
)

// ListDirectories lists an organization's directories in creation order.
func (t *Tenant) ListDirectories(orgID string) ([]Directory, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.orgs[orgID] == nil {
		return nil, &NotFoundError{Kind: "organization", ID: orgID}
	}
	out := []Directory{}
	for _, id := range t.perOrg[orgID].dirs {
		out = append(out, t.dirs[id].clone())
	}
	return out, nil
}

// directory finds a directory of an organization. The caller holds the
// lock.
func (t *Tenant) directory(orgID, id string) (*Directory, error) {
	if t.orgs[orgID] == nil {
		return nil, &NotFoundError{Kind: "organization", ID: orgID}
	}
	d := t.dirs[id]
	if d == nil || d.OrgID != orgID {
		return nil, &NotFoundError{Kind: "directory", ID: id}
	}
	return d, nil
}

// Directory returns a directory of an organization, with its users and
// groups.
func (t *Tenant) Directory(orgID, id string) (Directory, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, err := t.directory(orgID, id)
	if err != nil {
		return Directory{}, err
	}
	return d.clone(), nil
}

// SetDirectoryEnabled enables or disables a directory.
func (t *Tenant) SetDirectoryEnabled(orgID, id string, on bool) (Directory, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.directory(orgID, id)
	if err != nil {
		return Directory{}, err
	}
	if d.Enabled != on {
		d.Enabled = on
		d.UpdateTime = t.now()
		t.changed()
	}
	return d.clone(), nil
}

// DirectoryUsers lists a directory's users, of one group when groupID is
// set, updated after `after` when not zero.
func (t *Tenant) DirectoryUsers(orgID, dirID, groupID string, after time.Time, p Page) (Listed[DirUser], error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, err := t.directory(orgID, dirID)
	if err != nil {
		return Listed[DirUser]{}, err
	}
	if groupID != "" && !slices.ContainsFunc(d.Groups, func(g DirGroup) bool { return g.ID == groupID }) {
		return Listed[DirUser]{}, &NotFoundError{Kind: "group", ID: groupID}
	}
	var items []DirUser
	for _, u := range d.Users {
		if (groupID == "" || slices.Contains(u.Groups, groupID)) && (after.IsZero() || u.UpdateTime.After(after)) {
			items = append(items, u.clone())
		}
	}
	return pageOfItems(items, p), nil
}

// DirectoryGroups lists a directory's groups, updated after `after` when
// not zero.
func (t *Tenant) DirectoryGroups(orgID, dirID string, after time.Time, p Page) (Listed[DirGroup], error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, err := t.directory(orgID, dirID)
	if err != nil {
		return Listed[DirGroup]{}, err
	}
	var items []DirGroup
	for _, g := range d.Groups {
		if after.IsZero() || g.UpdateTime.After(after) {
			items = append(items, g)
		}
	}
	return pageOfItems(items, p), nil
}
