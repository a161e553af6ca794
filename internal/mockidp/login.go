package mockidp

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// The sign-in page lists the tenant's users by organization, plus an
// email field. Each page holds a one-time handle to the checked
// authorization request, kept server-side, so the form cannot alter the
// request.

type loginData struct {
	Issuer, Title, AppName, Action, Handle, Email, Problem string
	SignUp                                                 bool
	Orgs                                                   []loginOrg
	// More: the tenant has more organizations or members than the page
	// lists; they sign in by email.
	More bool
}

type loginOrg struct {
	ID, Name string
	Users    []loginUser
}

type loginUser struct {
	ID, Label, Email, Role string
}

// The page lists at most this many organizations, and members of each: a
// tenant the API has filled with thousands stays a page, not a dump.
const (
	loginMaxOrgs    = 50
	loginMaxMembers = 25
)

// showLogin renders the sign-in page for req. With only set (the
// select_account prompt), it lists that user's organizations alone.
func (s *Server) showLogin(w http.ResponseWriter, req store.AuthRequest, app *fixture.App, only *tenant.User, email, problem string) {
	s.showLoginStatus(w, http.StatusOK, req, app, only, email, problem)
}

// showLoginStatus renders the sign-in page with a status other than 200:
// a 429 when the email typed has had its emails for the minute.
func (s *Server) showLoginStatus(w http.ResponseWriter, status int, req store.AuthRequest, app *fixture.App, only *tenant.User, email, problem string) {
	handle := ids.Token()
	pending := &store.PendingLogin{Request: req, Expires: s.now().Add(s.life.Code)}
	if only != nil {
		pending.Only = only.ID
	}
	s.store.AddPending(handle, pending)
	data := loginData{
		Issuer: s.issuer, Title: "Sign in", AppName: app.Name, Action: s.issuer + "/oauth/login",
		Handle: handle, Email: email, Problem: problem, SignUp: req.Prompts("create"),
	}
	if data.AppName == "" {
		data.AppName = app.ClientID
	}
	if only != nil {
		data.Orgs = s.loginOrgsOf(*only, req.OrgID)
	} else {
		data.Orgs, data.More = s.loginOrgs(req.OrgID)
	}
	renderPage(w, status, loginPage, data)
}

// loginOrgs lists the organizations and their members for the page: the
// one the request routed to, or the first ones of the tenant.
func (s *Server) loginOrgs(routed string) ([]loginOrg, bool) {
	var orgs []tenant.Org
	more := false
	if routed != "" {
		if o, err := s.tenant.Org(routed); err == nil {
			orgs = append(orgs, o)
		}
	} else {
		l := s.tenant.ListOrgs(tenant.Page{Size: loginMaxOrgs}, "")
		orgs, more = l.Items, l.Next >= 0
	}
	var out []loginOrg
	for _, o := range orgs {
		members, err := s.tenant.ListOrgUsers(o.ID, tenant.Page{Size: loginMaxMembers})
		if err != nil || len(members.Items) == 0 {
			continue
		}
		more = more || members.Next >= 0
		lo := loginOrg{ID: o.ID, Name: o.DisplayName}
		for _, u := range members.Items {
			if m, _ := u.Membership(o.ID); m.Status != tenant.MembershipInviteExpired {
				lo.Users = append(lo.Users, loginUserOf(u, o.ID))
			}
		}
		if len(lo.Users) > 0 {
			out = append(out, lo)
		}
	}
	return out, more
}

// loginOrgsOf lists one user's organizations (select_account), or only
// the routed one.
func (s *Server) loginOrgsOf(u tenant.User, routed string) []loginOrg {
	var out []loginOrg
	for _, m := range u.Memberships {
		// An expired invitation is no way in: SignInOrg would land the
		// user elsewhere.
		if (routed != "" && m.OrgID != routed) || m.Status == tenant.MembershipInviteExpired {
			continue
		}
		if o, err := s.tenant.Org(m.OrgID); err == nil {
			out = append(out, loginOrg{ID: o.ID, Name: o.DisplayName, Users: []loginUser{loginUserOf(u, o.ID)}})
		}
	}
	return out
}

