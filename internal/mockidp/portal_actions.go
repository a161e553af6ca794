package mockidp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/portal"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// maxDirectoryName bounds a directory name typed in the portal.
const maxDirectoryName = 100

// servePortalAction handles POST /magicLink/<id>/s/<token>/<action>: one
// tenant change, the same the management API makes (so the same events),
// then a 303 to the page, which shows how it went.
func (s *Server) servePortalAction(w http.ResponseWriter, r *http.Request, rt portal.Route) {
	ses, ok := s.portals.Get(rt.LinkID, rt.Token, s.now())
	if !ok {
		s.portalEnded(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.portalMessage(w, http.StatusBadRequest, ses.OrgID, "Admin portal", "The form could not be read: it is not a form, or it is too large.",
			"Go back to the admin portal and try again.", portal.LoadFailure)
		return
	}
	if !portal.SameToken(r.PostForm.Get("csrf"), ses.CSRF) {
		s.portalMessage(w, http.StatusForbidden, ses.OrgID, "Admin portal",
			"This form did not come from this admin portal session (its CSRF token is missing or wrong), so nothing was changed.",
			"Go back to the admin portal, reload it and try again.", portal.LoadFailure)
		return
	}
	f := s.portalChange(ses.OrgID, rt.Action, r.PostForm)
	if f.Problem == "" && s.opts.StateDir != "" {
		// Made durable before it is answered, as the API's changes are.
		if err := s.persistTenant(); err != nil {
			s.log.Error("admin portal: could not save the state", "err", err)
			f.Problem = "The change was made, but skctl mock-idp could not save it to --state-dir: see its log."
		}
	}
	s.portals.SetFlash(rt.LinkID, rt.Token, f, s.now())
	s.portalRedirect(w, r, rt.LinkID, rt.Token)
}

// portalChange makes an action's change to the organization and says how
// it went.
func (s *Server) portalChange(orgID string, a portal.Action, form url.Values) portal.Flash {
	id := form.Get("id")
	switch a {
	case portal.AddDomain:
		name := strings.ToLower(strings.TrimSpace(form.Get("domain")))
		d, err := s.tenant.CreatePendingDomain(tenant.Domain{OrgID: orgID, Name: name})
		if err != nil {
			return portal.Flash{Problem: s.domainProblem(orgID, name, err)}
		}
		return portal.Flash{Notice: "Domain " + d.Name + " added. It routes sign-ins once verified: publish its TXT record, then press Verify."}
	case portal.VerifyDomain:
		d, err := s.tenant.VerifyDomain(orgID, id)
		if err != nil {
			return portal.Flash{Problem: goneProblem(err)}
		}
		return portal.Flash{Notice: "Domain " + d.Name + " verified: sign-ins with an email at " + d.Name + " now go to this organization's single sign-on."}
	case portal.CreateConnection:
		return s.portalCreateConnection(orgID, form)
	case portal.EnableConnection, portal.DisableConnection:
		return s.portalToggleConnection(orgID, id, a == portal.EnableConnection)
	case portal.CreateDirectory:
		return s.portalCreateDirectory(orgID, form)
	case portal.DirectoryToken:
		tok, err := s.tenant.NewDirectoryToken(orgID, id)
		if err != nil {
			return portal.Flash{Problem: goneProblem(err)}
		}
		name := id
		if d, err := s.tenant.Directory(orgID, id); err == nil {
			name = d.Name
		}
		return portal.Flash{Notice: "A new bearer token was made for " + name + "; the one before it, if any, no longer works.",
			Secret: &portal.Secret{Label: "Bearer token of " + name, Value: tok}}
	case portal.EnableDirectory, portal.DisableDirectory:
		return s.portalToggleDirectory(orgID, id, a == portal.EnableDirectory)
	}
	return portal.Flash{Problem: "The admin portal has no such action."}
}

func (s *Server) portalCreateConnection(orgID string, form url.Values) portal.Flash {
	typ, provider := form.Get("type"), form.Get("provider")
	if !portal.Allowed(portal.ConnectionTypes, typ) || !portal.Allowed(portal.ConnectionProviders, provider) {
		return portal.Flash{Problem: "Choose a type (OIDC or SAML) and an identity provider from the lists."}
	}
	// As the API's CreateConnection: a draft, off until enabled.
	c, err := s.tenant.CreateConnection(tenant.Connection{OrgID: orgID, Type: typ, Provider: provider, Status: "DRAFT"})
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	return portal.Flash{Notice: "Created the " + typ + " connection " + c.ID + " (" + portal.Label(portal.ConnectionProviders, provider) +
		"). Enable it to send this organization's sign-ins through it."}
}

func (s *Server) portalToggleConnection(orgID, id string, on bool) portal.Flash {
	before, err := s.tenant.Connection(orgID, id)
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	state := map[bool]string{true: "enabled", false: "disabled"}[on]
	if before.Enabled == on {
		return portal.Flash{Notice: "Connection " + id + " was already " + state + "."}
	}
	c, err := s.tenant.SetConnectionEnabled(orgID, id, on)
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	f := portal.Flash{Notice: "Connection " + id + " " + state + ".", Events: []portal.Event{portal.ConnectionEvent(c)}}
	if on {
		f.Notice += " Sign-ins with organization_id=" + orgID + " or connection_id=" + id + " now go through it: the mock's sign-in page stands in for the identity provider."
	}
	return f
}

func (s *Server) portalCreateDirectory(orgID string, form url.Values) portal.Flash {
	name, provider := strings.TrimSpace(form.Get("name")), form.Get("provider")
	if !portal.Allowed(portal.DirectoryProviders, provider) {
		return portal.Flash{Problem: "Choose the directory's identity provider from the list."}
	}
	if len(name) > maxDirectoryName {
		return portal.Flash{Problem: "The directory name is too long: keep it under 100 characters."}
	}
	d, err := s.tenant.CreateDirectory(tenant.Directory{OrgID: orgID, Name: name, Type: "SCIM", Provider: provider})
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	return portal.Flash{Notice: "Created the directory " + d.Name + ". Generate its bearer token, give the identity provider the endpoint and the token, and enable it."}
}

func (s *Server) portalToggleDirectory(orgID, id string, on bool) portal.Flash {
	before, err := s.tenant.Directory(orgID, id)
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	state := map[bool]string{true: "enabled", false: "disabled"}[on]
	if before.Enabled == on {
		return portal.Flash{Notice: "Directory " + before.Name + " was already " + state + "."}
	}
	d, err := s.tenant.SetDirectoryEnabled(orgID, id, on)
	if err != nil {
		return portal.Flash{Problem: goneProblem(err)}
	}
	return portal.Flash{Notice: "Directory " + d.Name + " " + state + ".", Events: []portal.Event{portal.DirectoryEvent(d)}}
}

// domainProblem says in words why a domain cannot be added.
func (s *Server) domainProblem(orgID, name string, err error) string {
	var invalid *tenant.InvalidError
	var conflict *tenant.ConflictError
	switch {
	case name == "":
		return "Type the domain to add, such as example.com."
	case errors.As(err, &invalid):
		return "“" + name + "” cannot be added: " + invalid.Reason + "."
	case errors.As(err, &conflict):
		if s.orgHasDomain(orgID, name) {
			return name + " is already a domain of this organization."
		}
		return name + " is already a domain of another organization in this environment: a domain belongs to one organization only."
	}
	return goneProblem(err)
}

// orgHasDomain reports whether an organization has a domain, pending or
// verified: a rare question (a taken name), so its domains are read page
// by page.
func (s *Server) orgHasDomain(orgID, name string) bool {
	for p := (tenant.Page{Size: 500}); p.Offset >= 0; {
		l, err := s.tenant.ListDomains(orgID, "", p)
		if err != nil {
			return false
		}
		for _, d := range l.Items {
			if d.Name == name {
				return true
			}
		}
		p.Offset = l.Next
	}
	return false
}

// goneProblem says in words what a tenant error on a portal action means:
// what the form named is gone (deleted through the API meanwhile).
func goneProblem(err error) string {
	var nf *tenant.NotFoundError
	if errors.As(err, &nf) {
		if nf.Kind == "organization" {
			return "This organization no longer exists."
		}
		return "That " + nf.Kind + " no longer exists in this organization: it may have been deleted meanwhile."
	}
	return "The change could not be made: reload the admin portal and try again."
}
