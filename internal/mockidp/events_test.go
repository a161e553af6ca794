package mockidp_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/webhook"
	eventspb "github.com/skctl/skctl/internal/scalekitpb/events"
	"github.com/skctl/skctl/internal/scalekitpb/events/eventspbconnect"
	orgpb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	sessionspb "github.com/skctl/skctl/internal/scalekitpb/sessions"
)

// TestEventsOfAPIAndSignIn: API changes, a sign-in and a revocation are
// logged in order as Scalekit's webhook events, each in its envelope with
// the object as data, in bytes that survive JSON.stringify(JSON.parse());
// EventsService lists the same log, a page at a time.
func TestEventsOfAPIAndSignIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	seeded := len(env.Events().All())

	org := c.createOrg("Acme", "acme-1")
	u := c.createUser(org.Id, "wile@acme.test", false)
	name := "Acme Corp"
	upd, err := c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&orgpb.UpdateOrganizationRequest{
		Identities: &orgpb.UpdateOrganizationRequest_Id{Id: org.Id}, Organization: &orgpb.UpdateOrganization{DisplayName: &name}}))
	mgMust(t, "update organization", upd, err)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a.login(newBrowser(t), "wile@acme.test")
	rev, err := c.sessions.RevokeAllUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.RevokeAllUserSessionsRequest{UserId: u.Id}))
	mgMust(t, "revoke", rev, err)

	logged := env.Events().All()[seeded:]
	var types []events.Type
	for _, e := range logged {
		types = append(types, e.Type)
	}
	want := []events.Type{events.OrgCreated, events.MembershipCreated, events.OrgUpdated, events.UserLogin, events.UserLogout}
	if !slices.Equal(types, want) {
		t.Fatalf("events logged: %v\nwant %v", types, want)
	}
	data := func(i int) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(logged[i].Data, &m); err != nil {
			t.Fatalf("%s data: %v", logged[i].Type, err)
		}
		return m
	}
	if d := data(0); d["id"] != org.Id || d["display_name"] != "Acme" || d["external_id"] != "acme-1" {
		t.Errorf("organization.created data is not the organization in proto-name JSON: %v", d)
	}
	if d := data(1); dig(d, "user", "email") != "wile@acme.test" || dig(d, "organization", "id") != org.Id || logged[1].Object != events.ObjectMembership {
		t.Errorf("membership_created: object %s, data %v; want {organization, user} of an OrgMembership", logged[1].Object, d)
	}
	if d := data(2); d["display_name"] != "Acme Corp" {
		t.Errorf("organization.updated data has the old name: %v", d)
	}
	login, logout := data(3), data(4)
	sid, _ := dig(login, "user_session", "session_id").(string)
	if !strings.HasPrefix(sid, "ses_") || dig(login, "user", "id") != u.Id || dig(login, "user_session", "status") != "active" {
		t.Errorf("user.login data: %v", login)
	}
	if dig(logout, "user_session", "session_id") != sid || dig(logout, "user_session", "status") != "revoked" || dig(logout, "user_session", "logout_at") == nil {
		t.Errorf("user.logout data does not end session %s as revoked: %v", sid, logout)
	}
	for _, e := range logged {
		body, err := e.Body()
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if canon, err := webhook.Canonical(body); err != nil || !bytes.Equal(canon, body) {
			t.Errorf("%s: the body does not survive JSON.stringify(JSON.parse()): %v\n%s\n%s", e.Type, err, body, canon)
		}
		var env map[string]any
		json.Unmarshal(body, &env)
		if env["spec_version"] != "1" || !strings.HasPrefix(env["id"].(string), "evt_") || !strings.HasPrefix(env["environment_id"].(string), "env_") || env["display_name"] == "" {
			t.Errorf("%s: envelope %v", e.Type, env)
		}
	}

	// EventsService reads the same log: the organization's events, two
	// to a page, oldest first.
	ev := eventspbconnect.NewEventsServiceClient(c.http, env.URL, connect.WithGRPC())
	var listed []string
	req := &eventspb.ListEventsPaginatedRequest{PageSize: 2, Filter: &eventspb.EventFilter{OrganizationId: org.Id}}
	for pages := 0; ; pages++ {
		resp, err := ev.ListEventsPaginated(mgCtx(t), connect.NewRequest(req))
		r := mgMust(t, "list events", resp, err)
		for _, e := range r.Events {
			listed = append(listed, e.Type)
			if e.Type == string(events.OrgCreated) && e.Data.GetFields()["id"].GetStringValue() != org.Id {
				t.Errorf("listed organization.created data: %v", e.Data)
			}
		}
		if r.NextPageToken == "" || pages > 5 {
			break
		}
		req.PageToken = r.NextPageToken
	}
	wantListed := []string{"organization.created", "user.organization_membership_created", "organization.updated", "user.login", "user.logout"}
	if !slices.Equal(listed, wantListed) {
		t.Errorf("ListEventsPaginated for %s: %v, want %v", org.Id, listed, wantListed)
	}
	resp, err := ev.ListEventsPaginated(mgCtx(t), connect.NewRequest(&eventspb.ListEventsPaginatedRequest{
		Filter: &eventspb.EventFilter{EventTypes: []string{"user.login"}}}))
	r := mgMust(t, "list by type", resp, err)
	if len(r.Events) != 1 || r.Events[0].Type != "user.login" || r.Events[0].GetObject() != eventspb.ObjectType_User {
		t.Errorf("filtered by user.login: %v", r.Events)
	}
}

// dig walks nested JSON objects.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// TestEventLogSurvivesRestart: with a state directory, the event log
// is there after a graceful restart, and new events follow it.
func TestEventLogSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := startEnv(t, mockidp.Options{StateDir: dir})
	o := arranged(env.Tenant().CreateOrg(tenant.Org{DisplayName: "Initech"}))
	before := env.Events().All()
	env.Stop()

	env = startEnv(t, mockidp.Options{StateDir: dir})
	after := env.Events().All()
	if len(after) != len(before) || len(after) == 0 || after[len(after)-1].ID != before[len(before)-1].ID {
		t.Fatalf("after the restart the log has %d events (last %v), want the %d before it", len(after), after, len(before))
	}
	arranged(env.Tenant().UpdateOrg(o.ID, func(o *tenant.Org) error { o.DisplayName = "Initrode"; return nil }))
	if got := env.Events().After(before[len(before)-1].ID); len(got) != 1 || got[0].Type != events.OrgUpdated {
		t.Errorf("the change after the restart logged %v", got)
	}
}
