package mgmt

import (
	"encoding/json"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The events of the tenant's changes, in the envelope and data shapes of
// Scalekit's webhooks: data is the object in proto-name JSON, as the
// REST API shows it.

// protoNames is the JSON Scalekit's webhooks and REST API use: proto
// field names, enum names, RFC 3339 times, int64 as strings.
var protoNames = protojson.MarshalOptions{UseProtoNames: true}

// Event is the event of a tenant change. It reads the tenant (a user's
// memberships name their organizations), so it is called outside the
// tenant's lock, as OnChange's function is.
func (a *API) Event(c tenant.Change) events.Event {
	e := events.Event{Type: c.Type, EnvironmentID: a.d.EnvironmentID, OrganizationID: c.OrgID()}
	var data any
	switch {
	case c.DirUser != nil:
		data = dirUserData(c.Type, c.Directory, *c.DirUser)
	case c.DirGroup != nil:
		data = dirGroupData(c.Type, c.Directory, *c.DirGroup)
	case c.Directory != nil:
		d := c.Directory
		data = map[string]any{"id": d.ID, "directory_type": d.Type, "provider": canonicalProvider(d.Provider),
			"enabled": d.Enabled, "organization_id": d.OrgID, "updated_at": d.UpdateTime.UTC().Format(time.RFC3339Nano)}
	case c.Connection != nil:
		cn := c.Connection
		data = map[string]any{"id": cn.ID, "organization_id": cn.OrgID, "connection_type": cn.Type,
			"provider": canonicalProvider(cn.Provider), "enabled": cn.Enabled, "status": cn.Status}
	case c.Domain != nil:
		data = raw(a.domainMsg(*c.Domain))
	case c.User != nil:
		m := map[string]any{"user": raw(a.userMsg(*c.User))}
		if c.Org != nil {
			m["organization"] = raw(orgMsg(*c.Org))
		}
		data = m
	case c.Org != nil:
		data = raw(orgMsg(*c.Org))
	}
	e.Data, _ = json.Marshal(data)
	return e
}

// raw is a message in proto-name JSON.
func raw(m proto.Message) json.RawMessage {
	b, err := protoNames.Marshal(m)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// dirUserData is a directory user as Scalekit's directory events show
// it: dp_id is the IdP's externalId, name the formatted name,
// raw_attributes the SCIM resource as the IdP sent it. A deleted user's
// event carries its IDs and email alone, as Scalekit's does.
func dirUserData(typ events.Type, d *tenant.Directory, u tenant.DirUser) map[string]any {
	m := map[string]any{"id": u.ID, "dp_id": u.ExternalID, "email": u.Email}
	if d != nil {
		m["organization_id"], m["directory_id"] = d.OrgID, d.ID
	}
	if typ == events.DirUserDeleted {
		return m
	}
	name := u.Name
	if name == "" {
		name = joinName(u.GivenName, u.FamilyName)
	}
	m["preferred_username"], m["given_name"], m["family_name"], m["name"] = u.UserName(), u.GivenName, u.FamilyName, name
	m["active"], m["updated_at"] = u.Active, u.UpdateTime.UTC().Format(time.RFC3339Nano)
	roles := []map[string]string{}
	for _, r := range u.Roles {
		roles = append(roles, map[string]string{"role_name": r})
	}
	m["roles"] = roles
	groups := []map[string]string{}
	if d != nil {
		for _, id := range u.Groups {
			for _, g := range d.Groups {
				if g.ID == id {
					groups = append(groups, map[string]string{"id": g.ID, "name": g.DisplayName})
				}
			}
		}
	}
	m["groups"] = groups
	// The mock maps no attributes of its own: custom attributes are
	// Scalekit's attribute mapping, which it does not emulate.
	m["custom_attributes"] = map[string]any{}
	m["raw_attributes"] = rawSCIM(u.SCIM)
	return m
}

// dirGroupData is a directory group as Scalekit's directory events show
// it: external_id null when the IdP gave none; a deleted group's event
// names the IdP's ID dp_id, as Scalekit's does.
func dirGroupData(typ events.Type, d *tenant.Directory, g tenant.DirGroup) map[string]any {
	m := map[string]any{"id": g.ID, "display_name": g.DisplayName, "external_id": nil,
		"raw_attributes": rawSCIM(g.SCIM), "updated_at": g.UpdateTime.UTC().Format(time.RFC3339Nano)}
	if g.ExternalID != "" {
		m["external_id"] = g.ExternalID
	}
	if typ == events.DirGroupDeleted {
		m["dp_id"] = g.ExternalID
	}
	if d != nil {
		m["organization_id"], m["directory_id"] = d.OrgID, d.ID
	}
	return m
}

// rawSCIM is the SCIM document a directory kept, as a JSON object; {}
// for one the fixtures made.
func rawSCIM(doc string) json.RawMessage {
	if doc == "" || !json.Valid([]byte(doc)) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(doc)
}

func joinName(given, family string) string {
	switch {
	case given == "":
		return family
	case family == "":
		return given
	}
	return given + " " + family
}

// SessionEvent is the event of an IdP session starting (user.login) or
// ending (user.logout): data {user, user_session}.
func (a *API) SessionEvent(typ events.Type, ses SessionInfo) events.Event {
	e := events.Event{Type: typ, EnvironmentID: a.d.EnvironmentID, OrganizationID: ses.OrgID}
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	us := map[string]any{"session_id": ses.ID, "user_id": ses.UserID, "organization_id": ses.OrgID,
		"authenticated_organizations": nonEmpty(ses.OrgID), "status": string(ses.Status),
		"created_at": at(ses.Created), "idle_expires_at": at(ses.IdleExpires), "absolute_expires_at": at(ses.Expires),
		"last_active_at": at(ses.LastActive), "logout_at": at(ses.Ended),
		"device": map[string]any{"user_agent": ses.UserAgent, "ip": ses.IP}}
	data := map[string]any{"user_session": us}
	if u, err := a.d.Tenant.User(ses.UserID); err == nil {
		data["user"] = raw(a.userMsg(u))
	}
	e.Data, _ = json.Marshal(data)
	return e
}

// RoleEvent is the event of a change of a role or permission: data {id,
// name, display_name, description}.
func (a *API) RoleEvent(typ events.Type, name, displayName string) events.Event {
	data := map[string]any{"id": a.d.NewID("role_"), "name": name, "display_name": displayName,
		"description": displayName + " (skctl mock-idp trigger)"}
	if strings.HasPrefix(string(typ), "permission.") {
		data["id"] = a.d.NewID("perm_")
	}
	e := events.Event{Type: typ, EnvironmentID: a.d.EnvironmentID}
	e.Data, _ = json.Marshal(data)
	return e
}
