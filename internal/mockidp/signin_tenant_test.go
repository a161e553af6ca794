package mockidp_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"golang.org/x/oauth2"
)

// The sign-in flow and the tenant are one store: what is arranged in the
// tenant (as the management API does) is what signs in, and what a
// sign-in does shows in the tenant.

// TestTenantUserSignsIn: a user created in the tenant is on the sign-in
// page and signs in by login_hint, and its tokens carry its usr_ ID, the
// membership's organization, its roles, and its permissions joined with
// its roles' (member's users:read). A later change of the membership is
// in the next refresh: tokens read the tenant as it is.
func TestTenantUserSignsIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	tn := env.Tenant()
	o, err := tn.CreateOrg(tenant.Org{DisplayName: "Initech", ExternalID: "INI-1"})
	if err != nil {
		t.Fatal(err)
	}
	arranged(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "bill@initech.test", Name: "Bill Lumbergh"}, tenant.Membership{}, false))
	u := arranged(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "Peter@Initech.test", GivenName: "Peter", FamilyName: "Gibbons", ExternalID: "EMP-9", EmailVerified: true},
		tenant.Membership{Permissions: []string{"tps:file"}}, false))

	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	if p := newBrowser(t).get(a.start().authURL); !strings.Contains(p.body, "Initech") || !strings.Contains(p.body, "peter@initech.test") || !strings.Contains(p.body, "Peter Gibbons") {
		t.Errorf("the sign-in page does not list the tenant's new organization and user: %.2000s", p.body)
	}
	tok := a.login(newBrowser(t), "peter@initech.test")
	at := jwtClaims(t, tok.AccessToken)
	if tok.idToken.Subject != u.ID || at["sub"] != u.ID || at["oid"] != o.ID || tok.claims["oid"] != o.ID {
		t.Errorf("sub %s / %v, oid %v; want %s in %s", tok.idToken.Subject, at["sub"], at["oid"], u.ID, o.ID)
	}
	if r := strs(at["roles"]); !slices.Equal(r, []string{"member"}) {
		t.Errorf("roles %v, want [member]: the organization's second member", r)
	}
	if p := strs(at["permissions"]); !slices.Equal(p, []string{"tps:file", "users:read"}) {
		t.Errorf("permissions %v, want the membership's tps:file and the member role's users:read", p)
	}
	if at["xoid"] != "INI-1" || at["xuid"] != "EMP-9" || tok.claims["email"] != "peter@initech.test" || tok.claims["email_verified"] != true {
		t.Errorf("external IDs and email: %v %v %v %v", at["xoid"], at["xuid"], tok.claims["email"], tok.claims["email_verified"])
	}
	if got := arranged(tn.User(u.ID)); got.LastLogin.IsZero() {
		t.Error("the sign-in left no last login")
	}

	arranged(tn.UpdateMembership(o.ID, u.ID, func(m *tenant.Membership) error { m.Roles = []string{"admin"}; return nil }))
	r := postToken(t, env.URL, refreshForm(tok.RefreshToken, app1ID, app1Secret), nil)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	at = jwtClaims(t, r.body["access_token"].(string))
	if !slices.Equal(strs(at["roles"]), []string{"admin"}) || !slices.Contains(strs(at["permissions"]), "users:write") {
		t.Errorf("after the role change: roles %v, permissions %v", at["roles"], at["permissions"])
	}
}

// arranged returns v, and panics (failing the test) on an error: a step
// that arranges the tenant, not what the test is about.
func arranged[T any](v T, err error) T {
	if err != nil {
		panic("arranging the tenant: " + err.Error())
	}
	return v
}

// TestPageSignUpIsInTenant: a new email typed on the page signs up as
// Scalekit's sign-up does, and the tenant has it: a user, verified, the
// admin of a new organization of its own, which the tokens name.
func TestPageSignUpIsInTenant(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)
	f := a.start(oauth2.SetAuthURLParam("prompt", "create"))
	tok, err := a.exchange(f, a.callback(f, b.byEmail(env, b.get(f.authURL), "Founder@Startup.test")))
	if err != nil {
		t.Fatal(err)
	}
	tn := env.Tenant()
	u, err := tn.UserByEmail("founder@startup.test")
	if err != nil {
		t.Fatalf("the sign-up is not in the tenant: %v", err)
	}
	if u.ID != tok.idToken.Subject || !u.EmailVerified || u.LastLogin.IsZero() || len(u.Memberships) != 1 {
		t.Fatalf("signed-up user %+v, token sub %s", u, tok.idToken.Subject)
	}
	m := u.Memberships[0]
	o := arranged(tn.Org(m.OrgID))
	if tok.claims["oid"] != o.ID || !slices.Equal(m.Roles, []string{"admin"}) || m.Status != tenant.MembershipActive {
		t.Errorf("membership %+v of %+v; token oid %v", m, o, tok.claims["oid"])
	}
	if members := arranged(tn.ListOrgUsers(o.ID, tenant.Page{})); members.Total != 1 || members.Items[0].ID != u.ID {
		t.Errorf("the new organization's members: %+v", members.Items)
	}
	if at := jwtClaims(t, tok.AccessToken); !slices.Contains(strs(at["permissions"]), "organization:manage") {
		t.Errorf("the founder's permissions %v lack the admin role's", at["permissions"])
	}
}

