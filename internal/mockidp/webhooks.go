package mockidp

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// The environment's webhooks: every event of its log goes to the
// endpoints of the fixtures and of Options.Webhooks that subscribe to its
// type, signed as Scalekit signs them (docs/webhooks.md).
//
// Only the root environment delivers. A scenario environment is a
// throwaway copy of the tenant for a failure drill; its events, under the
// same fixture IDs, would reach the app's handler interleaved with the
// root's and describe organizations and users the app's own database
// tracks from the root.

// WebhookSecretFile is the file of --state-dir that keeps the signing
// secret the command generates, so that the app's setting stays valid
// across restarts.
const WebhookSecretFile = "webhook-secret"

// StateWebhookSecret returns the signing secret kept in a state
// directory, making one on first use; created says which.
func StateWebhookSecret(stateDir string) (secret string, created bool, err error) {
	return webhook.LoadOrCreateSecret(filepath.Join(stateDir, WebhookSecretFile))
}

// openWebhooks starts the deliveries, re-queuing those a state directory
// kept, and has every event appended to the log enqueued. The event log
// tells it under its lock, so the deliveries' order is the log's; the
// body is built there only when some endpoint wants the type.
func (s *Server) openWebhooks(fx *fixture.Fixtures) error {
	if s.opts.child {
		return nil
	}
	var eps []webhook.Endpoint
	for _, w := range fx.Webhooks {
		eps = append(eps, w.Endpoint())
	}
	for _, ep := range s.opts.Webhooks {
		for _, typ := range ep.Events {
			if err := fixture.CheckEventType(typ); err != nil {
				return fmt.Errorf("webhook %s: %w", webhook.Shown(ep.URL), err)
			}
		}
		eps = append(eps, ep)
	}
	// Signatures are stamped with the real clock, not the drills' offset
	// one: the app verifies them against its own.
	now := s.opts.Now
	if now == nil {
		now = time.Now
	}
	d, err := webhook.New(webhook.Config{Endpoints: eps, Policy: s.opts.WebhookPolicy, StateDir: s.opts.StateDir, Now: now, NewID: s.ids.New, Log: s.log})
	if err != nil {
		return err
	}
	s.webhooks = d
	s.events.OnAppend(func(e events.Event) {
		if !d.Wants(string(e.Type)) {
			return
		}
		body, err := e.Body()
		if err != nil {
			s.log.Error("webhook: the event has no body to send", "event_id", e.ID, "type", e.Type, "err", err)
			return
		}
		d.Enqueue(webhook.Message{ID: e.ID, Type: string(e.Type), OrgID: e.OrganizationID, Body: body, Created: e.OccurredAt})
	})
	for _, ep := range d.Endpoints() {
		events := "all"
		if len(ep.Events) > 0 {
			events = fmt.Sprint(ep.Events)
		}
		s.log.Info("webhook endpoint", "url", ep.URL, "events", events)
	}
	return nil
}

// Webhooks is the environment's webhook deliveries; nil in a scenario
// environment.
func (s *Server) Webhooks() *webhook.Dispatcher { return s.webhooks }

// persistWebhooks makes the deliveries queued so far durable in the state
// directory, before the change that made their events is answered.
func (s *Server) persistWebhooks() error {
	if s.webhooks == nil {
		return nil
	}
	return s.webhooks.Persist()
}

// saveWebhooks writes the deliveries and their log when they changed.
func (s *Server) saveWebhooks() error {
	if s.webhooks == nil {
		return nil
	}
	return s.webhooks.Save()
}

// closeWebhooks stops delivering: an attempt in flight gets a short grace,
// and what is undelivered stays queued for the next start.
func (s *Server) closeWebhooks() {
	if s.webhooks == nil {
		return
	}
	if err := s.webhooks.Close(); err != nil {
		s.log.Error("saving the webhook deliveries", "err", err)
	}
}
