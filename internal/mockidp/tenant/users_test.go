package tenant_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// TestCreateUserAndMembership: a new email makes a user (lower-cased, an
// usr_ ID) with a membership; the first member of an organization is its
// admin and later ones members; the same email in another organization is
// the same user with a second membership, and in the same organization a
// ConflictError on email.
func TestCreateUserAndMembership(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	o := must(tn.CreateOrg(tenant.Org{DisplayName: "Initech"}))
	u := must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: " Peter@Initech.TEST ", GivenName: "Peter", Metadata: map[string]string{"desk": "4"}}, tenant.Membership{}, false))
	if !strings.HasPrefix(u.ID, "usr_") || u.Email != "peter@initech.test" || u.GivenName != "Peter" || u.Metadata["desk"] != "4" {
		t.Errorf("created %+v", u)
	}
	if len(u.Memberships) != 1 {
		t.Fatalf("memberships %+v", u.Memberships)
	}
	m := u.Memberships[0]
	if m.OrgID != o.ID || !slices.Equal(m.Roles, []string{"admin"}) || m.Status != tenant.MembershipActive || !m.AcceptTime.Equal(c.Now()) || m.Invite != nil {
		t.Errorf("the first member's membership %+v, want an active admin", m)
	}
	second := must(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "milton@initech.test"}, tenant.Membership{}, false))
	if r := second.Memberships[0].Roles; !slices.Equal(r, []string{"member"}) {
		t.Errorf("the second member's roles %v, want [member]", r)
	}
	again := must(tn.CreateUserAndMembership(acme, tenant.User{Email: "PETER@initech.test", GivenName: "Not Peter"}, tenant.Membership{Roles: []string{"admin"}}, false))
	if again.ID != u.ID || again.GivenName != "Peter" || len(again.Memberships) != 2 || again.Memberships[1].OrgID != acme {
		t.Errorf("the same email in Acme: %+v, want Peter with a second membership", again)
	}
	cf := wantErr[*tenant.ConflictError](t, second2(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "peter@initech.test"}, tenant.Membership{}, false)), "a member again")
	if cf.Field != "email" {
		t.Errorf("conflict on %q, want email", cf.Field)
	}
	wantErr[*tenant.ConflictError](t, second2(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "x@initech.test", ExternalID: "EMP-0001"}, tenant.Membership{}, false)), "Ada's external ID")
	inv := wantErr[*tenant.InvalidError](t, second2(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "not an email"}, tenant.Membership{}, false)), "a malformed email")
	if inv.Field != "user.email" {
		t.Errorf("invalid field %q", inv.Field)
	}
	wantErr[*tenant.InvalidError](t, second2(tn.CreateUserAndMembership(o.ID, tenant.User{Email: "y@initech.test"}, tenant.Membership{Roles: []string{"owner"}}, false)), "a role that does not exist")
	if _, err := tn.UserByEmail("y@initech.test"); err == nil {
		t.Error("a refused membership left its user behind")
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.CreateUserAndMembership("org_00000000000000000", tenant.User{Email: "z@x.test"}, tenant.Membership{}, false)), "an unknown organization")
	if l := must(tn.ListOrgUsers(o.ID, tenant.Page{})); l.Total != 2 || l.Items[0].ID != u.ID || l.Items[1].ID != second.ID {
		t.Errorf("Initech's users: %+v", l)
	}
}

func second2[T any](_ T, err error) error { return err }

// TestInvitations: an invited member is PENDING_INVITE with an invitation
// of 15 days; it reads INVITE_EXPIRED once they pass, with nothing
// running; a resend renews it and counts; an accepted membership has
// nothing to resend (StateError); and signing in accepts a pending one.
func TestInvitations(t *testing.T) {
	t.Parallel()
	tn, c := newTenant(t)
	u := must(tn.CreateUserAndMembership(acme, tenant.User{Email: "new@acme.test"}, tenant.Membership{Invite: &tenant.Invite{InvitedBy: ada}}, true))
	m, _ := u.Membership(acme)
	if m.Status != tenant.MembershipPendingInvite || m.Invite == nil || m.Invite.InvitedBy != ada || !m.Invite.ExpiresAt.Equal(c.Now().Add(15*24*time.Hour)) || !m.AcceptTime.IsZero() {
		t.Fatalf("invited membership %+v (invite %+v)", m, m.Invite)
	}
	c.Advance(15 * 24 * time.Hour)
	if m, _ := must(tn.User(u.ID)).Membership(acme); m.Status != tenant.MembershipInviteExpired {
		t.Errorf("15 days on: %s, want INVITE_EXPIRED", m.Status)
	}
	tn.SignedIn(u.ID, acme)
	if m, _ := must(tn.User(u.ID)).Membership(acme); m.Status != tenant.MembershipInviteExpired {
		t.Errorf("signing in with an expired invitation made it %s", m.Status)
	}
	r := must(tn.ResendInvite(acme, u.ID))
	if r.Status != tenant.MembershipPendingInvite || r.Invite.ResentCount != 1 || !r.Invite.ResentAt.Equal(c.Now()) || !r.Invite.ExpiresAt.Equal(c.Now().Add(tenant.InviteLifetime)) {
		t.Errorf("resent %+v (invite %+v)", r, r.Invite)
	}
	c.Advance(time.Hour)
	tn.SignedIn(u.ID, acme)
	got := must(tn.User(u.ID))
	m, _ = got.Membership(acme)
	if m.Status != tenant.MembershipActive || !m.AcceptTime.Equal(c.Now()) || m.Invite != nil || !got.LastLogin.Equal(c.Now()) {
		t.Errorf("after signing in: %+v, last login %v", m, got.LastLogin)
	}
	st := wantErr[*tenant.StateError](t, second2(tn.ResendInvite(acme, u.ID)), "resending an accepted invitation")
	if !strings.Contains(st.Reason, "ACTIVE") {
		t.Errorf("reason %q", st.Reason)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.ResendInvite(globex, u.ID)), "a membership that does not exist")
}