// TestRoutedSignUpJoinsOrg: a new email on the page of a request routed
// to an organization joins that organization, as its member.
func TestRoutedSignUpJoinsOrg(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)
	f := a.start(oauth2.SetAuthURLParam("organization_id", globexOrg))
	tok, err := a.exchange(f, a.callback(f, b.byEmail(env, b.get(f.authURL), "temp@agency.test")))
	if err != nil {
		t.Fatal(err)
	}
	u := arranged(env.Tenant().UserByEmail("temp@agency.test"))
	if m, ok := u.Membership(globexOrg); !ok || !slices.Equal(m.Roles, []string{"member"}) || tok.claims["oid"] != globexOrg {
		t.Errorf("memberships %+v, oid %v: want a member of Globex", u.Memberships, tok.claims["oid"])
	}
}

// TestDisabledConnectionNotUsed: organization_id routes through the
// organization's first enabled connection, so a disabled one is skipped
// (here for the passwordless connection, then for a second one turned
// on); connection_id naming a disabled connection is refused as an unknown
// one is.
func TestDisabledConnectionNotUsed(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	tn := env.Tenant()
	arranged(tn.SetConnectionEnabled(acmeOrg, acmeConn, false))
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	amrOf := func(opts ...oauth2.AuthCodeOption) string {
		t.Helper()
		f := a.start(append(opts, oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))...)
		tok, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
		if err != nil {
			t.Fatal(err)
		}
		amr := strs(tok.claims["amr"])
		if len(amr) != 1 || tok.claims["oid"] != acmeOrg {
			t.Fatalf("amr %v, oid %v", amr, tok.claims["oid"])
		}
		return amr[0]
	}
	if got := amrOf(oauth2.SetAuthURLParam("organization_id", acmeOrg)); got != fixture.PasswordlessConnectionID() {
		t.Errorf("organization_id with its only connection off: amr %s, want the passwordless %s", got, fixture.PasswordlessConnectionID())
	}
	if got := amrOf(oauth2.SetAuthURLParam("domain", "acme.test")); got == acmeConn {
		t.Error("domain routing used the disabled connection")
	}
	v := validParams()
	v.Set("connection_id", acmeConn)
	p := newBrowser(t).get(authorizeURL(env.URL, v))
	if p.location == nil || p.location.Query().Get("error") != "invalid_connection_id" {
		t.Errorf("connection_id of a disabled connection: %d %v, want an invalid_connection_id redirect", p.status, p.location)
	}

	second := arranged(tn.CreateConnection(tenant.Connection{OrgID: acmeOrg, Type: "SAML", Provider: "OKTA"}))
	arranged(tn.SetConnectionEnabled(acmeOrg, second.ID, true))
	if got := amrOf(oauth2.SetAuthURLParam("organization_id", acmeOrg)); got != second.ID {
		t.Errorf("organization_id with a second connection on: amr %s, want %s", got, second.ID)
	}
	if got := amrOf(oauth2.SetAuthURLParam("connection_id", second.ID)); got != second.ID {
		t.Errorf("connection_id of the enabled connection: amr %s", got)
	}
}

// TestDomainRoutingUsesTenant: a domain added to an organization routes
// sign-ins to it at once, and one removed no longer does.
func TestDomainRoutingUsesTenant(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	tn := env.Tenant()
	d := arranged(tn.CreateDomain(tenant.Domain{OrgID: globexOrg, Name: "globex-eu.test"}))
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	page := newBrowser(t).get(a.start(oauth2.SetAuthURLParam("domain_hint", "globex-eu.test")).authURL)
	if !strings.Contains(page.body, "Hank Scorpio") || strings.Contains(page.body, "Ada Lovelace") {
		t.Errorf("domain_hint of Globex's new domain: the page does not list Globex alone")
	}
	if err := tn.DeleteDomain(globexOrg, d.ID); err != nil {
		t.Fatal(err)
	}
	page = newBrowser(t).get(a.start(oauth2.SetAuthURLParam("domain_hint", "globex-eu.test")).authURL)
	if !strings.Contains(page.body, "Ada Lovelace") {
		t.Errorf("a removed domain still routes")
	}
}

