package mockidp_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"

	"github.com/skctl/skctl/internal/mockidp"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	sessionspb "github.com/skctl/skctl/internal/scalekitpb/sessions"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// mgRefresh redeems a refresh token once.
func mgRefresh(t *testing.T, a *app, refreshToken string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 20 * time.Second})
	return a.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// mgWantRefused checks that a refresh token no longer works, for the
// reason RFC 6749 gives: invalid_grant.
func mgWantRefused(t *testing.T, a *app, refreshToken, what string) {
	t.Helper()
	_, err := mgRefresh(t, a, refreshToken)
	if err == nil {
		t.Fatalf("%s: the refresh succeeded, want invalid_grant", what)
	}
	if code, status := tokenErr(t, err); code != "invalid_grant" || status != http.StatusBadRequest {
		t.Fatalf("%s: %s (%d), want invalid_grant (400)", what, code, status)
	}
}

// TestMgmtOneStoreSignIn is the heart of the management API: a user the
// API creates signs in (by login_hint), and the tokens carry what the API
// set — its usr_ id, its organization, the role the API gave it; the
// session API lists that sign-in, and revoking it ends the sign-in's
// refresh token while another sign-in of the same user goes on.
func TestMgmtOneStoreSignIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	o := c.createOrg("Signers", "")
	c.createUser(o.GetId(), "founder@signers.test", false) // the admin
	email := "api.user@signers.test"
	u := c.createUser(o.GetId(), email, false)
	if got := mgRoleNames(mgMembership(u, o.GetId())); !slices.Equal(got, []string{"member"}) {
		t.Fatalf("roles %v, want [member] by default", got)
	}
	ur, err := c.users.UpdateMembership(mgCtx(t), connect.NewRequest(&userspb.UpdateMembershipRequest{
		OrganizationId: o.GetId(), Identities: &userspb.UpdateMembershipRequest_Id{Id: u.GetId()},
		Membership: &userspb.UpdateMembership{Roles: mgRoles("admin")}}))
	mgMust(t, "UpdateMembership to admin", ur, err)

	tok := a.login(newBrowser(t), email)
	if tok.idToken.Subject != u.GetId() {
		t.Fatalf("ID token sub %q, want the API's user %s", tok.idToken.Subject, u.GetId())
	}
	if tok.claims["email"] != email {
		t.Errorf("ID token email %v, want %s", tok.claims["email"], email)
	}
	at := mgJWTClaims(t, tok.AccessToken)
	if at["sub"] != u.GetId() || at["oid"] != o.GetId() {
		t.Errorf("access token sub %v oid %v, want %s %s", at["sub"], at["oid"], u.GetId(), o.GetId())
	}
	roles, _ := at["roles"].([]any)
	if !slices.Contains(roles, any("admin")) {
		t.Errorf("access token roles %v, want admin (set by UpdateMembership)", at["roles"])
	}
	sid, _ := at["sid"].(string)
	if sid == "" {
		t.Fatalf("access token has no sid: %v", at)
	}
	if tok.RefreshToken == "" {
		t.Fatalf("no refresh token (offline_access was asked)")
	}
	if g := c.mustUser(u.GetId()); g.GetLastLoginTime() == nil {
		t.Errorf("GetUser after the sign-in: no last_login_time")
	}

	// A second, independent sign-in of the same user: the control.
	other := a.login(newBrowser(t), email)
	otherSID, _ := mgJWTClaims(t, other.AccessToken)["sid"].(string)
	if otherSID == sid {
		t.Fatalf("two browsers share session %s", sid)
	}

	sr, err := c.sessions.GetUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.UserSessionDetailsRequest{UserId: u.GetId(), PageSize: 50}))
	sessions := mgMust(t, "GetUserSessions", sr, err)
	var ids []string
	for _, s := range sessions.GetSessions() {
		ids = append(ids, s.GetSessionId())
		if s.GetSessionId() == sid {
			if s.GetUserId() != u.GetId() || s.GetOrganizationId() != o.GetId() || !strings.EqualFold(s.GetStatus(), "active") {
				t.Errorf("session %s: user %s org %s status %s", sid, s.GetUserId(), s.GetOrganizationId(), s.GetStatus())
			}
		}
	}
	if !slices.Contains(ids, sid) || !slices.Contains(ids, otherSID) || sessions.GetTotalSize() != 2 {
		t.Fatalf("GetUserSessions = %v (total %d), want %s and %s", ids, sessions.GetTotalSize(), sid, otherSID)
	}
	gr, err := c.sessions.GetSession(mgCtx(t), connect.NewRequest(&sessionspb.SessionDetailsRequest{SessionId: sid}))
	if s := mgMust(t, "GetSession", gr, err); s.GetSessionId() != sid || s.GetUserId() != u.GetId() {
		t.Errorf("GetSession %s = %s of %s", sid, s.GetSessionId(), s.GetUserId())
	}

	rr, err := c.sessions.RevokeSession(mgCtx(t), connect.NewRequest(&sessionspb.RevokeSessionRequest{SessionId: sid}))
	rev := mgMust(t, "RevokeSession", rr, err).GetRevokedSession()
	if rev.GetSessionId() != sid || rev.GetUserId() != u.GetId() || !strings.EqualFold(rev.GetStatus(), "revoked") {
		t.Errorf("RevokeSession = %v, want %s of %s revoked", rev, sid, u.GetId())
	}
	mgWantRefused(t, a, tok.RefreshToken, "refresh of the revoked sign-in")
	if _, err := mgRefresh(t, a, other.RefreshToken); err != nil {
		t.Fatalf("refresh of the other sign-in, not revoked: %v", err)
	}
	// Listed after, the revoked session is revoked; the status filter
	// keeps the live one alone.
	sr, err = c.sessions.GetUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.UserSessionDetailsRequest{UserId: u.GetId()}))
	for _, s := range mgMust(t, "GetUserSessions after the revocation", sr, err).GetSessions() {
		if s.GetSessionId() == sid && !strings.EqualFold(s.GetStatus(), "revoked") {
			t.Errorf("GetUserSessions lists the revoked session %s as %q", sid, s.GetStatus())
		}
	}
	sr, err = c.sessions.GetUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.UserSessionDetailsRequest{UserId: u.GetId(),
		Filter: &sessionspb.UserSessionFilter{Status: []string{"active"}}}))
	live := mgMust(t, "GetUserSessions status=active", sr, err)
	if len(live.GetSessions()) != 1 || live.GetSessions()[0].GetSessionId() != otherSID || live.GetTotalSize() != 1 {
		t.Errorf("GetUserSessions status=active = %d sessions (total %d), want %s alone", len(live.GetSessions()), live.GetTotalSize(), otherSID)
	}
	_, err = c.sessions.RevokeSession(mgCtx(t), connect.NewRequest(&sessionspb.RevokeSessionRequest{SessionId: "ses_00000000000000001"}))
	mgWantErr(t, "RevokeSession of an unknown session", err, connect.CodeNotFound, "NOT_FOUND", "")
}