// TestSignedInOtherOrg: signing in to one organization accepts that
// organization's invitation only.
func TestSignedInOtherOrg(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	must(tn.CreateMembership(globex, ada, tenant.Membership{}, true))
	tn.SignedIn(ada, acme)
	if m, _ := must(tn.User(ada)).Membership(globex); m.Status != tenant.MembershipPendingInvite {
		t.Errorf("Globex's invitation is %s after a sign-in to Acme", m.Status)
	}
}

// TestMemberships: CreateMembership refuses a second membership of one
// organization; UpdateMembership changes roles and metadata but neither
// the organization nor the status; DeleteMembership ends the user's
// sessions in that organization only.
func TestMemberships(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var removed []tenant.Removal
	tn.OnRemove(func(r tenant.Removal) { removed = append(removed, r) })
	wantErr[*tenant.ConflictError](t, second2(tn.CreateMembership(acme, ada, tenant.Membership{}, false)), "Ada in Acme again")
	u := must(tn.CreateMembership(globex, ada, tenant.Membership{Roles: []string{"member"}}, false))
	if len(u.Memberships) != 2 || u.Memberships[1].OrgID != globex {
		t.Fatalf("Ada's memberships %+v", u.Memberships)
	}
	u = must(tn.UpdateMembership(globex, ada, func(m *tenant.Membership) error {
		m.Roles, m.OrgID, m.Status = []string{"admin"}, acme, tenant.MembershipPendingInvite
		m.Metadata = map[string]string{"team": "ops"}
		return nil
	}))
	m, _ := u.Membership(globex)
	if !slices.Equal(m.Roles, []string{"admin"}) || m.Status != tenant.MembershipActive || m.Metadata["team"] != "ops" {
		t.Errorf("updated %+v", m)
	}
	wantErr[*tenant.InvalidError](t, second2(tn.UpdateMembership(globex, ada, func(m *tenant.Membership) error { m.Roles = []string{"root"}; return nil })), "an unknown role")
	wantErr[*tenant.NotFoundError](t, second2(tn.UpdateMembership(globex, grace, func(*tenant.Membership) error { return nil })), "Grace is not in Globex")
	if err := tn.DeleteMembership(globex, ada); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []tenant.Removal{{UserID: ada, OrgID: globex}}) {
		t.Errorf("removals %v", removed)
	}
	if l := must(tn.ListOrgUsers(globex, tenant.Page{})); slices.ContainsFunc(l.Items, func(u tenant.User) bool { return u.ID == ada }) {
		t.Error("Ada is still listed in Globex")
	}
	wantErr[*tenant.NotFoundError](t, tn.DeleteMembership(globex, ada), "deleting it again")
}

