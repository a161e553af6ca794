package mockidp

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// The sign-in page lists the fixtures' users by organization, plus an email
// field. Each page holds a one-time handle to the checked authorization
// request, kept server-side, so the form cannot alter the request.

type loginData struct {
	Issuer, Title, AppName, Action, Handle, Email, Problem string
	SignUp                                                 bool
	Orgs                                                   []loginOrg
}

type loginOrg struct {
	ID, Name string
	Users    []loginUser
}

type loginUser struct {
	ID, Label, Email, Role string
}

// showLogin renders the sign-in page for req. With only set (the
// select_account prompt), it lists that user's organizations alone.
func (s *Server) showLogin(w http.ResponseWriter, req store.AuthRequest, app *fixture.App, only *fixture.User, email, problem string) {
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
	for _, o := range s.dir.Fixtures().Organizations {
		if req.OrgID != "" && o.ID != req.OrgID {
			continue
		}
		lo := loginOrg{ID: o.ID, Name: o.Name}
		for _, u := range s.dir.Fixtures().Users {
			m, ok := u.Membership(o.ID)
			if !ok || (only != nil && only.ID != u.ID) {
				continue
			}
			label := u.Name
			if label == "" {
				label = u.Email
			}
			lo.Users = append(lo.Users, loginUser{ID: u.ID, Label: label, Email: u.Email, Role: strings.Join(m.Roles, ", ")})
		}
		if len(lo.Users) > 0 {
			data.Orgs = append(data.Orgs, lo)
		}
	}
	renderPage(w, http.StatusOK, loginPage, data)
}

// handleLogin handles POST /oauth/login, the sign-in page's forms: a user
// picked from the list, an email typed in, or "cancel".
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in form could not be read.", "Go back to the app and sign in again.")
		return
	}
	now := s.now()
	p := s.store.TakePending(r.PostForm.Get("handle"), now)
	if p == nil {
		s.errorPage(w, http.StatusBadRequest, "", "This sign-in page has expired or was already used.", "Go back to the app and sign in again.")
		return
	}
	req := p.Request
	app := s.dir.Client(req.ClientID)
	switch {
	case r.PostForm.Get("cancel") != "":
		s.redirectError(w, req, &wire.Error{Code: "access_denied", Description: "The user cancelled the sign-in."})
	case r.PostForm.Get("user") != "":
		u, ok := s.store.User(r.PostForm.Get("user"))
		org := r.PostForm.Get("org")
		// The page lists the routed organization's members only (and one
		// user under select_account): a choice it did not offer is a forged
		// form, which would sign a user in to one organization through
		// another's connection.
		if (req.OrgID != "" && org != req.OrgID) || (p.Only != "" && u.ID != p.Only) {
			s.showLogin(w, req, app, s.onlyUser(p), "", "That choice was not offered on this page. Pick one of the users listed.")
			return
		}
		if _, member := u.Membership(org); !ok || !member {
			s.showLogin(w, req, app, s.onlyUser(p), "", "That user is not in that organization. Pick another.")
			return
		}
		s.signIn(w, req, u, org, now)
	default:
		email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			s.showLogin(w, req, app, s.onlyUser(p), email, "Enter an email address such as you@example.com.")
			return
		}
		u, ok := s.store.UserByEmail(email)
		if !ok {
			u = s.createUser(email, req.OrgID)
		}
		s.signIn(w, req, u, req.OrgID, now)
	}
}

// createUser signs up an unknown email, as Scalekit's passwordless sign-up
// does: into the organization the request routed to, or else into a new
// organization of its own.
func (s *Server) createUser(email, orgID string) fixture.User {
	m := fixture.Membership{Organization: orgID, Roles: []string{"member"}}
	if orgID == "" {
		m = fixture.Membership{Organization: s.ids.New("org_"), Roles: []string{"admin"}}
	}
	return s.store.AddUser(fixture.User{ID: s.ids.New("usr_"), Email: email, Memberships: []fixture.Membership{m}})
}

// onlyUser is the one user a sign-in page offered (select_account), so
// that the page shown again after a refused choice offers no more.
func (s *Server) onlyUser(p *store.PendingLogin) *fixture.User {
	if p.Only == "" {
		return nil
	}
	if u, ok := s.store.User(p.Only); ok {
		return &u
	}
	return nil
}
