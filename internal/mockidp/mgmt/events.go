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
		data = dirUserData(c.Directory, *c.DirUser)
	case c.DirGroup != nil:
		data = dirGroupData(c.Directory, *c.DirGroup)
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

func dirUserData(d *tenant.Directory, u tenant.DirUser) map[string]any {
	m := map[string]any{"id": u.ID, "email": u.Email, "preferred_username": u.PreferredUsername,
		"given_name": u.GivenName, "family_name": u.FamilyName, "name": joinName(u.GivenName, u.FamilyName),
		"active": u.Active, "updated_at": u.UpdateTime.UTC().Format(time.RFC3339Nano)}
	roles := []map[string]string{}
	for _, r := range u.Roles {
		roles = append(roles, map[string]string{"role_name": r})
	}
	m["roles"] = roles
	groups := []map[string]string{}
	if d != nil {
		m["organization_id"], m["directory_id"] = d.OrgID, d.ID
		for _, id := range u.Groups {
			for _, g := range d.Groups {
				if g.ID == id {
					groups = append(groups, map[string]string{"id": g.ID, "name": g.DisplayName})
				}
			}
		}
	}
	m["groups"] = groups
	return m
}

func dirGroupData(d *tenant.Directory, g tenant.DirGroup) map[string]any {
	m := map[string]any{"id": g.ID, "display_name": g.DisplayName, "updated_at": g.UpdateTime.UTC().Format(time.RFC3339Nano)}
	if d != nil {
		m["organization_id"], m["directory_id"] = d.OrgID, d.ID
		n := 0
		for _, u := range d.Users {
			for _, id := range u.Groups {
				if id == g.ID {
					n++
				}
			}
		}
		m["total_users"] = n
	}
	return m
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
