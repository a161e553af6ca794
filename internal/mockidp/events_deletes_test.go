package mockidp_test

import (
	"encoding/json"
	"slices"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	connectionspb "github.com/skctl/skctl/internal/scalekitpb/connections"
	domainspb "github.com/skctl/skctl/internal/scalekitpb/domains"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// TestEventsOfAPIDeletesAndMembershipUpdate: the management API's own
// calls, not the trigger command, log organization.domain_deleted
// (DeleteDomain), organization.sso_deleted (DeleteConnection) and
// user.organization_membership_updated (UpdateMembership), each right
// after the change, with the object the change was about as its data,
// so that an app's handler for them sees what an API call did.
func TestEventsOfAPIDeletesAndMembershipUpdate(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	org := c.createOrg("Deletions Inc", "")
	u := c.createUser(org.GetId(), "del.user@deletions.test", false)

	dr, err := c.domains.CreateDomain(mgCtx(t), connect.NewRequest(&domainspb.CreateDomainRequest{
		Identities: &domainspb.CreateDomainRequest_OrganizationId{OrganizationId: org.GetId()},
		Domain:     &domainspb.CreateDomain{Domain: "deletions.test", DomainType: domainspb.DomainType_ORGANIZATION_DOMAIN}}))
	dom := mgMust(t, "CreateDomain", dr, err).GetDomain()
	cr, err := c.conns.CreateConnection(mgCtx(t), connect.NewRequest(&connectionspb.CreateConnectionRequest{
		OrganizationId: org.GetId(),
		Connection:     &connectionspb.CreateConnection{Type: connectionspb.ConnectionType_SAML, Provider: connectionspb.ConnectionProvider_OKTA}}))
	conn := mgMust(t, "CreateConnection", cr, err).GetConnection()

	// lastOf is the newest logged event of a type, after what is seeded.
	seeded := len(env.Events().All())
	lastOf := func(typ events.Type) (events.Event, int, bool) {
		all := env.Events().All()
		for i := len(all) - 1; i >= seeded; i-- {
			if all[i].Type == typ {
				return all[i], i, true
			}
		}
		return events.Event{}, -1, false
	}
	data := func(e events.Event) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatalf("%s data: %v: %s", e.Type, err, e.Data)
		}
		return m
	}
	// after runs an API call and checks it logged an event of typ, as
	// the newest event of the log.
	after := func(what string, typ events.Type, call func() error) events.Event {
		t.Helper()
		if err := call(); err != nil {
			t.Fatalf("%s: %v%s", what, err, mgDescribe(err))
		}
		e, i, ok := lastOf(typ)
		if !ok {
			t.Fatalf("%s logged no %s: the log after it has %v", what, typ, typesOf(env.Events().All()[seeded:]))
		}
		if n := len(env.Events().All()); i != n-1 {
			t.Errorf("%s: %s is not the newest event: %v", what, typ, typesOf(env.Events().All()[i:]))
		}
		if e.OrganizationID != org.GetId() {
			t.Errorf("%s: %s has organization %q, want %s", what, typ, e.OrganizationID, org.GetId())
		}
		return e
	}

	e := after("DeleteDomain", events.DomainDeleted, func() error {
		_, err := c.domains.DeleteDomain(mgCtx(t), connect.NewRequest(&domainspb.DeleteDomainRequest{
			Identities: &domainspb.DeleteDomainRequest_OrganizationId{OrganizationId: org.GetId()}, Id: dom.GetId()}))
		return err
	})
	if d := data(e); d["id"] != dom.GetId() || d["domain"] != "deletions.test" || d["organization_id"] != org.GetId() {
		t.Errorf("organization.domain_deleted data is not the deleted domain %s: %v", dom.GetId(), d)
	}

	e = after("DeleteConnection", events.SSODeleted, func() error {
		_, err := c.conns.DeleteConnection(mgCtx(t), connect.NewRequest(&connectionspb.DeleteConnectionRequest{
			OrganizationId: org.GetId(), Id: conn.GetId()}))
		return err
	})
	if d := data(e); d["id"] != conn.GetId() || d["organization_id"] != org.GetId() || d["connection_type"] != "SAML" {
		t.Errorf("organization.sso_deleted data is not the deleted connection %s: %v", conn.GetId(), d)
	}
	if e.Object != events.ObjectConnection {
		t.Errorf("organization.sso_deleted object %s, want %s", e.Object, events.ObjectConnection)
	}

	e = after("UpdateMembership", events.MembershipUpdated, func() error {
		_, err := c.users.UpdateMembership(mgCtx(t), connect.NewRequest(&userspb.UpdateMembershipRequest{
			OrganizationId: org.GetId(), Identities: &userspb.UpdateMembershipRequest_Id{Id: u.GetId()},
			Membership: &userspb.UpdateMembership{Roles: mgRoles("member")}}))
		return err
	})
	d := data(e)
	if dig(d, "user", "id") != u.GetId() || dig(d, "organization", "id") != org.GetId() || e.Object != events.ObjectMembership {
		t.Errorf("user.organization_membership_updated: object %s, data %v; want {organization, user} of %s in %s", e.Object, d, u.GetId(), org.GetId())
	}
	// The data is the membership as it is after the update.
	var roles []any
	ms, _ := dig(d, "user", "memberships").([]any)
	for _, m := range ms {
		if m, _ := m.(map[string]any); m["organization_id"] == org.GetId() {
			for _, r := range asSlice(m["roles"]) {
				roles = append(roles, dig(r.(map[string]any), "name"))
			}
		}
	}
	if !slices.Equal(roles, []any{"member"}) {
		t.Errorf("user.organization_membership_updated data: the membership's roles %v, want [member] (the update's): %v", roles, d)
	}
}

func typesOf(es []events.Event) []events.Type {
	var out []events.Type
	for _, e := range es {
		out = append(out, e.Type)
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
