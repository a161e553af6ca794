package mockidp_test

import (
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// TestMgmtUserCreateValidation: a user needs an organization and an email
// address, and the refusal names the field.
func TestMgmtUserCreateValidation(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	create := func(org, email string) error {
		_, err := c.users.CreateUserAndMembership(mgCtx(t), connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
			OrganizationId: org, User: &userspb.CreateUser{Email: email}}))
		return err
	}
	for _, bad := range []string{"not-an-email", "two words@acme.test", "nobody@localhost"} {
		mgWantField(t, "CreateUserAndMembership "+bad, create(acmeOrg, bad), "user.email")
	}
	mgWantField(t, "CreateUserAndMembership without an email", create(acmeOrg, ""), "user.email")
	mgWantField(t, "CreateUserAndMembership without an organization", create("", "nobody@acme.test"), "organization_id")
	mgWantErr(t, "CreateUserAndMembership in an unknown organization", create("org_00000000000000005", "nobody@acme.test"),
		connect.CodeNotFound, "NOT_FOUND", "org_00000000000000005")
	// Emails are unique in an environment: Ada's email in Acme, of which
	// she is a member, is taken.
	mgWantErr(t, "CreateUserAndMembership with Ada's email in Acme", create(acmeOrg, "ADA@acme.test"), connect.CodeAlreadyExists, "ALREADY_EXISTS", "ada@acme.test")
	// Nothing was created by the refusals above.
	r, err := c.users.ListUsers(mgCtx(t), connect.NewRequest(&userspb.ListUsersRequest{PageSize: 100}))
	for _, u := range mgMust(t, "ListUsers", r, err).GetUsers() {
		if strings.HasPrefix(u.GetEmail(), "nobody@") || strings.Contains(u.GetEmail(), "not-an-email") {
			t.Errorf("a refused create made user %s %s", u.GetId(), u.GetEmail())
		}
	}
}