// TestMgmtOneStoreRevokeAll: RevokeAllUserSessions ends every live
// sign-in of a user (not one already revoked again), and only that
// user's.
func TestMgmtOneStoreRevokeAll(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	u := c.createUser(acmeOrg, "twice@acme.test", false)
	one, two := a.login(newBrowser(t), "twice@acme.test"), a.login(newBrowser(t), "twice@acme.test")
	earlier := a.login(newBrowser(t), "twice@acme.test")
	bystander := a.login(newBrowser(t), "ada@acme.test")
	earlierSID, _ := mgJWTClaims(t, earlier.AccessToken)["sid"].(string)
	er, err := c.sessions.RevokeSession(mgCtx(t), connect.NewRequest(&sessionspb.RevokeSessionRequest{SessionId: earlierSID}))
	mgMust(t, "RevokeSession of one sign-in first", er, err)

	r, err := c.sessions.RevokeAllUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.RevokeAllUserSessionsRequest{UserId: u.GetId()}))
	res := mgMust(t, "RevokeAllUserSessions", r, err)
	var got []string
	for _, s := range res.GetRevokedSessions() {
		got = append(got, s.GetSessionId())
	}
	slices.Sort(got)
	sid1, _ := mgJWTClaims(t, one.AccessToken)["sid"].(string)
	sid2, _ := mgJWTClaims(t, two.AccessToken)["sid"].(string)
	if sid1 == "" || sid1 == sid2 {
		t.Fatalf("sids %q and %q, want two sessions", sid1, sid2)
	}
	want := []string{sid1, sid2}
	slices.Sort(want)
	if !slices.Equal(got, want) || res.GetTotalRevoked() != 2 {
		t.Errorf("RevokeAllUserSessions revoked %v (total %d), want %v", got, res.GetTotalRevoked(), want)
	}
	mgWantRefused(t, a, one.RefreshToken, "refresh of the first sign-in")
	mgWantRefused(t, a, two.RefreshToken, "refresh of the second sign-in")
	if _, err := mgRefresh(t, a, bystander.RefreshToken); err != nil {
		t.Fatalf("refresh of another user's sign-in: %v", err)
	}
}

