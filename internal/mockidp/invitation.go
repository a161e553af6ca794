package mockidp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// Scalekit sends an accepted invitation to the app's Initiate login URL,
// and the mock does too when the default app has one. Without one, the
// invitation's link lands on the mock's own page, /oauth/invitation,
// which accepts it (the membership turns ACTIVE) and signs the invited
// user in to the environment, so that the app's next sign-in goes
// straight through. The link carries a token bound to the invitation's
// user, organization and expiry: a resend moves the expiry and so
// replaces the links sent before it.

const invitationPath = "/oauth/invitation"

func newInviteKey() []byte {
	k := make([]byte, 32)
	rand.Read(k) // crypto/rand's reader does not fail
	return k
}

// inviteToken is the token of an invitation's link.
func (s *Server) inviteToken(email, orgID string, inv *tenant.Invite) string {
	m := hmac.New(sha256.New, s.inviteKey)
	fmt.Fprintf(m, "%s\x00%s\x00%d", strings.ToLower(email), orgID, inv.ExpiresAt.UnixNano())
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// acceptLink is the mock's own landing for an invitation, or "" when the
// user has no invitation to orgID.
func (s *Server) acceptLink(email, orgID string) string {
	u, err := s.tenant.UserByEmail(email)
	m, member := u.Membership(orgID)
	if err != nil || !member || m.Invite == nil {
		return ""
	}
	q := url.Values{"organization_id": {orgID}, "login_hint": {u.Email}, "token": {s.inviteToken(u.Email, orgID, m.Invite)}}
	return s.issuer + invitationPath + "?" + q.Encode()
}

// handleInvitation handles GET /oauth/invitation: it accepts the
// invitation its link names and signs its user in, or says why it cannot
// and what to do. A HEAD (a link preview) accepts nothing.
func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return
	}
	q := r.URL.Query()
	email, orgID, token := q.Get("login_hint"), q.Get("organization_id"), q.Get("token")
	u, err := s.tenant.UserByEmail(email)
	m, member := u.Membership(orgID)
	orgName := orgID
	if o, err := s.tenant.Org(orgID); err == nil {
		orgName = o.DisplayName
	}
	refuse := func(reason, msg, hint string) {
		s.log.Info("invitation refused", "reason", reason, "org", orgID)
		renderPage(w, http.StatusBadRequest, messagePage, messageData{Issuer: s.issuer, Title: "Invitation", Message: msg, Hint: hint})
	}
	switch {
	case err != nil || !member:
		refuse("no such membership", "This invitation is no longer valid: its user or membership was removed.", "Ask an admin of the organization to invite you again.")
		return
	case m.Status == tenant.MembershipActive:
		refuse("already accepted", "This invitation to "+orgName+" was already accepted.", "Sign in from the app.")
		return
	case m.Invite == nil || !hmac.Equal([]byte(token), []byte(s.inviteToken(u.Email, orgID, m.Invite))):
		refuse("not this invitation's link", "This invitation link is not one this environment sent, or a newer invitation replaced it.", "Open the newest invitation email in the mailbox.")
		return
	case m.Status == tenant.MembershipInviteExpired:
		refuse("expired", "This invitation to "+orgName+" has expired.", "Ask an admin of "+orgName+" to resend it.")
		return
	}
	s.startSession(w, r, store.AuthRequest{OrgID: orgID}, u, orgID, s.now()) // the sign-in accepts the invitation
	if s.opts.StateDir != "" {
		// No code exchange follows on this path to save the acceptance
		// and its webhooks: save them before answering.
		if err := s.persistTenant(); err != nil {
			s.log.Error("invitation: could not save the state", "err", err)
		}
	}
	s.log.Info("invitation accepted", "org", orgID, "user", u.ID)
	app := s.DefaultApp()
	data := messageData{Issuer: s.issuer, Title: "Invitation accepted",
		Message: "You joined " + orgName + " as " + u.Email + ", and are signed in to this environment: the app's next sign-in goes straight through.",
		Hint:    "To have invitations land in the app itself, as Scalekit does, give the app an Initiate login URL (initiate_login_uri in the fixtures).",
	}
	if home := appHome(app); home != "" {
		data.Link, data.LinkText = home, "Open "+appName(&app)
	}
	renderPage(w, http.StatusOK, messagePage, data)
}

// appHome guesses an app's home page: the origin of its first redirect
// URI, where its callback lives.
func appHome(app fixture.App) string {
	if len(app.RedirectURIs) == 0 {
		return ""
	}
	u, err := url.Parse(app.RedirectURIs[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}
