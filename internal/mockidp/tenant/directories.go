package tenant

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
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
	defer t.unlock()
	d, err := t.directory(orgID, id)
	if err != nil {
		return Directory{}, err
	}
	if d.Enabled != on {
		d.Enabled = on
		d.UpdateTime = t.now()
		t.changed()
		dc := d.clone()
		typ := events.DirectoryDisabled
		if on {
			typ = events.DirectoryEnabled
		}
		t.emit(Change{Type: typ, Directory: &dc})
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

// CreateDirectory adds a SCIM directory to d.OrgID: type SCIM and
// provider OKTA unless d says otherwise, disabled until enabled, with no
// token until NewDirectoryToken makes one. Scalekit has no event for a
// new directory; enabling it is organization.directory_enabled.
func (t *Tenant) CreateDirectory(d Directory) (Directory, error) {
	d = d.clone()
	d.Type = strings.ToUpper(strings.TrimSpace(d.Type))
	if d.Type == "" {
		d.Type = "SCIM"
	}
	d.Provider = strings.ToUpper(strings.TrimSpace(d.Provider))
	if d.Provider == "" {
		d.Provider = "OKTA"
	}
	if d.Status == "" {
		d.Status = "IN_PROGRESS"
	}
	d.Users, d.Groups, d.Token = nil, nil, ""
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[d.OrgID] == nil {
		return Directory{}, &NotFoundError{Kind: "organization", ID: d.OrgID}
	}
	d.ID = t.newID("dir_")
	if d.Name == "" {
		d.Name = "Directory " + d.ID
	}
	d.CreateTime = t.now()
	d.UpdateTime = d.CreateTime
	stored := d.clone()
	t.dirs[d.ID] = &stored
	ix := t.index(d.OrgID)
	ix.dirs = append(ix.dirs, d.ID)
	t.changed()
	return d, nil
}

// NewDirectoryToken makes a new SCIM bearer token for a directory,
// replacing the one it had, and returns it: the IdP's old token stops
// working at once, as a rotated Scalekit directory secret does.
func (t *Tenant) NewDirectoryToken(orgID, id string) (string, error) {
	t.mu.Lock()
	defer t.unlock()
	d, err := t.directory(orgID, id)
	if err != nil {
		return "", err
	}
	b := make([]byte, 24)
	rand.Read(b)
	d.Token = "scim_" + base64.RawURLEncoding.EncodeToString(b)
	d.UpdateTime = t.now()
	t.changed()
	return d.Token, nil
}

// DirectoryByToken returns the directory id whose SCIM token is token,
// compared in constant time; false for any other token, a directory
// without one, or no such directory.
func (t *Tenant) DirectoryByToken(id, token string) (Directory, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.dirs[id]
	if d == nil || d.Token == "" || subtle.ConstantTimeCompare([]byte(d.Token), []byte(token)) != 1 {
		return Directory{}, false
	}
	return d.clone(), true
}
