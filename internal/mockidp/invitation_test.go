package mockidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// TestInvitationAcceptedOnTheMocksPage: the default fixtures' app has no
// Initiate login URL, so the invitation's link, read from the mailbox,
// lands on the mock's own page. Following it accepts the invitation (the
// membership turns ACTIVE) and signs the user in: the app's next sign-in
// gets a code at once, for that user in that organization. The link works
// once; a link preview does not accept.
func TestInvitationAcceptedOnTheMocksPage(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	c := newMgAPI(t, e.Env)
	o := c.createOrg("Invitors", "")
	c.createUser(o.GetId(), "boss@invitors.test", false)
	email := "ivy@invitors.test"
	u := c.createUser(o.GetId(), email, true)
	status := func() commonspb.MembershipStatus {
		return mgMembership(c.mustUser(u.GetId()), o.GetId()).GetMembershipStatus()
	}
	m := mgLastMail(t, e.Env, email)
	if m.Kind != "invitation" || !strings.HasPrefix(m.Link, e.URL+"/oauth/invitation?") {
		t.Fatalf("invitation %+v, want a link to the mock's %s/oauth/invitation", m, e.URL)
	}

	b := newBrowser(t)
	head, _ := http.NewRequest(http.MethodHead, m.Link, nil)
	if p := b.do(head); p.status != http.StatusOK || status() != commonspb.MembershipStatus_PENDING_INVITE {
		t.Fatalf("HEAD of the invitation link: %d, membership %v; want 200 and still pending", p.status, status())
	}
	p := b.get(m.Link)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Invitation accepted") || !strings.Contains(p.body, "You joined Invitors as "+email) ||
		!strings.Contains(p.body, `href="http://localhost:4321/"`) {
		t.Fatalf("the invitation link: %d %.600s, want the accepted page linking the app", p.status, p.body)
	}
	if got := status(); got != commonspb.MembershipStatus_ACTIVE {
		t.Errorf("membership after the invitation link: %v, want ACTIVE", got)
	}
	if !strings.Contains(e.logs.String(), `msg="invitation accepted" org=`+o.GetId()) {
		t.Errorf("the log does not record the acceptance:\n%s", e.logs.String())
	}

	f := e.app.start()
	tok, err := e.app.exchange(f, e.app.callback(f, b.get(f.authURL))) // no page: the browser is signed in
	if err != nil {
		t.Fatalf("the app's sign-in after the invitation: %v", err)
	}
	if tok.idToken.Subject != u.GetId() || mgJWTClaims(t, tok.AccessToken)["oid"] != o.GetId() {
		t.Errorf("signed in as %s in %v, want %s in %s", tok.idToken.Subject, mgJWTClaims(t, tok.AccessToken)["oid"], u.GetId(), o.GetId())
	}

	sessions := e.Stats().Sessions
	e.wantRefusal(t, "the invitation link again", newBrowser(t).get(m.Link), http.StatusBadRequest,
		"This invitation to Invitors was already accepted.", "already accepted", sessions)
}

// TestInvitationLinkRefusals: a resend replaces the links sent before it,
// an expired invitation and a forged link are refused; each page says
// what to do, the log says why, and no session is made.
func TestInvitationLinkRefusals(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	c := newMgAPI(t, e.Env)
	o := c.createOrg("Refusers", "")
	c.createUser(o.GetId(), "boss@refusers.test", false)

	email := "resent@refusers.test"
	u := c.createUser(o.GetId(), email, true)
	old := mgLastMail(t, e.Env, email)
	rr, err := c.users.ResendInvite(mgCtx(t), connect.NewRequest(&userspb.ResendInviteRequest{OrganizationId: o.GetId(), Id: u.GetId()}))
	mgMust(t, "ResendInvite", rr, err)
	fresh := mgLastMail(t, e.Env, email)
	if fresh.Link == old.Link {
		t.Fatal("the resend's link is the first one's")
	}
	e.wantRefusal(t, "the link from before the resend", newBrowser(t).get(old.Link), http.StatusBadRequest,
		"a newer invitation replaced it", "not this invitation's link", 0)

	forged, _ := url.Parse(fresh.Link)
	q := forged.Query()
	q.Set("login_hint", "boss@refusers.test")
	forged.RawQuery = q.Encode()
	e.wantRefusal(t, "the link with another user's email", newBrowser(t).get(forged.String()), http.StatusBadRequest,
		"This invitation to Refusers was already accepted.", "already accepted", 0)
	q.Set("login_hint", email)
	q.Set("token", "forged")
	forged.RawQuery = q.Encode()
	e.wantRefusal(t, "a forged token", newBrowser(t).get(forged.String()), http.StatusBadRequest,
		"not one this environment sent", "not this invitation's link", 0)

	mgAdvance(t, e.Env, "400h") // past the fifteen days an invitation lasts
	e.wantRefusal(t, "the link after the invitation expired", newBrowser(t).get(fresh.Link), http.StatusBadRequest,
		"This invitation to Refusers has expired.", "expired", 0)
	if m, _ := arranged(e.Tenant().User(u.GetId())).Membership(o.GetId()); m.Status == tenant.MembershipActive {
		t.Errorf("a refused link activated the membership")
	}
}
