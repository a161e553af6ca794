package mockidp_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// triggered is POST /__mock/trigger's answer.
type triggered struct {
	Event  *events.Event  `json:"event"`
	Events []events.Event `json:"events"`
}

func trigger(t *testing.T, post func() (int, []byte)) (int, triggered, string) {
	t.Helper()
	status, body := post()
	var r triggered
	if status == 200 {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("trigger answer: %v: %s", err, body)
		}
	}
	return status, r, string(body)
}

// TestTriggerEveryType: every event type the mock emits can be
// triggered, and the answer is an event of that type that is in the log
// (so the webhooks deliver it), in the organization asked for.
func TestTriggerEveryType(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	org := arranged(env.Tenant().CreateOrg(tenant.Org{DisplayName: "Trigger target"}))
	arranged(env.Tenant().CreateUserAndMembership(org.ID, tenant.User{Email: "first@trigger.test"}, tenant.Membership{}, false))
	for _, info := range events.Types() {
		status, r, body := trigger(t, func() (int, []byte) {
			return mgControl(t, env, "POST", "/__mock/trigger", map[string]string{"type": string(info.Type), "organization_id": org.ID})
		})
		if status != 200 || r.Event == nil {
			t.Errorf("trigger %s: %d %s", info.Type, status, body)
			continue
		}
		e := r.Event
		logged, ok := env.Events().Get(e.ID)
		if e.Type != info.Type || !ok || logged.Type != info.Type || e.Object != info.Object {
			t.Errorf("trigger %s answered %s (object %s, in the log: %v)", info.Type, e.Type, e.Object, ok)
		}
		// Events of an organization are in the one asked for, but a new
		// organization's, a sign-up's, and the roles' (environment-wide).
		switch info.Type {
		case events.OrgCreated, events.OrgDeleted, events.RoleCreated, events.RoleUpdated, events.RoleDeleted,
			events.PermissionCreated, events.PermissionUpdated, events.PermissionDeleted:
		default:
			if e.OrganizationID != org.ID {
				t.Errorf("trigger %s: the event is in organization %q, want %s", info.Type, e.OrganizationID, org.ID)
			}
		}
	}
}

// TestTriggerMakesTheChange: a triggered event is the store's change,
// not a made-up body: the disabled connection exists, disabled; the
// logged-out session has ended; the invited user is pending.
func TestTriggerMakesTheChange(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	org := arranged(env.Tenant().CreateOrg(tenant.Org{DisplayName: "Trigger target"}))
	arranged(env.Tenant().CreateUserAndMembership(org.ID, tenant.User{Email: "first@trigger.test"}, tenant.Membership{}, false))
	post := func(typ string) triggered {
		status, r, body := trigger(t, func() (int, []byte) {
			return mgControl(t, env, "POST", "/__mock/trigger", map[string]string{"type": typ, "organization_id": org.ID})
		})
		if status != 200 || r.Event == nil {
			t.Fatalf("trigger %s: %d %s", typ, status, body)
		}
		return r
	}

	r := post("organization.sso_disabled")
	var types []string
	for _, e := range r.Events {
		types = append(types, string(e.Type))
	}
	if strings.Join(types, " ") != "organization.sso_created organization.sso_enabled organization.sso_disabled" {
		t.Errorf("sso_disabled logged %v: want the connection created, enabled, then disabled", types)
	}
	var conn struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r.Event.Data, &conn)
	if c, err := env.Tenant().Connection(org.ID, conn.ID); err != nil || c.Enabled {
		t.Errorf("the triggered connection %s: %+v, %v; want it in the tenant, disabled", conn.ID, c, err)
	}

	r = post("user.organization_invitation")
	var inv struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	json.Unmarshal(r.Event.Data, &inv)
	u, err := env.Tenant().User(inv.User.ID)
	if m, _ := u.Membership(org.ID); err != nil || m.Status != tenant.MembershipPendingInvite {
		t.Errorf("the invited user %s: %v, membership %+v", inv.User.ID, err, m)
	}

	r = post("organization.directory.user_updated")
	if len(r.Events) != 2 || r.Events[0].Type != events.DirUserCreated {
		t.Errorf("directory.user_updated logged %v: want the user pushed, then updated", r.Events)
	}
	var du struct {
		ID        string `json:"id"`
		Directory string `json:"directory_id"`
		Active    bool   `json:"active"`
	}
	json.Unmarshal(r.Event.Data, &du)
	dir := arranged(env.Tenant().Directory(org.ID, du.Directory))
	if i := slices.IndexFunc(dir.Users, func(u tenant.DirUser) bool { return u.ID == du.ID }); i < 0 || dir.Users[i].Active || du.Active {
		t.Errorf("the triggered directory user %s of %s: %+v; want it in the directory, deactivated", du.ID, du.Directory, dir.Users)
	}

	r = post("organization.domain_dns_verification_success")
	var dom struct {
		ID     string `json:"id"`
		Status string `json:"verification_status"`
	}
	json.Unmarshal(r.Event.Data, &dom)
	if d, err := env.Tenant().Domain(org.ID, dom.ID); err != nil || !d.Verified || dom.Status != "VERIFIED" {
		t.Errorf("the triggered domain %s: %+v %v, status %q; want it verified", dom.ID, d, err, dom.Status)
	}

	r = post("user.logout")
	var out struct {
		Session struct {
			ID     string `json:"session_id"`
			Status string `json:"status"`
		} `json:"user_session"`
	}
	json.Unmarshal(r.Event.Data, &out)
	if out.Session.Status != "logout" || !strings.HasPrefix(out.Session.ID, "ses_") || len(r.Events) != 2 || r.Events[0].Type != events.UserLogin {
		t.Errorf("user.logout: session %+v after %d events; want a session signed in, then out", out.Session, len(r.Events))
	}
}