func loginUserOf(u tenant.User, orgID string) loginUser {
	m, _ := u.Membership(orgID)
	label := u.Name
	if label == "" {
		label = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	if label == "" {
		label = u.Email
	}
	role := strings.Join(m.Roles, ", ")
	if m.Status == tenant.MembershipPendingInvite {
		role += " (invited)" // signing in accepts the invitation
	}
	return loginUser{ID: u.ID, Label: label, Email: u.Email, Role: role}
}

// handleLogin handles POST /oauth/login, the sign-in page's forms: a user
// picked from the list (one click: the page lists the environment's
// users), an email typed in (which gets a code and a magic link, as
// Scalekit's hosted page does, signinmail.go), or "cancel".
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in form could not be read.", "Go back to the app and sign in again.")
		return
	}
	now := s.now()
	p := s.store.TakePending(r.PostForm.Get("handle"), now)
	// A "check your email" page's handle answers that page's forms only:
	// here it would skip the code.
	if p == nil || p.Passwordless != "" {
		s.errorPage(w, http.StatusBadRequest, "", "This sign-in page has expired or was already used.", "Go back to the app and sign in again.")
		return
	}
	req := p.Request
	app := s.dir.Client(req.ClientID)
	switch {
	case r.PostForm.Get("cancel") != "":
		s.redirectError(w, req, &wire.Error{Code: "access_denied", Description: "The user cancelled the sign-in."})
	case r.PostForm.Get("user") != "":
		u, err := s.tenant.User(r.PostForm.Get("user"))
		org := r.PostForm.Get("org")
		// The page lists the routed organization's members only (and one
		// user under select_account): a choice it did not offer is a forged
		// form, which would sign a user in to one organization through
		// another's connection.
		if (req.OrgID != "" && org != req.OrgID) || (p.Only != "" && u.ID != p.Only) {
			s.showLogin(w, req, app, s.onlyUser(p), "", "That choice was not offered on this page. Pick one of the users listed.")
			return
		}
		if _, member := u.Membership(org); err != nil || !member {
			s.showLogin(w, req, app, s.onlyUser(p), "", "That user is not in that organization. Pick another.")
			return
		}
		s.signIn(w, r, req, u, org, now)
	default:
		email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			s.showLogin(w, req, app, s.onlyUser(p), email, "Enter an email address such as you@example.com.")
			return
		}
		s.sendSignInEmail(w, p, app, email, now)
	}
}

// completeEmailSignIn signs in the owner of an email that proved it (a
// code or a magic link): the user of that email, or a new one signed up.
func (s *Server) completeEmailSignIn(w http.ResponseWriter, r *http.Request, p *store.PendingLogin, now time.Time) {
	req := p.Request
	u, err := s.tenant.UserByEmail(p.Email)
	if err != nil {
		u, err = s.signUp(p.Email, req.OrgID)
	}
	if err != nil {
		s.log.Error("sign-up", "err", err)
		s.redirectError(w, req, &wire.Error{Code: "server_error", Description: "The mock could not sign up this email."})
		return
	}
	s.signIn(w, r, req, u, req.OrgID, now)
}

// signUp makes a user of an unknown email, as Scalekit's sign-up does:
// into the organization the request routed to, or else (tenant.SignUp)
// into the organization its email domain is allowed in, or a new
// organization of its own, as its admin.
func (s *Server) signUp(email, orgID string) (tenant.User, error) {
	if orgID != "" {
		return s.tenant.JoinOrg(email, orgID)
	}
	return s.tenant.SignUp(email)
}

// onlyUser is the one user a sign-in page offered (select_account), so
// that the page shown again after a refused choice offers no more.
func (s *Server) onlyUser(p *store.PendingLogin) *tenant.User {
	if p.Only == "" {
		return nil
	}
	if u, err := s.tenant.User(p.Only); err == nil {
		return &u
	}
	return nil
}
