package mockidp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// Triggered events (POST /__mock/trigger, `skctl mock-idp trigger`): the
// running environment makes the change an event type describes, so the
// event it emits is the real one, with real IDs, through the log and the
// webhooks, as `stripe trigger` does for Stripe. A change that needs
// others first makes them too (sso_disabled creates and enables a
// connection first), on objects of its own, so that a trigger never
// disables or deletes what the app is signed in with. Directory pushes
// go to the organization's first directory, as its IdP's would.

// trigger makes the change of an event type in an organization; it
// returns an error the caller can fix (no such organization).
type trigger func(s *Server, org tenant.Org, n string) error

// triggers are the changes, by event type. Every type of events.Types
// has one (TestTriggerEveryType).
func triggers() map[events.Type]trigger {
	return map[events.Type]trigger{
		events.OrgCreated: func(s *Server, _ tenant.Org, n string) error {
			_, err := s.tenant.CreateOrg(tenant.Org{DisplayName: "Triggered organization " + n})
			return err
		},
		events.OrgUpdated: func(s *Server, o tenant.Org, n string) error {
			_, err := s.tenant.UpdateOrg(o.ID, func(o *tenant.Org) error {
				o.Metadata = cloneWith(o.Metadata, "skctl_triggered", n)
				return nil
			})
			return err
		},
		events.OrgDeleted: func(s *Server, _ tenant.Org, n string) error {
			o, err := s.tenant.CreateOrg(tenant.Org{DisplayName: "Triggered organization " + n})
			if err != nil {
				return err
			}
			return s.tenant.DeleteOrg(o.ID)
		},
		events.DomainCreated: func(s *Server, o tenant.Org, n string) error {
			_, err := s.tenant.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "triggered-" + n + ".example.com"})
			return err
		},
		events.DomainDeleted: func(s *Server, o tenant.Org, n string) error {
			d, err := s.tenant.CreateDomain(tenant.Domain{OrgID: o.ID, Name: "triggered-" + n + ".example.com"})
			if err != nil {
				return err
			}
			return s.tenant.DeleteDomain(o.ID, d.ID)
		},
		events.DomainVerificationPassed: domainCheck(events.DomainVerificationPassed),
		events.DomainVerificationFailed: domainCheck(events.DomainVerificationFailed),
		events.SSOCreated: func(s *Server, o tenant.Org, _ string) error {
			_, err := s.newConnection(o)
			return err
		},
		events.SSOEnabled: func(s *Server, o tenant.Org, _ string) error {
			c, err := s.newConnection(o)
			if err == nil {
				_, err = s.tenant.SetConnectionEnabled(o.ID, c.ID, true)
			}
			return err
		},
		events.SSODisabled: func(s *Server, o tenant.Org, _ string) error {
			c, err := s.newConnection(o)
			if err == nil {
				_, err = s.tenant.SetConnectionEnabled(o.ID, c.ID, true)
			}
			if err == nil {
				_, err = s.tenant.SetConnectionEnabled(o.ID, c.ID, false)
			}
			return err
		},
		events.SSODeleted: func(s *Server, o tenant.Org, _ string) error {
			c, err := s.newConnection(o)
			if err == nil {
				err = s.tenant.DeleteConnection(o.ID, c.ID)
			}
			return err
		},
		events.DirectoryEnabled: func(s *Server, o tenant.Org, n string) error {
			d, err := s.tenant.CreateDirectory(tenant.Directory{OrgID: o.ID, Name: "Triggered directory " + n})
			if err == nil {
				_, err = s.tenant.SetDirectoryEnabled(o.ID, d.ID, true)
			}
			return err
		},
		events.DirectoryDisabled: func(s *Server, o tenant.Org, n string) error {
			d, err := s.tenant.CreateDirectory(tenant.Directory{OrgID: o.ID, Name: "Triggered directory " + n})
			if err == nil {
				_, err = s.tenant.SetDirectoryEnabled(o.ID, d.ID, true)
			}
			if err == nil {
				_, err = s.tenant.SetDirectoryEnabled(o.ID, d.ID, false)
			}
			return err
		},
		events.DirUserCreated:  directoryChange(events.DirUserCreated),
		events.DirUserUpdated:  directoryChange(events.DirUserUpdated),
		events.DirUserDeleted:  directoryChange(events.DirUserDeleted),
		events.DirGroupCreated: directoryChange(events.DirGroupCreated),
		events.DirGroupUpdated: directoryChange(events.DirGroupUpdated),
		events.DirGroupDeleted: directoryChange(events.DirGroupDeleted),
		// A new email joining the organization, as a sign-up routed to it
		// (its allowed email domain, or an organization_id) does.
		events.UserSignup: func(s *Server, o tenant.Org, n string) error {
			var err error
			if o.ID == "" { // no organization yet: one of its own
				_, err = s.tenant.SignUp("triggered-" + n + "@example.com")
			} else {
				_, err = s.tenant.JoinOrg("triggered-"+n+"@example.com", o.ID)
			}
			return err
		},
		events.UserLogin: func(s *Server, o tenant.Org, _ string) error {
			_, err := s.triggerSession(o)
			return err
		},
		events.UserLogout: func(s *Server, o tenant.Org, _ string) error {
			ses, err := s.triggerSession(o)
			if err == nil && s.store.EndSession(ses.ID, store.EndLogout) {
				s.sessionsEnded(ses.ID)
			}
			return err
		},
		events.MembershipInvited: func(s *Server, o tenant.Org, n string) error {
			_, err := s.tenant.CreateUserAndMembership(o.ID, tenant.User{Email: "triggered-" + n + "@example.com"}, tenant.Membership{}, true)
			return err
		},
		events.MembershipCreated: func(s *Server, o tenant.Org, n string) error {
			_, err := s.tenant.CreateUserAndMembership(o.ID, tenant.User{Email: "triggered-" + n + "@example.com"}, tenant.Membership{}, false)
			return err
		},
		events.MembershipUpdated: func(s *Server, o tenant.Org, n string) error {
			u, err := s.tenant.CreateUserAndMembership(o.ID, tenant.User{Email: "triggered-" + n + "@example.com"}, tenant.Membership{}, false)
			if err == nil {
				_, err = s.tenant.UpdateMembership(o.ID, u.ID, func(m *tenant.Membership) error {
					m.Metadata = cloneWith(m.Metadata, "skctl_triggered", n)
					return nil
				})
			}
			return err
		},
		events.MembershipDeleted: func(s *Server, o tenant.Org, n string) error {
			u, err := s.tenant.CreateUserAndMembership(o.ID, tenant.User{Email: "triggered-" + n + "@example.com"}, tenant.Membership{}, false)
			if err == nil {
				err = s.tenant.DeleteMembership(o.ID, u.ID)
			}
			return err
		},
		events.RoleCreated:       roleEvent(events.RoleCreated),
		events.RoleUpdated:       roleEvent(events.RoleUpdated),
		events.RoleDeleted:       roleEvent(events.RoleDeleted),
		events.PermissionCreated: roleEvent(events.PermissionCreated),
		events.PermissionUpdated: roleEvent(events.PermissionUpdated),
		events.PermissionDeleted: roleEvent(events.PermissionDeleted),
	}
}

