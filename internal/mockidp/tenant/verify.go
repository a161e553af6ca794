package tenant

import "github.com/skctl/skctl/internal/mockidp/events"

// Domain verification as the admin portal does it. In Scalekit an IT admin
// adds a domain in the portal, publishes a DNS TXT record and has it
// checked; until then the domain is pending and routes no sign-in. The
// mock has no DNS to look up, so its portal's Verify button stands in for
// a passed check. The management API's CreateDomain is unchanged: its
// domains are verified at once.

// CreatePendingDomain adds a domain as the admin portal does: checked and
// unique as CreateDomain's, but unverified until VerifyDomain.
func (t *Tenant) CreatePendingDomain(d Domain) (Domain, error) { return t.createDomain(d, false) }

// VerifyDomain marks a domain of an organization verified, as a passed DNS
// check would, with organization.domain_dns_verification_success. A
// domain already verified is returned as it is, with no event: nothing
// changed.
func (t *Tenant) VerifyDomain(orgID, id string) (Domain, error) {
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[orgID] == nil {
		return Domain{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	d := t.domains[id]
	if d == nil || d.OrgID != orgID {
		return Domain{}, &NotFoundError{Kind: "domain", ID: id}
	}
	if d.Verified {
		return *d, nil
	}
	d.Verified = true
	d.UpdateTime = t.now()
	t.changed()
	dc := *d
	t.emit(Change{Type: events.DomainVerificationPassed, Org: t.orgCopy(orgID), Domain: &dc})
	return *d, nil
}