// TestMgmtUserLifecycle: create with a profile and external id, read by
// id and by external id, update only what is sent, delete.
func TestMgmtUserLifecycle(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	ext := "EMP-LIFE-1"
	cr, err := c.users.CreateUserAndMembership(mgCtx(t), connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
		OrganizationId: acmeOrg,
		User: &userspb.CreateUser{Email: "Una.Tester@Acme.test", ExternalId: &ext,
			UserProfile: &userspb.CreateUserProfile{GivenName: "Una", FamilyName: "Tester"},
			Metadata:    map[string]string{"team": "qa"}}}))
	u := mgMust(t, "CreateUserAndMembership", cr, err).GetUser()
	if !strings.HasPrefix(u.GetId(), "usr_") || !strings.EqualFold(u.GetEmail(), "una.tester@acme.test") {
		t.Fatalf("created user %s %s", u.GetId(), u.GetEmail())
	}
	m := mgMembership(u, acmeOrg)
	if m == nil || m.GetMembershipStatus() != commonspb.MembershipStatus_ACTIVE {
		t.Fatalf("created user's memberships %v, want an ACTIVE one of Acme", u.GetMemberships())
	}
	// Acme has members already: a new one without roles is a member.
	if got := mgRoleNames(m); !slices.Equal(got, []string{"member"}) {
		t.Errorf("roles of a new Acme member %v, want [member]", got)
	}

	for what, req := range map[string]*userspb.GetUserRequest{
		"id":          {Identities: &userspb.GetUserRequest_Id{Id: u.GetId()}},
		"external_id": {Identities: &userspb.GetUserRequest_ExternalId{ExternalId: ext}},
	} {
		r, err := c.users.GetUser(mgCtx(t), connect.NewRequest(req))
		g := mgMust(t, "GetUser by "+what, r, err).GetUser()
		p := g.GetUserProfile()
		if g.GetId() != u.GetId() || g.GetExternalId() != ext || p.GetGivenName() != "Una" || p.GetFamilyName() != "Tester" || g.GetMetadata()["team"] != "qa" {
			t.Errorf("GetUser by %s = %v", what, g)
		}
	}
	_, err = c.users.GetUser(mgCtx(t), connect.NewRequest(&userspb.GetUserRequest{}))
	mgWantField(t, "GetUser without id or external_id", err, "id")
	_, err = c.getUser("usr_00000000000000001")
	mgWantErr(t, "GetUser of an unknown id", err, connect.CodeNotFound, "NOT_FOUND", "usr_00000000000000001")

	// The seeded Ada by her fixtures' external ID.
	r, err := c.users.GetUser(mgCtx(t), connect.NewRequest(&userspb.GetUserRequest{Identities: &userspb.GetUserRequest_ExternalId{ExternalId: "EMP-0001"}}))
	if g := mgMust(t, "GetUser EMP-0001", r, err).GetUser(); g.GetId() != ada || g.GetEmail() != "ada@acme.test" {
		t.Errorf("GetUser EMP-0001 = %s %s, want %s ada@acme.test", g.GetId(), g.GetEmail(), ada)
	}

	given := "Ursula"
	ur, err := c.users.UpdateUser(mgCtx(t), connect.NewRequest(&userspb.UpdateUserRequest{
		Identities: &userspb.UpdateUserRequest_Id{Id: u.GetId()},
		User:       &userspb.UpdateUser{UserProfile: &userspb.UpdateUserProfile{GivenName: &given}}}))
	up := mgMust(t, "UpdateUser given_name", ur, err).GetUser()
	if p := up.GetUserProfile(); p.GetGivenName() != "Ursula" || p.GetFamilyName() != "Tester" || up.GetExternalId() != ext || up.GetMetadata()["team"] != "qa" || up.GetEmail() != u.GetEmail() {
		t.Errorf("after changing given_name: %v, want Ursula Tester with the rest kept", up)
	}
	newExt := "EMP-LIFE-2"
	ur, err = c.users.UpdateUser(mgCtx(t), connect.NewRequest(&userspb.UpdateUserRequest{
		Identities: &userspb.UpdateUserRequest_ExternalId{ExternalId: ext},
		User:       &userspb.UpdateUser{ExternalId: &newExt, Metadata: map[string]string{"team": "platform"}}}))
	up = mgMust(t, "UpdateUser by external_id", ur, err).GetUser()
	if up.GetExternalId() != newExt || up.GetMetadata()["team"] != "platform" || up.GetUserProfile().GetGivenName() != "Ursula" {
		t.Errorf("after changing external_id and metadata: %v", up)
	}
	if g := c.mustUser(u.GetId()); g.GetExternalId() != newExt || g.GetUserProfile().GetGivenName() != "Ursula" || mgMembership(g, acmeOrg) == nil {
		t.Errorf("GetUser after the updates = %v", g)
	}
	_, err = c.users.GetUser(mgCtx(t), connect.NewRequest(&userspb.GetUserRequest{Identities: &userspb.GetUserRequest_ExternalId{ExternalId: ext}}))
	mgWantErr(t, "GetUser by the old external_id", err, connect.CodeNotFound, "NOT_FOUND", "")

	dr, err := c.users.DeleteUser(mgCtx(t), connect.NewRequest(&userspb.DeleteUserRequest{Identities: &userspb.DeleteUserRequest_Id{Id: u.GetId()}}))
	mgMust(t, "DeleteUser", dr, err)
	_, err = c.getUser(u.GetId())
	mgWantErr(t, "GetUser of the deleted user", err, connect.CodeNotFound, "NOT_FOUND", u.GetId())
	_, err = c.users.DeleteUser(mgCtx(t), connect.NewRequest(&userspb.DeleteUserRequest{Identities: &userspb.DeleteUserRequest_Id{Id: u.GetId()}}))
	mgWantErr(t, "DeleteUser again", err, connect.CodeNotFound, "NOT_FOUND", "")
	lr, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{OrganizationId: acmeOrg, PageSize: 100}))
	for _, x := range mgMust(t, "ListOrganizationUsers", lr, err).GetUsers() {
		if x.GetId() == u.GetId() {
			t.Errorf("ListOrganizationUsers(acme) still lists the deleted user")
		}
	}
	// The email is free again.
	c.createUser(acmeOrg, "una.tester@acme.test", false)
}