// newConnection adds a draft SSO connection of the mock's own IdP
// simulator to an organization.
func (s *Server) newConnection(o tenant.Org) (tenant.Connection, error) {
	return s.tenant.CreateConnection(tenant.Connection{OrgID: o.ID, Type: "OIDC", Provider: "IDP_SIMULATOR"})
}

// triggerSession starts an IdP session for the organization's first
// member, as a sign-in through the page would.
func (s *Server) triggerSession(o tenant.Org) (*store.Session, error) {
	members, err := s.tenant.ListOrgUsers(o.ID, tenant.Page{Size: 1})
	if err != nil {
		return nil, err
	}
	if len(members.Items) == 0 {
		return nil, fmt.Errorf("organization %s has no members to sign in: pick another with --org", o.ID)
	}
	u := members.Items[0]
	now := s.now()
	ses := &store.Session{ID: s.ids.New("ses_"), UserID: u.ID, OrgID: o.ID, ConnID: s.connectionFor(o.ID),
		AuthTime: now, LastSeen: now, Expires: now.Add(s.life.SessionAbsolute), UserAgent: "skctl mock-idp trigger"}
	s.store.AddSession(ids.Token(), ses)
	s.tenant.SignedIn(u.ID, o.ID)
	s.sessionStarted(ses)
	return ses, nil
}

// domainCheck logs the outcome of a DNS check of a new pending domain of
// the organization. Success is the tenant's VerifyDomain, as the admin
// portal's Verify button does; the mock has no DNS to fail, so a failed
// check is logged with the domain left pending.
func domainCheck(typ events.Type) trigger {
	return func(s *Server, o tenant.Org, n string) error {
		d, err := s.tenant.CreatePendingDomain(tenant.Domain{OrgID: o.ID, Name: "triggered-" + n + ".example.com"})
		if err != nil {
			return err
		}
		if typ == events.DomainVerificationPassed {
			_, err = s.tenant.VerifyDomain(o.ID, d.ID)
			return err
		}
		s.events.Append(s.api.Event(tenant.Change{Type: typ, Org: &o, Domain: &d}))
		return nil
	}
}

