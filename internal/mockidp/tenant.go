package mockidp

import (
	"fmt"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The environment's tenant: the organizations, users, memberships,
// domains, connections, directories and roles that the sign-in flow reads
// and the management API changes. Both doors open onto this one
// *tenant.Tenant, so a user the API creates signs in, and a sign-up is
// listed by the API.

// openTenant seeds the tenant from the fixtures, or loads it from the state
// directory, and makes deletions end the sessions they orphan.
func (s *Server) openTenant(fx *fixture.Fixtures) error {
	s.tenant = tenant.New(fx, s.now, s.ids.New)
	if dir := s.opts.StateDir; dir != "" {
		if err := s.tenant.Load(dir); err != nil {
			return err
		}
		if s.tenant.SeedChanged() {
			s.log.Warn("the state directory's tenant.json was made from other fixtures; it is kept, and the fixtures' organizations and users are not seen: delete it to start again from them", "dir", dir)
		}
		// Users who signed up when the store kept them (older state.json).
		s.tenant.AdoptSignUps(s.store.LegacyUsers())
	}
	// A user deleted, or removed from an organization, is signed out
	// there: its sessions end, and its refresh tokens with them.
	s.tenant.OnRemove(func(r tenant.Removal) {
		var ended []string
		switch {
		case r.OrgID == "":
			ended = s.store.EndSessionsOfUser(r.UserID)
		case r.UserID == "":
			ended = s.store.EndSessionsOfOrg(r.OrgID)
		default:
			ended = s.store.EndSessionsOfMember(r.UserID, r.OrgID)
		}
		s.sessionsEnded(ended...)
	})
	if s.autoLogin != "" {
		if _, err := s.tenant.UserByEmail(s.autoLogin); err != nil {
			return fmt.Errorf("--auto-login %s: no such user in the fixtures: pick one of %s", s.opts.AutoLogin, strings.Join(s.someEmails(10), ", "))
		}
	}
	return nil
}

// someEmails lists the first n users' emails, for messages.
func (s *Server) someEmails(n int) []string {
	var out []string
	for _, u := range s.tenant.ListUsers(tenant.Page{Size: n}).Items {
		out = append(out, u.Email)
	}
	return out
}

// saveState writes the store, the tenant and the webhook deliveries to
// the state directory.
func (s *Server) saveState() error {
	err := s.store.Save(s.opts.StateDir)
	if terr := s.tenant.Save(s.opts.StateDir); err == nil {
		err = terr
	}
	if eerr := s.events.Save(s.opts.StateDir); err == nil {
		err = eerr
	}
	if werr := s.saveWebhooks(); err == nil {
		err = werr
	}
	return err
}

// connectionFor is the connection a sign-in to an organization goes
// through: its first enabled SSO connection, or else the environment's
// passwordless one.
func (s *Server) connectionFor(orgID string) string {
	if c, ok := s.tenant.EnabledConnection(orgID); ok {
		return c.ID
	}
	return fixture.PasswordlessConnectionID()
}

// Tenant is the environment's organizations, users and the rest, for
// tests that arrange them as the management API would.
func (s *Server) Tenant() *tenant.Tenant { return s.tenant }

// SessionsOfUser lists a user's live IdP sessions, newest first, with the
// device and apps each was used from: what the session API shows.
func (s *Server) SessionsOfUser(userID string) []store.Session {
	return s.store.SessionsOfUser(userID, s.now(), s.life.SessionIdle)
}