// TestUserUpdateAndDelete: UpdateUser changes the profile and re-indexes
// a new email and external ID, refusing ones of other users; it keeps the
// memberships. DeleteUser removes the user everywhere and ends its
// sessions; its email is free again.
func TestUserUpdateAndDelete(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	var removed []tenant.Removal
	tn.OnRemove(func(r tenant.Removal) { removed = append(removed, r) })
	wantErr[*tenant.ConflictError](t, second2(tn.UpdateUser(grace, func(u *tenant.User) error { u.Email = "ADA@acme.test"; return nil })), "Ada's email")
	wantErr[*tenant.ConflictError](t, second2(tn.UpdateUser(grace, func(u *tenant.User) error { u.ExternalID = "EMP-0001"; return nil })), "Ada's external ID")
	u := must(tn.UpdateUser(grace, func(u *tenant.User) error {
		u.Email, u.ExternalID, u.FamilyName = "Grace.H@acme.test", "EMP-0002", "Hopper-Murray"
		u.Memberships = nil
		return nil
	}))
	if u.Email != "grace.h@acme.test" || u.FamilyName != "Hopper-Murray" || len(u.Memberships) != 1 {
		t.Errorf("updated %+v", u)
	}
	if got := must(tn.UserByEmail("grace.h@acme.test")); got.ID != grace {
		t.Errorf("by the new email: %s", got.ID)
	}
	if got := must(tn.UserByExternalID("EMP-0002")); got.ID != grace {
		t.Errorf("by the new external ID: %s", got.ID)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.UserByEmail("grace@acme.test")), "the old email")
	if err := tn.DeleteUser(hank); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []tenant.Removal{{UserID: hank}}) {
		t.Errorf("removals %v", removed)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.User(hank)), "Hank, deleted")
	for _, org := range []string{acme, globex} {
		if l := must(tn.ListOrgUsers(org, tenant.Page{})); slices.ContainsFunc(l.Items, func(u tenant.User) bool { return u.ID == hank }) {
			t.Errorf("Hank is still listed in %s", org)
		}
	}
	if l := tn.ListUsers(tenant.Page{Size: 100}); l.Total != 2 {
		t.Errorf("%d users, want 2", l.Total)
	}
	again := must(tn.CreateUserAndMembership(globex, tenant.User{Email: hankEmail}, tenant.Membership{}, false))
	if again.ID == hank {
		t.Error("a new Hank got the deleted one's ID")
	}
}

// TestSignUp: a new email gets a user, verified, and a new organization of
// its own as its admin, as a Scalekit sign-up; an email whose domain an
// organization allows joins it as a member instead; signing up twice, even
// at once, makes one user.
func TestSignUp(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	u := must(tn.SignUp("New.Person@Startup.test"))
	if u.Email != "new.person@startup.test" || !u.EmailVerified || len(u.Memberships) != 1 {
		t.Fatalf("signed up %+v", u)
	}
	m := u.Memberships[0]
	o := must(tn.Org(m.OrgID))
	if o.DisplayName != "new.person's organization" || !slices.Equal(m.Roles, []string{"admin"}) || m.Status != tenant.MembershipActive {
		t.Errorf("organization %+v, membership %+v", o, m)
	}
	if again := must(tn.SignUp("new.person@startup.test")); again.ID != u.ID {
		t.Errorf("a second sign-up made %s, want %s", again.ID, u.ID)
	}
	must(tn.CreateDomain(tenant.Domain{OrgID: globex, Name: "globex-partners.test", Type: tenant.DomainAllowedEmail}))
	p := must(tn.SignUp("pat@globex-partners.test"))
	if len(p.Memberships) != 1 || p.Memberships[0].OrgID != globex || !slices.Equal(p.Memberships[0].Roles, []string{"member"}) {
		t.Errorf("an allowed email domain's sign-up: %+v", p.Memberships)
	}
	// An ORGANIZATION_DOMAIN routes sign-ins but admits no one.
	q := must(tn.SignUp("quinn@globex.test"))
	if q.Memberships[0].OrgID == globex {
		t.Error("an organization domain admitted a sign-up")
	}
	wantErr[*tenant.InvalidError](t, second2(tn.SignUp("nope")), "a malformed email")
}

// TestJoinOrg: a sign-up routed to an organization joins it; an existing
// member is returned as is.
func TestJoinOrg(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	u := must(tn.JoinOrg("ivy@elsewhere.test", globex))
	if len(u.Memberships) != 1 || u.Memberships[0].OrgID != globex || !slices.Equal(u.Memberships[0].Roles, []string{"member"}) {
		t.Errorf("joined %+v", u.Memberships)
	}
	if a := must(tn.JoinOrg(adaEmail, acme)); len(a.Memberships) != 1 {
		t.Errorf("Ada joined Acme again: %+v", a.Memberships)
	}
	if a := must(tn.JoinOrg(adaEmail, globex)); len(a.Memberships) != 2 {
		t.Errorf("Ada in Globex: %+v", a.Memberships)
	}
	wantErr[*tenant.NotFoundError](t, second2(tn.JoinOrg("x@y.test", "org_00000000000000000")), "an unknown organization")
}

// TestPermissions: a membership's explicit permissions and its roles',
// once each, sorted.
func TestPermissions(t *testing.T) {
	t.Parallel()
	tn, _ := newTenant(t)
	got := tn.Permissions(tenant.Membership{Roles: []string{"member", "admin", "ghost"}, Permissions: []string{"reports:read", "users:read"}})
	want := []string{"organization:manage", "reports:read", "users:read", "users:write"}
	if !slices.Equal(got, want) {
		t.Errorf("permissions %v, want %v", got, want)
	}
	if r, ok := tn.Role("member"); !ok || !slices.Equal(r.Permissions, []string{"users:read"}) {
		t.Errorf("Role(member) = %+v, %v", r, ok)
	}
	if _, ok := tn.Role("ghost"); ok {
		t.Error("an unknown role was found")
	}
}