// mgPageAllUsers pages through a user list with page size 2 and checks
// the paging: total_size constant, no repeats, ends.
func mgPageAllUsers(t *testing.T, what string, list func(token string) ([]*userspb.User, uint32, string, string, error)) []string {
	t.Helper()
	var (
		ids   []string
		seen  = map[string]bool{}
		token string
		total uint32
	)
	for page := 0; ; page++ {
		users, tot, next, prev, err := list(token)
		if err != nil {
			t.Fatalf("%s page %d: %v%s", what, page, err, mgDescribe(err))
		}
		if page == 0 {
			total = tot
			if prev != "" {
				t.Errorf("%s: the first page has prev_page_token %q", what, prev)
			}
		} else if tot != total {
			t.Errorf("%s page %d: total_size %d, was %d", what, page, tot, total)
		}
		if page > int(total) {
			t.Fatalf("%s: %d pages for %d users: next_page_token never ends", what, page, total)
		}
		if len(users) == 0 || len(users) > 2 {
			t.Fatalf("%s page %d: %d users, want 1 or 2", what, page, len(users))
		}
		for _, u := range users {
			if seen[u.GetId()] {
				t.Fatalf("%s page %d repeats %s", what, page, u.GetId())
			}
			seen[u.GetId()] = true
			ids = append(ids, u.GetId())
		}
		if token = next; token == "" {
			break
		}
	}
	if len(ids) != int(total) {
		t.Errorf("%s: listed %d users, total_size %d", what, len(ids), total)
	}
	return ids
}

// TestMgmtUserExistingEmail: CreateUserAndMembership with the email of a
// user who is not yet a member of the organization adds the membership to
// that user (one user per email), keeping the user's profile.
func TestMgmtUserExistingEmail(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	r, err := c.users.CreateUserAndMembership(mgCtx(t), connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
		OrganizationId: globexOrg,
		User: &userspb.CreateUser{Email: "ada@acme.test",
			UserProfile: &userspb.CreateUserProfile{GivenName: "Impostor"}}}))
	u := mgMust(t, "CreateUserAndMembership with Ada's email in Globex", r, err).GetUser()
	if u.GetId() != ada {
		t.Fatalf("CreateUserAndMembership with Ada's email made %s, want Ada (%s)", u.GetId(), ada)
	}
	if mgMembership(u, globexOrg) == nil || mgMembership(u, acmeOrg) == nil {
		t.Errorf("Ada's memberships %v, want Acme and Globex", u.GetMemberships())
	}
	if g := c.mustUser(ada); g.GetUserProfile().GetGivenName() != "Ada" || mgMembership(g, globexOrg) == nil {
		t.Errorf("GetUser(Ada) = given_name %q, memberships %v; want Ada's profile kept, with Globex", g.GetUserProfile().GetGivenName(), g.GetMemberships())
	}
}

// TestMgmtUserLists: ListUsers pages through every user of the
// environment, ListOrganizationUsers through one organization's members.
func TestMgmtUserLists(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Listers", "")
	var mine []string
	for _, e := range []string{"l1@listers.test", "l2@listers.test", "l3@listers.test"} {
		mine = append(mine, c.createUser(o.GetId(), e, false).GetId())
	}

	all := mgPageAllUsers(t, "ListUsers", func(token string) ([]*userspb.User, uint32, string, string, error) {
		r, err := c.users.ListUsers(mgCtx(t), connect.NewRequest(&userspb.ListUsersRequest{PageSize: 2, PageToken: token}))
		if err != nil {
			return nil, 0, "", "", err
		}
		return r.Msg.GetUsers(), r.Msg.GetTotalSize(), r.Msg.GetNextPageToken(), r.Msg.GetPrevPageToken(), nil
	})
	for _, id := range append([]string{ada, hank, "usr_59615193906610315"}, mine...) {
		if !slices.Contains(all, id) {
			t.Errorf("ListUsers never listed %s (listed %v)", id, all)
		}
	}
	if len(all) != 3+len(mine) {
		t.Errorf("ListUsers listed %d users, want the 3 seeded and %d new", len(all), len(mine))
	}

	members := mgPageAllUsers(t, "ListOrganizationUsers", func(token string) ([]*userspb.User, uint32, string, string, error) {
		r, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{
			OrganizationId: o.GetId(), PageSize: 2, PageToken: token}))
		if err != nil {
			return nil, 0, "", "", err
		}
		return r.Msg.GetUsers(), r.Msg.GetTotalSize(), r.Msg.GetNextPageToken(), r.Msg.GetPrevPageToken(), nil
	})
	if !slices.Equal(members, mine) {
		t.Errorf("ListOrganizationUsers = %v, want %v in the order they joined", members, mine)
	}

	acme := mgPageAllUsers(t, "ListOrganizationUsers(acme)", func(token string) ([]*userspb.User, uint32, string, string, error) {
		r, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{
			OrganizationId: acmeOrg, PageSize: 2, PageToken: token}))
		if err != nil {
			return nil, 0, "", "", err
		}
		return r.Msg.GetUsers(), r.Msg.GetTotalSize(), r.Msg.GetNextPageToken(), r.Msg.GetPrevPageToken(), nil
	})
	slices.Sort(acme)
	if want := []string{ada, "usr_59615193906610315", hank}; !slices.Equal(acme, slices.Sorted(slices.Values(want))) {
		t.Errorf("ListOrganizationUsers(acme) = %v, want Ada, Grace and Hank", acme)
	}

	_, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{OrganizationId: "org_00000000000000006"}))
	mgWantErr(t, "ListOrganizationUsers of an unknown organization", err, connect.CodeNotFound, "NOT_FOUND", "")
	_, err = c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{}))
	mgWantField(t, "ListOrganizationUsers without an organization", err, "organization_id")
}

