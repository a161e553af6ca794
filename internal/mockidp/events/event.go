package events

import (
	"encoding/json"
	"time"

	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// SpecVersion is the envelope's spec_version.
const SpecVersion = "1"

// Event is one entry of the log, in Scalekit's envelope (the
// ScalekitEvent message): what a webhook delivers as its body and what
// EventsService lists.
type Event struct {
	SpecVersion    string    `json:"spec_version"`
	ID             string    `json:"id"` // evt_…
	Type           Type      `json:"type"`
	OccurredAt     time.Time `json:"occurred_at"`
	EnvironmentID  string    `json:"environment_id"`
	OrganizationID string    `json:"organization_id,omitempty"`
	Object         Object    `json:"object"`
	DisplayName    string    `json:"display_name"`
	// Data is the object in proto-name JSON (protojson with
	// UseProtoNames): an Organization, a Domain, {organization, user}…
	Data json.RawMessage `json:"data"`
}

// Body is the event as a webhook body: compact JSON that survives
// JavaScript's JSON.stringify(JSON.parse(body)) byte for byte, so that a
// receiver that verifies the re-serialised body (as Scalekit's own sample
// does) accepts it too.
func (e Event) Body() ([]byte, error) {
	if e.SpecVersion == "" {
		e.SpecVersion = SpecVersion
	}
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	return webhook.Marshal(e)
}
