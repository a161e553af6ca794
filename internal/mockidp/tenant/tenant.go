// Package tenant is the environment's mutable directory: organizations,
// users, memberships, domains, connections, directories (SCIM) and roles.
// The management API changes it; the sign-in flow reads it, and changes
// it at sign-up and sign-in: one store behind both doors, so a user the
// API creates signs in, and one who signs up is listed by the API.
//
// One RWMutex guards it all. Every getter returns copies (deep: slices and
// maps copied), so callers never race the tenant. Everything is indexed
// (by ID, lower-case email, external ID, domain name), and lists keep
// their creation order in slices of IDs, so no operation but a deletion
// or an export walks the whole tenant.
package tenant

import (
	"slices"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/statefile"
)

// Tenant is one environment's organizations, users and the rest.
type Tenant struct {
	clock func() time.Time
	newID func(prefix string) string
	// seed is the apps, scenarios and passwordless settings of the
	// fixtures the tenant was made from, for Export; not their users and
	// organizations, which would be a second copy of every user (45 MB at
	// 100k). The fixtures' fingerprint goes into the state file.
	seed     *fixture.Fixtures
	seedHash string
	// onRemove is told whose sessions a deletion ends (Removal).
	onRemove func(Removal)
	// pending are the changes made under the write lock held now, which
	// unlock publishes (OnChange).
	pending []Change
	pub     publisher

	file statefile.File // tenant.json; its saves take mu
	mu   sync.RWMutex
	data
	// changes counts the changes made (file knows how many it holds).
	// durable is the count Persist must see saved: that of the last
	// change that is not a mere last-login time, which the background
	// save can take care of.
	changes, durable uint64
	// stale: the state file loaded was made from other fixtures.
	stale bool
}

// data is the tenant's content: what a state file holds, and what Load
// replaces at once.
type data struct {
	orgs        map[string]*Org
	orgOrder    []string
	orgByExt    map[string]string
	orgBySlug   map[string]string
	perOrg      map[string]*orgIndex
	users       map[string]*User
	userOrder   []string
	userByEmail map[string]string
	userByExt   map[string]string
	domains     map[string]*Domain
	domainByNm  map[string]string
	conns       map[string]*Connection
	dirs        map[string]*Directory
	roles       map[string]*Role
	roleOrder   []string
}

// orgIndex is what belongs to one organization, each in creation order.
type orgIndex struct {
	members, domains, conns, dirs []string
}

func newData() data {
	return data{
		orgs: map[string]*Org{}, orgByExt: map[string]string{}, orgBySlug: map[string]string{},
		perOrg: map[string]*orgIndex{}, users: map[string]*User{}, userByEmail: map[string]string{},
		userByExt: map[string]string{}, domains: map[string]*Domain{}, domainByNm: map[string]string{},
		conns: map[string]*Connection{}, dirs: map[string]*Directory{}, roles: map[string]*Role{},
	}
}

// Removal says whose IdP sessions a deletion ends: a user's everywhere
// (OrgID ""), a user's in one organization (both set: a membership
// deleted), or everyone's in one organization (UserID "": the
// organization deleted).
type Removal struct{ UserID, OrgID string }

// New seeds a tenant from fixtures (deep copy; never mutates fx), on the
// environment's clock, making new IDs with newID(prefix). The fixtures
// must have passed fixture.Parse: their IDs and defaults are filled in.
func New(fx *fixture.Fixtures, clock func() time.Time, newID func(prefix string) string) *Tenant {
	t := &Tenant{clock: clock, newID: newID, seed: cloneFixtures(&fixture.Fixtures{Apps: fx.Apps, Scenarios: fx.Scenarios, Passwordless: fx.Passwordless}), seedHash: fingerprint(fx), data: newData()}
	t.seedFrom(fx, t.now())
	return t
}

// OnRemove sets the function told whose sessions a deletion ends. It is
// called after the deletion, outside the tenant's lock, so it may call
// back into the tenant.
func (t *Tenant) OnRemove(f func(Removal)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onRemove = f
}

// removed tells onRemove about deletions; the caller does not hold the
// lock.
func (t *Tenant) removed(rs ...Removal) {
	t.mu.RLock()
	f := t.onRemove
	t.mu.RUnlock()
	if f == nil {
		return
	}
	for _, r := range rs {
		f(r)
	}
}

func (t *Tenant) now() time.Time { return t.clock().UTC() }

// changed counts a change that Persist makes durable. The caller holds the
// write lock.
func (t *Tenant) changed() {
	t.changes++
	t.durable = t.changes
}

// touched counts a change that the next Save writes, but Persist need not
// wait for: a sign-in's last-login time, so that every code redemption
// does not rewrite the whole tenant. The caller holds the write lock.
func (t *Tenant) touched() { t.changes++ }

// Stats counts the organizations and users.
func (t *Tenant) Stats() (orgs, users int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.orgs), len(t.users)
}

// index returns the organization's index, made on first use. The caller
// holds the write lock.
func (t *Tenant) index(orgID string) *orgIndex {
	ix := t.perOrg[orgID]
	if ix == nil {
		ix = &orgIndex{}
		t.perOrg[orgID] = ix
	}
	return ix
}

// without returns ids without id, in place.
func without(ids []string, id string) []string {
	if i := slices.Index(ids, id); i >= 0 {
		return slices.Delete(ids, i, i+1)
	}
	return ids
}