// TestMgmtUserMemberships: a user joins another organization with a role,
// has the role changed, and leaves; the organization's member list
// follows.
func TestMgmtUserMemberships(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	first := c.createOrg("Home Org", "")
	second := c.createOrg("Away Org", "")
	u := c.createUser(first.GetId(), "joiner@home.test", false)
	if got := mgRoleNames(mgMembership(u, first.GetId())); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("roles of an organization's first member %v, want [admin]", got)
	}
	orgMembers := func(org string) []string {
		t.Helper()
		r, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{OrganizationId: org, PageSize: 100}))
		var ids []string
		for _, x := range mgMust(t, "ListOrganizationUsers", r, err).GetUsers() {
			ids = append(ids, x.GetId())
		}
		return ids
	}

	cr, err := c.users.CreateMembership(mgCtx(t), connect.NewRequest(&userspb.CreateMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.CreateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.CreateMembership{Roles: mgRoles("member")}}))
	got := mgMust(t, "CreateMembership", cr, err).GetUser()
	if m := mgMembership(got, second.GetId()); m == nil || !slices.Equal(mgRoleNames(m), []string{"member"}) || m.GetMembershipStatus() != commonspb.MembershipStatus_ACTIVE {
		t.Fatalf("after CreateMembership: memberships %v, want an ACTIVE member of %s", got.GetMemberships(), second.GetId())
	}
	if mgMembership(got, first.GetId()) == nil {
		t.Errorf("CreateMembership dropped the first membership")
	}
	if !slices.Contains(orgMembers(second.GetId()), u.GetId()) {
		t.Errorf("ListOrganizationUsers(second) lacks the new member")
	}
	_, err = c.users.CreateMembership(mgCtx(t), connect.NewRequest(&userspb.CreateMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.CreateMembershipRequest_Id{Id: u.GetId()}}))
	mgWantErr(t, "CreateMembership again", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", "")
	_, err = c.users.CreateMembership(mgCtx(t), connect.NewRequest(&userspb.CreateMembershipRequest{
		OrganizationId: globexOrg, Identities: &userspb.CreateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.CreateMembership{Roles: mgRoles("overlord")}}))
	mgWantErr(t, "CreateMembership with an undefined role", err, connect.CodeInvalidArgument, "INVALID_ARGUMENT", "overlord")

	upd, err := c.users.UpdateMembership(mgCtx(t), connect.NewRequest(&userspb.UpdateMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.UpdateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.UpdateMembership{Roles: mgRoles("admin")}}))
	got = mgMust(t, "UpdateMembership", upd, err).GetUser()
	if m := mgMembership(got, second.GetId()); !slices.Equal(mgRoleNames(m), []string{"admin"}) {
		t.Errorf("after UpdateMembership to admin: roles %v", mgRoleNames(m))
	}
	if m := mgMembership(c.mustUser(u.GetId()), second.GetId()); !slices.Equal(mgRoleNames(m), []string{"admin"}) || m.GetMembershipStatus() != commonspb.MembershipStatus_ACTIVE {
		t.Errorf("GetUser after UpdateMembership: %v", m)
	}
	_, err = c.users.UpdateMembership(mgCtx(t), connect.NewRequest(&userspb.UpdateMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.UpdateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.UpdateMembership{Roles: mgRoles("overlord")}}))
	mgWantField(t, "UpdateMembership to an undefined role", err, "membership.roles[0].name")
	_, err = c.users.UpdateMembership(mgCtx(t), connect.NewRequest(&userspb.UpdateMembershipRequest{
		OrganizationId: globexOrg, Identities: &userspb.UpdateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.UpdateMembership{Roles: mgRoles("admin")}}))
	mgWantErr(t, "UpdateMembership of an organization the user is not in", err, connect.CodeNotFound, "NOT_FOUND", "")

	dr, err := c.users.DeleteMembership(mgCtx(t), connect.NewRequest(&userspb.DeleteMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.DeleteMembershipRequest_Id{Id: u.GetId()}}))
	mgMust(t, "DeleteMembership", dr, err)
	after := c.mustUser(u.GetId())
	if mgMembership(after, second.GetId()) != nil || mgMembership(after, first.GetId()) == nil {
		t.Errorf("after DeleteMembership(second): memberships %v, want the first only", after.GetMemberships())
	}
	if slices.Contains(orgMembers(second.GetId()), u.GetId()) {
		t.Errorf("ListOrganizationUsers(second) still lists the user after DeleteMembership")
	}
	_, err = c.users.DeleteMembership(mgCtx(t), connect.NewRequest(&userspb.DeleteMembershipRequest{
		OrganizationId: second.GetId(), Identities: &userspb.DeleteMembershipRequest_Id{Id: u.GetId()}}))
	mgWantErr(t, "DeleteMembership again", err, connect.CodeNotFound, "NOT_FOUND", "")
}