// directoryChange makes the push of a user or group that an event type
// describes, in the organization's first directory (or a new one), as the
// directory's SCIM endpoint would: a user or group to update or delete is
// created first.
func directoryChange(typ events.Type) trigger {
	return func(s *Server, o tenant.Org, n string) error {
		dirs, err := s.tenant.ListDirectories(o.ID)
		if err != nil {
			return err
		}
		var d tenant.Directory
		if len(dirs) > 0 {
			d = dirs[0]
		} else if d, err = s.tenant.CreateDirectory(tenant.Directory{OrgID: o.ID, Name: "Triggered directory " + n}); err != nil {
			return err
		}
		email := "triggered-" + n + "@example.com"
		switch typ {
		case events.DirUserCreated, events.DirUserUpdated, events.DirUserDeleted:
			u, err := s.tenant.CreateDirUser(d.ID, tenant.DirUser{Email: email, PreferredUsername: email,
				GivenName: "Triggered", FamilyName: "User " + n, Active: true, Emails: []string{email}})
			switch {
			case err != nil:
				return err
			case typ == events.DirUserUpdated:
				_, err = s.tenant.UpdateDirUser(d.ID, u.ID, func(u *tenant.DirUser) error { u.Active = false; return nil })
			case typ == events.DirUserDeleted:
				_, err = s.tenant.DeleteDirUser(d.ID, u.ID)
			}
			return err
		default:
			g, err := s.tenant.CreateDirGroup(d.ID, tenant.DirGroup{DisplayName: "Triggered group " + n}, nil)
			switch {
			case err != nil:
				return err
			case typ == events.DirGroupUpdated:
				_, err = s.tenant.UpdateDirGroup(d.ID, g.ID, func(g *tenant.DirGroup, members []string) ([]string, error) {
					g.DisplayName += " (renamed)"
					return members, nil
				})
			case typ == events.DirGroupDeleted:
				_, err = s.tenant.DeleteDirGroup(d.ID, g.ID)
			}
			return err
		}
	}
}

// roleEvent logs a change of the environment's roles or permissions,
// which the mock's fixtures define and no API of the mock changes yet.
func roleEvent(typ events.Type) trigger {
	return func(s *Server, o tenant.Org, n string) error {
		e := s.api.RoleEvent(typ, "triggered_"+n, "Triggered "+n)
		s.events.Append(e)
		return nil
	}
}

func cloneWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// maxTriggerEvents bounds the events a trigger answers with.
const maxTriggerEvents = 100

// errNoOrg: the environment has no organization to trigger in.
var errNoOrg = errors.New("this environment has no organization: create one first, or trigger organization.created")

// handleTrigger serves POST /__mock/trigger {"type", "organization_id"}:
// it makes the change, and answers the events it logged, the asked-for
// one last.
func (s *Server) handleTrigger(w http.ResponseWriter, typ, orgID string) {
	if _, ok := events.Lookup(events.Type(typ)); !ok {
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest(fmt.Sprintf("No event type %q: `skctl mock-idp trigger --list` names them.", typ)))
		return
	}
	var org tenant.Org
	var err error
	if orgID != "" {
		org, err = s.tenant.Org(orgID)
	} else if first := s.tenant.ListOrgs(tenant.Page{Size: 1}, "").Items; len(first) > 0 {
		org = first[0]
	} else if events.Type(typ) != events.OrgCreated && events.Type(typ) != events.UserSignup {
		err = errNoOrg
	}
	if err != nil {
		wire.WriteJSON(w, http.StatusNotFound, wire.InvalidRequest(err.Error()))
		return
	}
	before := s.events.All()
	mark := ""
	if len(before) > 0 {
		mark = before[len(before)-1].ID
	}
	// n names the objects the change makes: random, so that two triggers
	// never collide on an email or a domain name.
	b := make([]byte, 4)
	rand.Read(b)
	n := hex.EncodeToString(b)
	if err := triggers()[events.Type(typ)](s, org, n); err != nil {
		s.log.Warn("trigger: the change failed", "type", typ, "err", err)
		wire.WriteJSON(w, http.StatusConflict, wire.InvalidRequest("The change could not be made: "+err.Error()))
		return
	}
	if s.opts.StateDir != "" {
		if err := s.persistTenant(); err != nil {
			s.log.Error("trigger: could not save the state", "err", err)
		}
	}
	// The events logged while the change ran, in order (a change another
	// client made meanwhile shows too); the asked-for one is the last of
	// its type, as the change may have needed others first. A trigger
	// logs a few; the bound keeps the answer small if the mark was
	// evicted from the log meanwhile.
	logged := s.events.After(mark)
	if len(logged) > maxTriggerEvents {
		logged = logged[len(logged)-maxTriggerEvents:]
	}
	var asked *events.Event
	for i := range logged {
		if string(logged[i].Type) == typ {
			asked = &logged[i]
		}
	}
	endpoints := 0
	if s.webhooks != nil {
		endpoints = len(s.webhooks.Endpoints())
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"event": asked, "events": logged, "webhook_endpoints": endpoints})
}
