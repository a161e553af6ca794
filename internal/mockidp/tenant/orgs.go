package tenant

import (
	"maps"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// CreateOrg creates an organization: a new ID unless o has one, the
// times, region US and DefaultFeatures unless o sets them. A display
// name is required; external_id and slug are unique (ConflictError).
func (t *Tenant) CreateOrg(o Org) (Org, error) {
	o = o.clone()
	o.DisplayName = strings.TrimSpace(o.DisplayName)
	if o.DisplayName == "" {
		return Org{}, &InvalidError{Field: "organization.display_name", Reason: "is required"}
	}
	if o.RegionCode == "" {
		o.RegionCode = "US"
	}
	features := DefaultFeatures()
	maps.Copy(features, o.Features)
	o.Features = features
	t.mu.Lock()
	defer t.unlock()
	if o.ID == "" {
		o.ID = t.newID("org_")
	} else if _, taken := t.orgs[o.ID]; taken {
		return Org{}, &ConflictError{Field: "id", Value: o.ID}
	}
	if err := t.orgUnique(&o); err != nil {
		return Org{}, err
	}
	o.CreateTime = t.now()
	o.UpdateTime = o.CreateTime
	stored := o.clone()
	t.addOrg(&stored)
	t.changed()
	t.emit(Change{Type: events.OrgCreated, Org: t.orgCopy(o.ID)})
	return o, nil
}

// orgUnique checks that no other organization has o's external ID or
// slug. The caller holds the lock.
func (t *Tenant) orgUnique(o *Org) error {
	if id, ok := t.orgByExt[o.ExternalID]; ok && o.ExternalID != "" && id != o.ID {
		return &ConflictError{Field: "external_id", Value: o.ExternalID}
	}
	if id, ok := t.orgBySlug[o.Slug]; ok && o.Slug != "" && id != o.ID {
		return &ConflictError{Field: "slug", Value: o.Slug}
	}
	return nil
}

// Org returns the organization with an ID.
func (t *Tenant) Org(id string) (Org, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	o := t.orgs[id]
	if o == nil {
		return Org{}, &NotFoundError{Kind: "organization", ID: id}
	}
	return o.clone(), nil
}

// OrgByExternalID returns the organization with an external ID.
func (t *Tenant) OrgByExternalID(ext string) (Org, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	o := t.orgs[t.orgByExt[ext]]
	if o == nil || ext == "" {
		return Org{}, &NotFoundError{Kind: "organization", ID: ext}
	}
	return o.clone(), nil
}

// UpdateOrg changes an organization: f edits a copy, and what it leaves
// is stored, with a new UpdateTime. Its ID and CreateTime stay; an
// external_id or slug of another organization is a ConflictError; an
// error of f is returned as it is, with nothing changed.
func (t *Tenant) UpdateOrg(id string, f func(*Org) error) (Org, error) {
	t.mu.Lock()
	defer t.unlock()
	old := t.orgs[id]
	if old == nil {
		return Org{}, &NotFoundError{Kind: "organization", ID: id}
	}
	o := old.clone()
	if err := f(&o); err != nil {
		return Org{}, err
	}
	o.ID, o.CreateTime = old.ID, old.CreateTime
	o.DisplayName = strings.TrimSpace(o.DisplayName)
	if o.DisplayName == "" {
		return Org{}, &InvalidError{Field: "organization.display_name", Reason: "cannot be empty"}
	}
	if err := t.orgUnique(&o); err != nil {
		return Org{}, err
	}
	if old.ExternalID != "" {
		delete(t.orgByExt, old.ExternalID)
	}
	if old.Slug != "" {
		delete(t.orgBySlug, old.Slug)
	}
	if o.ExternalID != "" {
		t.orgByExt[o.ExternalID] = id
	}
	if o.Slug != "" {
		t.orgBySlug[o.Slug] = id
	}
	o.UpdateTime = t.now()
	stored := o.clone()
	t.orgs[id] = &stored
	t.changed()
	t.emit(Change{Type: events.OrgUpdated, Org: t.orgCopy(id)})
	return o, nil
}

// DeleteOrg deletes an organization with its memberships, domains,
// connections and directories, and ends the IdP sessions signed in to it.
// Its members stay users of the environment.
func (t *Tenant) DeleteOrg(id string) error {
	// The lock is released by defer in deleteOrg, so a panic there cannot leave
	// the environment locked; the sessions are ended outside it.
	if err := t.deleteOrg(id); err != nil {
		return err
	}
	t.removed(Removal{OrgID: id})
	return nil
}

func (t *Tenant) deleteOrg(id string) error {
	t.mu.Lock()
	defer t.unlock()
	o := t.orgs[id]
	if o == nil {
		return &NotFoundError{Kind: "organization", ID: id}
	}
	ix := t.index(id)
	gone := o.clone()
	for _, uid := range ix.members {
		if u := t.users[uid]; u != nil {
			u.Memberships = dropMembership(u.Memberships, id)
			t.emit(Change{Type: events.MembershipDeleted, Org: &gone, User: t.userCopy(u)})
		}
	}
	for _, d := range ix.domains {
		if dom := t.domains[d]; dom != nil {
			delete(t.domainByNm, dom.Name)
		}
		delete(t.domains, d)
	}
	for _, c := range ix.conns {
		delete(t.conns, c)
	}
	for _, d := range ix.dirs {
		delete(t.dirs, d)
	}
	delete(t.perOrg, id)
	delete(t.orgs, id)
	delete(t.orgByExt, o.ExternalID)
	delete(t.orgBySlug, o.Slug)
	t.orgOrder = without(t.orgOrder, id)
	t.changed()
	t.emit(Change{Type: events.OrgDeleted, Org: &gone})
	return nil
}

// ListOrgs lists organizations in creation order; externalID, when not
// "", keeps only the one with that external ID.
func (t *Tenant) ListOrgs(p Page, externalID string) Listed[Org] {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ids := t.orgOrder
	if externalID != "" {
		ids = nil
		if id, ok := t.orgByExt[externalID]; ok {
			ids = []string{id}
		}
	}
	return pageOf(ids, p, func(id string) Org { return t.orgs[id].clone() })
}
