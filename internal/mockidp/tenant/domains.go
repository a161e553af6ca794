package tenant

import (
	"strings"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// CreateDomain adds a domain to d.OrgID: ORGANIZATION_DOMAIN unless d.Type
// says otherwise, and verified (the mock has no DNS to check). A name is
// one organization's only: ConflictError if any organization has it.
func (t *Tenant) CreateDomain(d Domain) (Domain, error) { return t.createDomain(d, true) }

// createDomain adds a domain, verified or not (CreatePendingDomain).
func (t *Tenant) createDomain(d Domain, verified bool) (Domain, error) {
	d.Name = strings.ToLower(strings.TrimSpace(d.Name))
	if err := fixture.CheckDomainName(d.Name); err != nil {
		return Domain{}, &InvalidError{Field: "domain.domain", Reason: err.Error()}
	}
	if d.Type == "" {
		d.Type = DomainOrganization
	}
	if d.Type != DomainOrganization && d.Type != DomainAllowedEmail {
		return Domain{}, &InvalidError{Field: "domain.domain_type", Reason: "use ORGANIZATION_DOMAIN or ALLOWED_EMAIL_DOMAIN"}
	}
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[d.OrgID] == nil {
		return Domain{}, &NotFoundError{Kind: "organization", ID: d.OrgID}
	}
	if _, taken := t.domainByNm[d.Name]; taken {
		return Domain{}, &ConflictError{Field: "domain", Value: d.Name}
	}
	d.ID = t.newID("dom_")
	d.Verified = verified
	d.CreateTime = t.now()
	d.UpdateTime = d.CreateTime
	stored := d
	t.domains[d.ID] = &stored
	t.domainByNm[d.Name] = d.ID
	ix := t.index(d.OrgID)
	ix.domains = append(ix.domains, d.ID)
	t.changed()
	dc := d
	t.emit(Change{Type: events.DomainCreated, Org: t.orgCopy(d.OrgID), Domain: &dc})
	return d, nil
}

// Domain returns a domain of an organization.
func (t *Tenant) Domain(orgID, id string) (Domain, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.orgs[orgID] == nil {
		return Domain{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	d := t.domains[id]
	if d == nil || d.OrgID != orgID {
		return Domain{}, &NotFoundError{Kind: "domain", ID: id}
	}
	return *d, nil
}

// ListDomains lists an organization's domains of a type ("": all), in
// creation order.
func (t *Tenant) ListDomains(orgID string, typ DomainType, p Page) (Listed[Domain], error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.orgs[orgID] == nil {
		return Listed[Domain]{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	var items []Domain
	for _, id := range t.perOrg[orgID].domains {
		if d := t.domains[id]; typ == "" || d.Type == typ {
			items = append(items, *d)
		}
	}
	return pageOfItems(items, p), nil
}

// DeleteDomain removes a domain of an organization.
func (t *Tenant) DeleteDomain(orgID, id string) error {
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[orgID] == nil {
		return &NotFoundError{Kind: "organization", ID: orgID}
	}
	d := t.domains[id]
	if d == nil || d.OrgID != orgID {
		return &NotFoundError{Kind: "domain", ID: id}
	}
	delete(t.domains, id)
	delete(t.domainByNm, d.Name)
	ix := t.index(orgID)
	ix.domains = without(ix.domains, id)
	t.changed()
	gone := *d
	t.emit(Change{Type: events.DomainDeleted, Org: t.orgCopy(orgID), Domain: &gone})
	return nil
}

// OrgByDomain is the organization a verified ORGANIZATION_DOMAIN routes
// to, for domain / domain_hint; the name is compared in any case.
func (t *Tenant) OrgByDomain(name string) (Org, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.domains[t.domainByNm[strings.ToLower(strings.TrimSpace(name))]]
	if d == nil || d.Type != DomainOrganization || !d.Verified {
		return Org{}, false
	}
	return t.orgs[d.OrgID].clone(), true
}