// TestMgmtOneStoreDeleteSignsOut: deleting a user through the API ends
// their sign-ins: the refresh token is refused.
func TestMgmtOneStoreDeleteSignsOut(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	u := c.createUser(acmeOrg, "leaver@acme.test", false)
	tok := a.login(newBrowser(t), "leaver@acme.test")
	stay := a.login(newBrowser(t), "ada@acme.test")
	dr, err := c.users.DeleteUser(mgCtx(t), connect.NewRequest(&userspb.DeleteUserRequest{Identities: &userspb.DeleteUserRequest_Id{Id: u.GetId()}}))
	mgMust(t, "DeleteUser", dr, err)
	mgWantRefused(t, a, tok.RefreshToken, "refresh of the deleted user's sign-in")
	if _, err := mgRefresh(t, a, stay.RefreshToken); err != nil {
		t.Fatalf("refresh of another user's sign-in: %v", err)
	}
}

// TestMgmtOneStoreRemovalsSignOut: deleting an organization ends the
// sign-ins to it, and deleting a membership the user's sign-ins to that
// organization; a sign-in elsewhere goes on.
func TestMgmtOneStoreRemovalsSignOut(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	stay := a.login(newBrowser(t), "ada@acme.test")

	gone := c.createOrg("Gone Org", "")
	c.createUser(gone.GetId(), "member@gone.test", false)
	inGone := a.login(newBrowser(t), "member@gone.test")
	dr, err := c.orgs.DeleteOrganization(mgCtx(t), connect.NewRequest(&organizationspb.DeleteOrganizationRequest{
		Identities: &organizationspb.DeleteOrganizationRequest_Id{Id: gone.GetId()}}))
	mgMust(t, "DeleteOrganization", dr, err)
	mgWantRefused(t, a, inGone.RefreshToken, "refresh of a sign-in to the deleted organization")

	left := c.createOrg("Left Org", "")
	u := c.createUser(left.GetId(), "member@left.test", false)
	inLeft := a.login(newBrowser(t), "member@left.test")
	mr, err := c.users.DeleteMembership(mgCtx(t), connect.NewRequest(&userspb.DeleteMembershipRequest{
		OrganizationId: left.GetId(), Identities: &userspb.DeleteMembershipRequest_Id{Id: u.GetId()}}))
	mgMust(t, "DeleteMembership", mr, err)
	mgWantRefused(t, a, inLeft.RefreshToken, "refresh of a sign-in to the organization left")

	if _, err := mgRefresh(t, a, stay.RefreshToken); err != nil {
		t.Fatalf("refresh of Ada's sign-in to Acme: %v", err)
	}
}

// TestMgmtOneStoreInviteAccepted: signing in accepts a pending
// invitation: the membership turns ACTIVE, with accepted_at.
func TestMgmtOneStoreInviteAccepted(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	o := c.createOrg("Acceptors", "")
	c.createUser(o.GetId(), "boss@acceptors.test", false)
	email := "invitee@acceptors.test"
	u := c.createUser(o.GetId(), email, true)
	if st := mgMembership(u, o.GetId()).GetMembershipStatus(); st != commonspb.MembershipStatus_PENDING_INVITE {
		t.Fatalf("membership %v before the sign-in, want PENDING_INVITE", st)
	}
	tok := a.login(newBrowser(t), email)
	if tok.idToken.Subject != u.GetId() {
		t.Fatalf("ID token sub %q, want %s", tok.idToken.Subject, u.GetId())
	}
	if oid := mgJWTClaims(t, tok.AccessToken)["oid"]; oid != o.GetId() {
		t.Errorf("access token oid %v, want the inviting organization %s", oid, o.GetId())
	}
	m := mgMembership(c.mustUser(u.GetId()), o.GetId())
	if m.GetMembershipStatus() != commonspb.MembershipStatus_ACTIVE || m.GetAcceptedAt() == nil {
		t.Errorf("membership after the sign-in: %v accepted_at %v, want ACTIVE with accepted_at", m.GetMembershipStatus(), m.GetAcceptedAt())
	}
	_, err := c.users.ResendInvite(mgCtx(t), connect.NewRequest(&userspb.ResendInviteRequest{OrganizationId: o.GetId(), Id: u.GetId()}))
	mgWantErr(t, "ResendInvite after the invitation was accepted", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "")
}

