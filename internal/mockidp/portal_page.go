package mockidp

import (
	"net/http"
	"time"

	"github.com/skctl/skctl/internal/mockidp/portal"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// portalMaxRows bounds each list of the page: the API can give one
// organization thousands of domains, and the page must stay small.
const portalMaxRows = 100

// portalPageData fills portal.html.
type portalPageData struct {
	portalChrome
	Org tenant.Org
	// Base is the session's page; actions post to Base + "/<action>".
	Base, CSRF  string
	Flash       portal.Flash
	Domains     []portalDomain
	Connections []portalConnection
	Directories []portalDirectory
	// More names the lists cut at portalMaxRows.
	More    []string
	Expires time.Time

	ConnectionTypes, ConnectionProviders, DirectoryProviders []portal.Option
}

type portalDomain struct {
	ID, Name string
	Verified bool
	// TXTName and TXTValue are the record a real environment asks for,
	// as the API shows them; the mock never looks it up.
	TXTName, TXTValue string
}

type portalConnection struct {
	ID, Type, Provider, Status string
	Enabled                    bool
	// Routes marks the connection an organization_id or domain sign-in
	// goes through: the first enabled one (connectionFor).
	Routes bool
}

// portalDirectory is a directory as the page shows it: whether it has a
// token, never the token, which is shown once when made.
type portalDirectory struct {
	ID, Name, Provider, Endpoint string
	Enabled, HasToken            bool
}

// servePortalPage handles GET /magicLink/<id>/s/<token>: the
// organization's domains, connections and directories, with the flash of
// the action just made.
func (s *Server) servePortalPage(w http.ResponseWriter, r *http.Request, rt portal.Route) {
	now := s.now()
	ses, ok := s.portals.Get(rt.LinkID, rt.Token, now)
	if !ok {
		s.portalEnded(w)
		return
	}
	org, err := s.tenant.Org(ses.OrgID)
	if err != nil {
		s.portalMessage(w, http.StatusNotFound, ses.OrgID, "Admin portal", "The organization of this admin portal no longer exists.", "", portal.LoadFailure)
		return
	}
	if r.Method == http.MethodHead { // a HEAD does not use up the flash
		s.portalHeaders(w.Header(), "")
		w.WriteHeader(http.StatusOK)
		return
	}
	d := &portalPageData{Org: org, Base: s.portalURL(rt.LinkID, rt.Token), CSRF: ses.CSRF, Expires: ses.Expires.UTC(),
		ConnectionTypes: portal.ConnectionTypes, ConnectionProviders: portal.ConnectionProviders, DirectoryProviders: portal.DirectoryProviders}
	d.Title = "Admin portal · " + org.DisplayName
	// A page after an action posts that action's events; any other load
	// is the portal loading, as Scalekit's posts on load.
	if f, ok := s.portals.TakeFlash(rt.LinkID, rt.Token, now); ok {
		d.Flash, d.Events = f, f.Events
	} else {
		d.Events = []portal.Event{portal.PortalEvent(portal.LoadSuccess, org.ID, "Admin portal loaded successfully")}
	}
	s.fillPortalLists(d, org.ID)
	s.renderPortal(w, http.StatusOK, portalPage, &d.portalChrome, d)
}

// fillPortalLists reads the organization's domains, connections and
// directories for the page.
func (s *Server) fillPortalLists(d *portalPageData, orgID string) {
	if l, err := s.tenant.ListDomains(orgID, tenant.DomainOrganization, tenant.Page{Size: portalMaxRows}); err == nil {
		for _, dm := range l.Items {
			d.Domains = append(d.Domains, portalDomain{ID: dm.ID, Name: dm.Name, Verified: dm.Verified,
				TXTName: "_scalekit-verification." + dm.Name, TXTValue: "scalekit-verification=" + dm.ID})
		}
		if l.Next >= 0 {
			d.More = append(d.More, "domains")
		}
	}
	conns := s.tenant.ListConnections(orgID, "")
	if len(conns) > portalMaxRows {
		conns, d.More = conns[:portalMaxRows], append(d.More, "connections")
	}
	routed := false
	for _, c := range conns {
		d.Connections = append(d.Connections, portalConnection{ID: c.ID, Type: c.Type,
			Provider: portal.Label(portal.ConnectionProviders, c.Provider), Status: c.Status, Enabled: c.Enabled,
			Routes: c.Enabled && !routed})
		routed = routed || c.Enabled
	}
	dirs, _ := s.tenant.ListDirectories(orgID)
	if len(dirs) > portalMaxRows {
		dirs, d.More = dirs[:portalMaxRows], append(d.More, "directories")
	}
	for _, dir := range dirs {
		d.Directories = append(d.Directories, portalDirectory{ID: dir.ID, Name: dir.Name,
			Provider: portal.Label(portal.DirectoryProviders, dir.Provider), Endpoint: s.scimEndpoint(dir.ID),
			Enabled: dir.Enabled, HasToken: dir.Token != ""})
	}
}

// scimEndpoint is where a directory's IdP pushes SCIM requests, as the
// API's Directory.directory_endpoint says.
func (s *Server) scimEndpoint(dirID string) string {
	return s.issuer + "/api/v1/directories/" + dirID + "/scim/v2"
}
