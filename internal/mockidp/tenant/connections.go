package tenant

import (
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// CreateConnection adds an SSO connection to c.OrgID. Its type defaults
// to OIDC and its status to DRAFT, as a connection the API creates still
// has to be configured; it is enabled only if c says so.
func (t *Tenant) CreateConnection(c Connection) (Connection, error) {
	c = c.clone()
	c.Type = strings.ToUpper(c.Type)
	if c.Type == "" {
		c.Type = "OIDC"
	}
	if !slices.Contains(fixture.ConnectionTypes(), c.Type) {
		return Connection{}, &InvalidError{Field: "connection.type", Reason: "use one of " + strings.Join(fixture.ConnectionTypes(), ", ")}
	}
	c.Provider = strings.ToUpper(c.Provider)
	if c.Status == "" {
		c.Status = "DRAFT"
	}
	for i, d := range c.Domains {
		c.Domains[i] = strings.ToLower(strings.TrimSpace(d))
		if err := fixture.CheckDomainName(c.Domains[i]); err != nil {
			return Connection{}, &InvalidError{Field: "connection.domains", Reason: err.Error()}
		}
	}
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[c.OrgID] == nil {
		return Connection{}, &NotFoundError{Kind: "organization", ID: c.OrgID}
	}
	c.ID = t.newID("conn_")
	c.CreateTime = t.now()
	c.UpdateTime = c.CreateTime
	stored := c.clone()
	t.conns[c.ID] = &stored
	ix := t.index(c.OrgID)
	ix.conns = append(ix.conns, c.ID)
	t.changed()
	cc := c.clone()
	t.emit(Change{Type: events.SSOCreated, Connection: &cc})
	return c, nil
}

// Connection returns a connection of an organization.
func (t *Tenant) Connection(orgID, id string) (Connection, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, err := t.connection(orgID, id)
	if err != nil {
		return Connection{}, err
	}
	return c.clone(), nil
}

// connection finds a connection of an organization. The caller holds the
// lock.
func (t *Tenant) connection(orgID, id string) (*Connection, error) {
	if t.orgs[orgID] == nil {
		return nil, &NotFoundError{Kind: "organization", ID: orgID}
	}
	c := t.conns[id]
	if c == nil || c.OrgID != orgID {
		return nil, &NotFoundError{Kind: "connection", ID: id}
	}
	return c, nil
}

// ConnectionByID finds a connection of any organization (sign-in:
// connection_id).
func (t *Tenant) ConnectionByID(id string) (Connection, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c := t.conns[id]
	if c == nil {
		return Connection{}, false
	}
	return c.clone(), true
}

// ListConnections lists the connections of an organization (orgID), or
// those for a domain: the connections of the organization that has it
// and those that name it themselves; or, with neither, all of them. They
// come by organization, each organization's in creation order.
func (t *Tenant) ListConnections(orgID, domain string) []Connection {
	t.mu.RLock()
	defer t.mu.RUnlock()
	domain = strings.ToLower(strings.TrimSpace(domain))
	owner := ""
	if d := t.domains[t.domainByNm[domain]]; d != nil {
		owner = d.OrgID
	}
	out := []Connection{}
	for _, oid := range t.orgOrder {
		if orgID != "" && oid != orgID {
			continue
		}
		for _, id := range t.perOrg[oid].conns {
			c := t.conns[id]
			if domain == "" || oid == owner || slices.Contains(c.Domains, domain) {
				out = append(out, c.clone())
			}
		}
	}
	return out
}

// SetConnectionEnabled enables or disables a connection.
func (t *Tenant) SetConnectionEnabled(orgID, id string, on bool) (Connection, error) {
	t.mu.Lock()
	defer t.unlock()
	c, err := t.connection(orgID, id)
	if err != nil {
		return Connection{}, err
	}
	if c.Enabled != on {
		c.Enabled = on
		// The mock's own sign-in stands in for the connection's IdP, so
		// there is nothing left to configure: a draft enabled is complete.
		if on && c.Status == "DRAFT" {
			c.Status = "COMPLETED"
		}
		c.UpdateTime = t.now()
		t.changed()
		cc := c.clone()
		typ := events.SSODisabled
		if on {
			typ = events.SSOEnabled
		}
		t.emit(Change{Type: typ, Connection: &cc})
	}
	return c.clone(), nil
}

// DeleteConnection removes a connection of an organization.
func (t *Tenant) DeleteConnection(orgID, id string) error {
	t.mu.Lock()
	defer t.unlock()
	c, err := t.connection(orgID, id)
	if err != nil {
		return err
	}
	delete(t.conns, id)
	ix := t.index(orgID)
	ix.conns = without(ix.conns, id)
	t.changed()
	gone := c.clone()
	t.emit(Change{Type: events.SSODeleted, Connection: &gone})
	return nil
}

// EnabledConnection is the org's first enabled connection, for sign-in
// routing; false when it has none (then the passwordless one is used).
func (t *Tenant) EnabledConnection(orgID string) (Connection, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ix := t.perOrg[orgID]
	if ix == nil {
		return Connection{}, false
	}
	for _, id := range ix.conns {
		if c := t.conns[id]; c.Enabled {
			return c.clone(), true
		}
	}
	return Connection{}, false
}