// TestMgmtOneStoreSignUp: someone who signs up on the sign-in page (an
// email the environment does not know) is a user of the API, a member of
// one organization the API finds; and a user the API made who types
// their email on the page signs in as that user, not a new one.
func TestMgmtOneStoreSignUp(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)

	signInByPage := func(email string) *tokens {
		t.Helper()
		b := newBrowser(t)
		f := a.start()
		p := b.byEmail(env, b.get(f.authURL), email)
		tok, err := a.exchange(f, a.callback(f, p))
		if err != nil {
			t.Fatalf("exchange for %s: %v", email, err)
		}
		return tok
	}

	email := "newbie@signup-only.test"
	tok := signInByPage(email)
	sub := tok.idToken.Subject
	u, err := c.getUser(sub)
	if err != nil {
		t.Fatalf("GetUser(%s) of the signed-up user: %v%s", sub, err, mgDescribe(err))
	}
	if u.GetEmail() != email || len(u.GetMemberships()) != 1 {
		t.Fatalf("signed-up user %s: email %q, memberships %v; want %s with one membership", sub, u.GetEmail(), u.GetMemberships(), email)
	}
	org := u.GetMemberships()[0].GetOrganizationId()
	if o, err := c.getOrg(org); err != nil || o.GetId() != org {
		t.Fatalf("GetOrganization(%s) of the signed-up user's membership: %v, %v", org, o, err)
	}
	if oid := mgJWTClaims(t, tok.AccessToken)["oid"]; oid != org {
		t.Errorf("access token oid %v, want the membership's %s", oid, org)
	}
	r, err := c.users.ListOrganizationUsers(mgCtx(t), connect.NewRequest(&userspb.ListOrganizationUsersRequest{OrganizationId: org}))
	if l := mgMust(t, "ListOrganizationUsers of the new organization", r, err).GetUsers(); len(l) != 1 || l[0].GetId() != sub {
		t.Errorf("ListOrganizationUsers(%s) = %v, want the signed-up user alone", org, l)
	}
	// Signing up again is signing in: the same user.
	if again := signInByPage(email).idToken.Subject; again != sub {
		t.Errorf("the second sign-in with %s is %s, want %s", email, again, sub)
	}

	made := c.createUser(acmeOrg, "typed@acme.test", false)
	if got := signInByPage("typed@acme.test").idToken.Subject; got != made.GetId() {
		t.Errorf("the API's user typing their email signed in as %s, want %s", got, made.GetId())
	}
}

// TestMgmtOneStoreRevokedSessionStatus: a revoked session is still a
// session of the API, as Scalekit keeps it: GetSession answers it with
// status revoked (the SDKs document active, expired, revoked and
// logout; any case) and when it ended, not NotFound.
func TestMgmtOneStoreRevokedSessionStatus(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	u := c.createUser(acmeOrg, "revoked.status@acme.test", false)
	tok := a.login(newBrowser(t), "revoked.status@acme.test")
	sid, _ := mgJWTClaims(t, tok.AccessToken)["sid"].(string)
	rr, err := c.sessions.RevokeSession(mgCtx(t), connect.NewRequest(&sessionspb.RevokeSessionRequest{SessionId: sid}))
	mgMust(t, "RevokeSession", rr, err)
	gr, err := c.sessions.GetSession(mgCtx(t), connect.NewRequest(&sessionspb.SessionDetailsRequest{SessionId: sid}))
	s := mgMust(t, "GetSession of the revoked session", gr, err)
	if s.GetSessionId() != sid || s.GetUserId() != u.GetId() || !strings.EqualFold(s.GetStatus(), "revoked") || s.GetLogoutAt() == nil {
		t.Errorf("GetSession after RevokeSession = %s of %s, status %q, logout_at %v; want status revoked with logout_at", s.GetSessionId(), s.GetUserId(), s.GetStatus(), s.GetLogoutAt())
	}
}