// TestInviteAcceptedAtSignIn: an invited member is listed on the page as
// invited; signing in accepts the invitation, as following Scalekit's
// invitation email does.
func TestInviteAcceptedAtSignIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	tn := env.Tenant()
	u := arranged(tn.CreateUserAndMembership(acmeOrg, tenant.User{Email: "newhire@acme.test"}, tenant.Membership{}, true))
	if m, _ := u.Membership(acmeOrg); m.Status != tenant.MembershipPendingInvite {
		t.Fatalf("status %s", m.Status)
	}
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	if p := newBrowser(t).get(a.start().authURL); !strings.Contains(p.body, "member (invited)") {
		t.Errorf("the page does not show the invitation: %.3000s", p.body)
	}
	tok := a.login(newBrowser(t), "newhire@acme.test")
	if tok.claims["oid"] != acmeOrg {
		t.Errorf("oid %v", tok.claims["oid"])
	}
	m, _ := arranged(tn.User(u.ID)).Membership(acmeOrg)
	if m.Status != tenant.MembershipActive || m.AcceptTime.IsZero() || m.Invite != nil {
		t.Errorf("after signing in: %+v", m)
	}
}

// TestDeletionsEndSessions: deleting a membership signs the user out of
// that organization only; deleting the user signs it out everywhere, and
// its refresh tokens stop working, so the app sees the logout.
func TestDeletionsEndSessions(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	tn := env.Tenant()
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	inGlobex := a.login(newBrowser(t), "hank@globex.test") // Hank's first organization
	f := a.start(oauth2.SetAuthURLParam("login_hint", "hank@globex.test"), oauth2.SetAuthURLParam("organization_id", acmeOrg))
	inAcme, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
	if err != nil {
		t.Fatal(err)
	}
	if inGlobex.claims["oid"] != globexOrg || inAcme.claims["oid"] != acmeOrg || len(env.SessionsOfUser(hank)) != 2 {
		t.Fatalf("setup: oids %v %v, %d sessions", inGlobex.claims["oid"], inAcme.claims["oid"], len(env.SessionsOfUser(hank)))
	}
	refresh := func(tok *tokens) tokenReply {
		return postToken(t, env.URL, refreshForm(tok.RefreshToken, app1ID, app1Secret), nil)
	}
	if err := tn.DeleteMembership(acmeOrg, hank); err != nil {
		t.Fatal(err)
	}
	refresh(inAcme).wantError(t, http.StatusBadRequest, "invalid_grant")
	next := refresh(inGlobex)
	if next.status != http.StatusOK {
		t.Fatalf("Hank's Globex session after leaving Acme: %d %v", next.status, next.body)
	}
	if err := tn.DeleteUser(hank); err != nil {
		t.Fatal(err)
	}
	if s := env.SessionsOfUser(hank); len(s) != 0 {
		t.Errorf("the deleted user's sessions live on: %+v", s)
	}
	postToken(t, env.URL, refreshForm(next.body["refresh_token"].(string), app1ID, app1Secret), nil).wantError(t, http.StatusBadRequest, "invalid_grant")
}

// TestSessionRecordsDeviceAndClients: a session knows the browser it was
// started from and each app that signed in with it: the first at sign-in,
// the second when single sign-on gives it a code.
func TestSessionRecordsDeviceAndClients(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	b := newBrowser(t)
	newApp(t, env, app1ID, app1Secret, app1Redirect).login(b, "grace@acme.test")
	second := newApp(t, env, app2ID, app2Secret, app2Redirect)
	f := second.start()
	if _, err := second.exchange(f, second.callback(f, b.get(f.authURL))); err != nil {
		t.Fatal(err)
	}
	sessions := env.SessionsOfUser("usr_59615193906610315")
	if len(sessions) != 1 {
		t.Fatalf("Grace has %d sessions, want the one both apps share", len(sessions))
	}
	s := sessions[0]
	if s.IP != "127.0.0.1" || !strings.HasPrefix(s.UserAgent, "Go-http-client/") || !slices.Equal(s.Clients, []string{app1ID, app2ID}) {
		t.Errorf("session %+v", s)
	}
}
