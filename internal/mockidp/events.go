package mockidp

import (
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The environment's event log: every tenant change (API, sign-in page,
// portal, SCIM) and every IdP session started or ended is an event, in the
// shapes of Scalekit's webhooks.

// openEvents makes the event log and has the tenant's changes fill it,
// converted by the management API (which lists the log, so the log comes
// first).
func (s *Server) openEvents() error {
	s.events = events.NewLog(s.ids.New, s.now)
	if s.opts.StateDir != "" {
		if err := s.events.Load(s.opts.StateDir); err != nil {
			return err
		}
	}
	s.api = s.newManagementAPI()
	s.tenant.OnChange(func(c tenant.Change) { s.events.Append(s.api.Event(c)) })
	return nil
}

// Events is the environment's event log.
func (s *Server) Events() *events.Log { return s.events }

// sessionStarted logs user.login for a new IdP session.
func (s *Server) sessionStarted(ses *store.Session) {
	s.events.Append(s.api.SessionEvent(events.UserLogin, apiSessions{s}.info(*ses)))
}

// sessionsEnded logs user.logout for each IdP session that has just
// ended (signed out, revoked, or its user or membership deleted).
func (s *Server) sessionsEnded(sids ...string) {
	for _, sid := range sids {
		if e, ok := s.store.Ended(sid); ok {
			s.events.Append(s.api.SessionEvent(events.UserLogout, apiSessions{s}.endedInfo(e)))
		}
	}
}