// TestMgmtUserInvite: a membership created with send_invitation_email is
// PENDING_INVITE and puts an invitation in the mailbox; ResendInvite sends
// it again; an accepted membership has nothing to resend.
func TestMgmtUserInvite(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Inviting Org", "")
	c.createUser(o.GetId(), "owner@inviting.test", false)
	email := "ivan@inviting.test"
	u := c.createUser(o.GetId(), email, true)
	m := mgMembership(u, o.GetId())
	if m.GetMembershipStatus() != commonspb.MembershipStatus_PENDING_INVITE {
		t.Fatalf("invited membership status %v, want PENDING_INVITE", m.GetMembershipStatus())
	}
	if m.GetExpiresAt() == nil {
		t.Errorf("invited membership has no expires_at")
	}
	if st := mgMembership(c.mustUser(u.GetId()), o.GetId()).GetMembershipStatus(); st != commonspb.MembershipStatus_PENDING_INVITE {
		t.Errorf("GetUser: membership status %v, want PENDING_INVITE", st)
	}
	mail := mgLastMail(t, env, email)
	if mail.Kind != "invitation" || !strings.Contains(mail.Subject, "Inviting Org") {
		t.Errorf("invitation email %+v, want kind invitation naming Inviting Org", mail)
	}
	if !strings.HasPrefix(mail.Link, env.URL+"/") {
		t.Errorf("invitation link %q, want one of %s", mail.Link, env.URL)
	}
	if n := len(mgMailbox(t, env, "owner@inviting.test")); n != 0 {
		t.Errorf("a member added without send_invitation_email got %d emails", n)
	}

	rr, err := c.users.ResendInvite(mgCtx(t), connect.NewRequest(&userspb.ResendInviteRequest{OrganizationId: o.GetId(), Id: u.GetId()}))
	inv := mgMust(t, "ResendInvite", rr, err).GetInvite()
	if inv.GetStatus() != "PENDING_INVITE" || inv.GetResentCount() != 1 || inv.GetUserId() != u.GetId() || inv.GetOrganizationId() != o.GetId() {
		t.Errorf("ResendInvite = %v, want PENDING_INVITE resent once for %s in %s", inv, u.GetId(), o.GetId())
	}
	if n := len(mgMailbox(t, env, email)); n != 2 {
		t.Errorf("after ResendInvite the mailbox of %s has %d emails, want 2", email, n)
	}

	owner := c.createUser(globexOrg, "accepted@globex.test", false)
	_, err = c.users.ResendInvite(mgCtx(t), connect.NewRequest(&userspb.ResendInviteRequest{OrganizationId: globexOrg, Id: owner.GetId()}))
	mgWantErr(t, "ResendInvite of an ACTIVE membership", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "ACTIVE")
	_, err = c.users.ResendInvite(mgCtx(t), connect.NewRequest(&userspb.ResendInviteRequest{OrganizationId: acmeOrg, Id: u.GetId()}))
	mgWantErr(t, "ResendInvite of a membership that does not exist", err, connect.CodeNotFound, "NOT_FOUND", "")
}
