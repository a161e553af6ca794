package portal

import (
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// EventType is a browser event of the embedded portal, as Scalekit names
// it: the portal posts it to the page that embeds it (window.postMessage).
type EventType string

const (
	LoadSuccess       EventType = "PORTAL_LOAD_SUCCESS"
	LoadFailure       EventType = "PORTAL_LOAD_FAILURE"
	SessionExpiry     EventType = "PORTAL_SESSION_EXPIRY"
	SSOEnabled        EventType = "ORGANIZATION_SSO_ENABLED"
	SSODisabled       EventType = "ORGANIZATION_SSO_DISABLED"
	DirectoryEnabled  EventType = "ORGANIZATION_DIRECTORY_ENABLED"
	DirectoryDisabled EventType = "ORGANIZATION_DIRECTORY_DISABLED"
)

// Event is a browser event in Scalekit's shape: {event_type, object,
// organization_id, message, data}.
type Event struct {
	EventType      EventType      `json:"event_type"`
	Object         string         `json:"object"`
	OrganizationID string         `json:"organization_id"`
	Message        string         `json:"message"`
	Data           map[string]any `json:"data"`
}

// PortalEvent is an event about the portal itself: loaded, refused, its
// session over. Scalekit documents their names; their object and data
// are the mock's choice.
func PortalEvent(typ EventType, orgID, message string) Event {
	return Event{EventType: typ, Object: "portal", OrganizationID: orgID, Message: message, Data: map[string]any{}}
}

// ConnectionEvent is ORGANIZATION_SSO_ENABLED or _DISABLED for a
// connection just toggled, with Scalekit's data: connection_type "SSO",
// id, type, provider, enabled.
func ConnectionEvent(c tenant.Connection) Event {
	e := Event{EventType: SSODisabled, Object: "connection", OrganizationID: c.OrgID,
		Message: "Single sign-on connection disabled successfully",
		Data:    map[string]any{"connection_type": "SSO", "id": c.ID, "type": c.Type, "provider": apiProvider(c.Provider), "enabled": c.Enabled}}
	if c.Enabled {
		e.EventType, e.Message = SSOEnabled, "Single sign-on connection enabled successfully"
	}
	return e
}

// DirectoryEvent is ORGANIZATION_DIRECTORY_ENABLED or _DISABLED for a
// directory just toggled. Scalekit names the events; the data follow its
// SSO events' (the directory's id, type, provider, enabled).
func DirectoryEvent(d tenant.Directory) Event {
	e := Event{EventType: DirectoryDisabled, Object: "directory", OrganizationID: d.OrgID,
		Message: "SCIM provisioning disabled successfully",
		Data:    map[string]any{"directory_type": d.Type, "id": d.ID, "provider": apiProvider(d.Provider), "enabled": d.Enabled}}
	if d.Enabled {
		e.EventType, e.Message = DirectoryEnabled, "SCIM provisioning enabled successfully"
	}
	return e
}

// apiProvider is a provider by the API's enum name, as the management API
// and the webhooks show it: the fixtures' AZURE_AD (Entra ID) is
// MICROSOFT_AD there.
func apiProvider(name string) string {
	if name == "AZURE_AD" || name == "ENTRA_ID" {
		return "MICROSOFT_AD"
	}
	return name
}