// TestTriggerRefusals: an unknown type or organization is refused with
// what to do, and changes nothing.
func TestTriggerRefusals(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	n := len(env.Events().All())
	status, body := mgControl(t, env, "POST", "/__mock/trigger", map[string]string{"type": "user.created"})
	if status != 400 || !strings.Contains(string(body), "trigger --list") {
		t.Errorf("unknown type: %d %s", status, body)
	}
	status, body = mgControl(t, env, "POST", "/__mock/trigger", map[string]string{"type": "organization.updated", "organization_id": "org_404"})
	if status != 404 || !strings.Contains(string(body), "org_404") {
		t.Errorf("unknown organization: %d %s", status, body)
	}
	if len(env.Events().All()) != n {
		t.Error("a refused trigger logged events")
	}
}

// TestTriggerRoleEventsChangeNothing: the role.* and permission.*
// triggers only send their event: the environment's roles are the same
// after them, the event names a role that is not one of them, and no
// other event is logged with it. trigger --list says so.
func TestTriggerRoleEventsChangeNothing(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	before := env.Tenant().Roles()
	for _, typ := range []events.Type{events.RoleCreated, events.RoleUpdated, events.RoleDeleted,
		events.PermissionCreated, events.PermissionUpdated, events.PermissionDeleted} {
		status, r, body := trigger(t, func() (int, []byte) {
			return mgControl(t, env, "POST", "/__mock/trigger", map[string]string{"type": string(typ)})
		})
		if status != 200 || r.Event == nil || len(r.Events) != 1 || r.Events[0].ID != r.Event.ID {
			t.Errorf("trigger %s: %d %s, want its one event alone", typ, status, body)
			continue
		}
		var d struct{ Name string }
		json.Unmarshal(r.Event.Data, &d)
		if _, ok := env.Tenant().Role(d.Name); d.Name == "" || ok {
			t.Errorf("trigger %s: the event's role %q is one of the environment's (or none): want a made-up one", typ, d.Name)
		}
		if info, _ := events.Lookup(typ); !strings.Contains(info.When, "this trigger changes nothing and only sends the event") {
			t.Errorf("trigger --list's line for %s does not say the trigger changes nothing: %q", typ, info.When)
		}
	}
	if after := env.Tenant().Roles(); !slices.EqualFunc(before, after, func(a, b tenant.Role) bool {
		return a.Name == b.Name && slices.Equal(a.Permissions, b.Permissions)
	}) {
		t.Errorf("the role triggers changed the environment's roles: %+v, then %+v", before, after)
	}
}