// TestMgmtOneStoreRemovedMemberSignsInElsewhere: a user removed from an
// organization who signs in asking for it lands in no organization (or
// another of theirs), never in the one they left; nor in one whose
// invitation expired.
func TestMgmtOneStoreRemovedMemberSignsInElsewhere(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	left := c.createOrg("Left Behind", "")
	u := c.createUser(left.GetId(), "leaver@left.test", false)
	mr, err := c.users.DeleteMembership(mgCtx(t), connect.NewRequest(&userspb.DeleteMembershipRequest{
		OrganizationId: left.GetId(), Identities: &userspb.DeleteMembershipRequest_Id{Id: u.GetId()}}))
	mgMust(t, "DeleteMembership", mr, err)

	signIn := func(email, org string) map[string]any {
		f := a.start(oauth2.SetAuthURLParam("login_hint", email), oauth2.SetAuthURLParam("organization_id", org))
		tok, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
		if err != nil {
			t.Fatalf("sign-in of %s asking for %s: %v", email, org, err)
		}
		return mgJWTClaims(t, tok.AccessToken)
	}
	if at := signIn("leaver@left.test", left.GetId()); at["oid"] != nil || at["roles"] != nil {
		t.Errorf("the removed member's access token: oid %v, roles %v; want neither (a member of no organization)", at["oid"], at["roles"])
	}

	// An invitation that expired does not sign its user in to the
	// organization either.
	inviting := c.createOrg("Inviting Late", "")
	c.createUser(inviting.GetId(), "owner@late.test", false)
	c.createUser(inviting.GetId(), "late@late.test", true)
	mgAdvance(t, env, "400h") // past the 15 days an invitation lasts
	if at := signIn("late@late.test", inviting.GetId()); at["oid"] == inviting.GetId() {
		t.Errorf("an expired invitation signed its user in to %s with roles %v", inviting.GetId(), at["roles"])
	}
}

// TestMgmtOneStoreExpiredSessionStatus: a session that timed out reads as
// expired, with when it expired, until it is swept; it is not active.
func TestMgmtOneStoreExpiredSessionStatus(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	newMgAPI(t, env).createUser(acmeOrg, "expired.status@acme.test", false)
	tok := a.login(newBrowser(t), "expired.status@acme.test")
	sid, _ := mgJWTClaims(t, tok.AccessToken)["sid"].(string)
	mgAdvance(t, env, "25h") // past the 24 h idle timeout
	c := newMgAPI(t, env)    // a token of the new time
	gr, err := c.sessions.GetSession(mgCtx(t), connect.NewRequest(&sessionspb.SessionDetailsRequest{SessionId: sid}))
	s := mgMust(t, "GetSession of the timed-out session", gr, err)
	if s.GetStatus() != "expired" || s.GetExpiredAt() == nil || s.GetLogoutAt() != nil {
		t.Errorf("GetSession after the idle timeout: status %q, expired_at %v, logout_at %v; want expired with expired_at and no logout",
			s.GetStatus(), s.GetExpiredAt(), s.GetLogoutAt())
	}
	lr, err := c.sessions.GetUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.UserSessionDetailsRequest{
		UserId: s.GetUserId(), Filter: &sessionspb.UserSessionFilter{Status: []string{"expired"}}}))
	if l := mgMust(t, "GetUserSessions filtered on expired", lr, err); len(l.GetSessions()) != 1 || l.GetSessions()[0].GetSessionId() != sid {
		t.Errorf("GetUserSessions filtered on expired lists %v, want the timed-out session %s", l.GetSessions(), sid)
	}
	// Revoking all revokes none: a session that timed out stays expired.
	rr, err := c.sessions.RevokeAllUserSessions(mgCtx(t), connect.NewRequest(&sessionspb.RevokeAllUserSessionsRequest{UserId: s.GetUserId()}))
	if r := mgMust(t, "RevokeAllUserSessions", rr, err); r.GetTotalRevoked() != 0 {
		t.Errorf("RevokeAllUserSessions after the timeout revoked %d, want 0", r.GetTotalRevoked())
	}
	if gr, err := c.sessions.GetSession(mgCtx(t), connect.NewRequest(&sessionspb.SessionDetailsRequest{SessionId: sid})); err == nil && gr.Msg.GetStatus() == "revoked" {
		t.Errorf("the timed-out session reads as revoked after RevokeAllUserSessions")
	}
}
