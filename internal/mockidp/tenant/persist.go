package tenant

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// stateFile is the tenant's file in the state directory, beside the
// store's state.json: the tenant changes at a different pace (the API, sign-ups),
// and the export of one must not wait for the other.
const stateFile = "tenant.json"

// snapshot is the on-disk form of the tenant. Lists keep their creation
// order; the indexes are rebuilt on load.
type snapshot struct {
	Version int `json:"version"`
	// Seed fingerprints the fixtures the tenant was first made from.
	Seed        string              `json:"seed"`
	Roles       []*Role             `json:"roles"`
	Orgs        []*Org              `json:"organizations"`
	Users       []*User             `json:"users"`
	Members     map[string][]string `json:"members"` // organization → user IDs, in the order they joined
	Domains     []*Domain           `json:"domains"`
	Connections []*Connection       `json:"connections"`
	Directories []*Directory        `json:"directories"`
}

// Load replaces the tenant with dir/tenant.json, if there is one: a
// restart keeps what the API and sign-ups changed. SeedChanged then tells
// whether the file was made from other fixtures than this tenant's.
func (t *Tenant) Load(dir string) error {
	path := filepath.Join(dir, stateFile)
	var snap snapshot
	found, err := statefile.ReadJSON(path, &snap)
	switch {
	case !found && err == nil:
		return nil
	case err != nil && !errors.Is(err, statefile.ErrDamaged):
		return fmt.Errorf("state: %w", err)
	case err != nil || snap.Version != 1:
		return fmt.Errorf("state: %s is damaged or from another version: delete it to start again from the fixtures", path)
	}
	d, err := snap.data()
	if err != nil {
		return fmt.Errorf("state: %s: %v: delete it to start again from the fixtures", path, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.data = d
	t.stale = snap.Seed != t.seedHash
	t.durable = t.changes
	t.file.Saved(t.changes) // what is in memory is what the file holds
	return nil
}

// data rebuilds the tenant's content and indexes from a snapshot, checking
// that what refers to an organization or user finds it.
func (snap *snapshot) data() (data, error) {
	t := &Tenant{data: newData()}
	for _, r := range snap.Roles {
		t.roles[r.Name] = r
		t.roleOrder = append(t.roleOrder, r.Name)
	}
	for _, o := range snap.Orgs {
		t.addOrg(o)
	}
	for _, u := range snap.Users {
		t.addUser(u)
	}
	for orgID, members := range snap.Members {
		if t.orgs[orgID] == nil {
			return data{}, fmt.Errorf("members of an unknown organization %s", orgID)
		}
		t.index(orgID).members = members
	}
	for _, d := range snap.Domains {
		if t.orgs[d.OrgID] == nil {
			return data{}, fmt.Errorf("domain %s of an unknown organization", d.ID)
		}
		t.domains[d.ID] = d
		t.domainByNm[d.Name] = d.ID
		t.index(d.OrgID).domains = append(t.index(d.OrgID).domains, d.ID)
	}
	for _, c := range snap.Connections {
		if t.orgs[c.OrgID] == nil {
			return data{}, fmt.Errorf("connection %s of an unknown organization", c.ID)
		}
		t.conns[c.ID] = c
		t.index(c.OrgID).conns = append(t.index(c.OrgID).conns, c.ID)
	}
	for _, d := range snap.Directories {
		if t.orgs[d.OrgID] == nil {
			return data{}, fmt.Errorf("directory %s of an unknown organization", d.ID)
		}
		t.dirs[d.ID] = d
		t.index(d.OrgID).dirs = append(t.index(d.OrgID).dirs, d.ID)
	}
	return t.data, nil
}

// SeedChanged reports whether the state file loaded was made from other
// fixtures than the ones this tenant was given: the file wins, and the
// fixtures' changes are not seen until it is deleted.
func (t *Tenant) SeedChanged() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.stale
}

// Save writes the tenant to dir/tenant.json when it has changed.
func (t *Tenant) Save(dir string) error {
	return wrapState(t.file.Save(filepath.Join(dir, stateFile), t.encode))
}

// Persist returns once dir/tenant.json holds every change made before the
// call (but for last-login times, which the next Save writes), saving if
// no other save has: an API call that changes the tenant calls it before
// answering. Concurrent callers share saves (a group commit).
func (t *Tenant) Persist(dir string) error {
	t.mu.RLock()
	want := t.durable
	t.mu.RUnlock()
	return wrapState(t.file.Persist(filepath.Join(dir, stateFile), want, t.encode))
}

// encode is the tenant's statefile.Snapshot: nil when the file holds every
// change already.
func (t *Tenant) encode(saved uint64) (uint64, []byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.changes == saved {
		return saved, nil, nil
	}
	data, err := json.Marshal(t.snapshot())
	if err != nil {
		return 0, nil, err
	}
	return t.changes, data, nil
}

// snapshot is the tenant's content as it is stored; it shares the
// tenant's objects, so it is marshalled under the lock. The caller holds
// it.
func (t *Tenant) snapshot() *snapshot {
	snap := &snapshot{Version: 1, Seed: t.seedHash, Members: map[string][]string{}}
	for _, name := range t.roleOrder {
		snap.Roles = append(snap.Roles, t.roles[name])
	}
	for _, id := range t.orgOrder {
		snap.Orgs = append(snap.Orgs, t.orgs[id])
		ix := t.perOrg[id]
		snap.Members[id] = ix.members
		for _, d := range ix.domains {
			snap.Domains = append(snap.Domains, t.domains[d])
		}
		for _, c := range ix.conns {
			snap.Connections = append(snap.Connections, t.conns[c])
		}
		for _, d := range ix.dirs {
			snap.Directories = append(snap.Directories, t.dirs[d])
		}
	}
	for _, id := range t.userOrder {
		snap.Users = append(snap.Users, t.users[id])
	}
	return snap
}

// wrapState says which file an error of a save is about.
func wrapState(err error) error {
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}
