package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
	"github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// TestInvitationIntoServe: an app invites a user through the management
// API; the invitation's link, read from the mock's mailbox, goes to the
// app's Initiate login URL (here serve's own /api/auth/login), which signs
// the invited user in with state, nonce and PKCE; the user lands on the
// dashboard, and the membership is ACTIVE from then on.
func TestInvitationIntoServe(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Apps[0].RedirectURIs = []string{appURL + "/api/auth/callback"}
	fx.Apps[0].PostLogoutRedirectURIs = []string{appURL + "/"}
	fx.Apps[0].InitiateLoginURI = appURL + "/api/auth/login"
	idp := startIdPWith(t, fx)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second}
	cc := clientcredentials.Config{ClientID: app1ID, ClientSecret: app1Secret, TokenURL: idp.URL + "/oauth/token"}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	users := userspbconnect.NewUserServiceClient(hc, idp.URL, connect.WithGRPC())
	const email = "invitee+e2e@acme.test"
	req := connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
		OrganizationId:      acmeOrgID,
		User:                &userspb.CreateUser{Email: email, UserProfile: &userspb.CreateUserProfile{GivenName: "Ivy", FamilyName: "Invitee"}},
		SendInvitationEmail: new(true),
	})
	req.Header().Set("Authorization", "Bearer "+tok.AccessToken)
	created, err := users.CreateUserAndMembership(ctx, req)
	if err != nil {
		t.Fatalf("CreateUserAndMembership: %v", err)
	}
	status := func() commonspb.MembershipStatus {
		req := connect.NewRequest(&userspb.GetUserRequest{Identities: &userspb.GetUserRequest_Id{Id: created.Msg.GetUser().GetId()}})
		req.Header().Set("Authorization", "Bearer "+tok.AccessToken)
		r, err := users.GetUser(ctx, req)
		if err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		for _, m := range r.Msg.GetUser().GetMemberships() {
			if m.GetOrganizationId() == acmeOrgID {
				return m.GetMembershipStatus()
			}
		}
		return commonspb.MembershipStatus_Membership_Status_UNSPECIFIED
	}
	if got := status(); got != commonspb.MembershipStatus_PENDING_INVITE {
		t.Fatalf("membership before the invitation is opened: %v, want PENDING_INVITE", got)
	}

	resp, err := hc.Get(idp.URL + "/__mock/mail?to=" + url.QueryEscape(email) + "&last=1")
	if err != nil {
		t.Fatal(err)
	}
	var mail struct{ Kind, Link string }
	json.NewDecoder(resp.Body).Decode(&mail)
	resp.Body.Close()
	if mail.Kind != "invitation" || !strings.HasPrefix(mail.Link, appURL+"/api/auth/login?") {
		t.Fatalf("invitation %+v, want a link to the app's Initiate login URL %s/api/auth/login", mail, appURL)
	}

	b := newBrowser(t)
	login := b.get(mail.Link)
	authz := b.loc(login)
	if q := authz.Query(); q.Get("login_hint") != email || q.Get("organization_id") != acmeOrgID || q.Get("state") == "" {
		t.Fatalf("serve's login from the invitation sent %v, want login_hint, organization_id and its own state", q)
	}
	cb := b.follow(login) // the mock signs the login_hint user in with no page
	done := b.follow(cb)
	if done.status != http.StatusFound || done.location.Path != landing {
		t.Fatalf("callback: %d %v %.300s", done.status, done.location, done.body)
	}
	if dash := b.get(app.URL + landing); dash.status != http.StatusOK || !strings.Contains(dash.body, "Ivy Invitee") {
		t.Fatalf("dashboard after the invitation: %d %.300s", dash.status, dash.body)
	}
	if got := status(); got != commonspb.MembershipStatus_ACTIVE {
		t.Errorf("membership after the invited user signed in: %v, want ACTIVE", got)
	}
}
