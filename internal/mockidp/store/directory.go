package store

import (
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"slices"
	"strings"
)

// Directory indexes the fixtures for the look-ups a request makes. It is
// built once and never changes, so it needs no lock.
type Directory struct {
	fx      *fixture.Fixtures
	apps    []*fixture.App
	clients map[string]*fixture.App
	users   map[string]*fixture.User // by ID
	byEmail map[string]*fixture.User // by lower-case email
	orgs    map[string]*fixture.Organization
	domains map[string]*fixture.Organization
	conns   map[string]ConnRef
}

// ConnRef is a connection and its organization (nil for a social
// connection).
type ConnRef struct {
	Conn *fixture.Connection
	Org  *fixture.Organization
}

// SocialProviders are the values of the provider parameter the SDKs send
// (docs/scalekit-contract.md §4). Each routes to a fake social connection with a stable ID.
var SocialProviders = []string{"google", "microsoft", "github", "gitlab", "linkedin", "salesforce"}

// NewDirectory indexes fx.
func NewDirectory(fx *fixture.Fixtures) *Directory {
	d := &Directory{
		fx:      fx,
		clients: map[string]*fixture.App{},
		users:   map[string]*fixture.User{},
		byEmail: map[string]*fixture.User{},
		orgs:    map[string]*fixture.Organization{},
		domains: map[string]*fixture.Organization{},
		conns:   map[string]ConnRef{},
	}
	for i := range fx.Apps {
		d.apps = append(d.apps, &fx.Apps[i])
		d.clients[fx.Apps[i].ClientID] = &fx.Apps[i]
	}
	for i := range fx.Users {
		d.users[fx.Users[i].ID] = &fx.Users[i]
		d.byEmail[fx.Users[i].Email] = &fx.Users[i]
	}
	for i := range fx.Organizations {
		o := &fx.Organizations[i]
		d.orgs[o.ID] = o
		for _, dom := range o.Domains {
			d.domains[strings.ToLower(dom.Domain)] = o
		}
		for j := range o.Connections {
			d.conns[o.Connections[j].ID] = ConnRef{&o.Connections[j], o}
		}
	}
	for _, p := range SocialProviders {
		c := SocialConnection(p)
		d.conns[c.ID] = ConnRef{c, nil}
	}
	return d
}

// SocialConnection is the fake connection a provider routes to.
func SocialConnection(provider string) *fixture.Connection {
	return &fixture.Connection{ID: ids.Stable("conn_", "social/"+provider), Type: "OIDC", Provider: strings.ToUpper(provider)}
}

// UserByEmail returns the seeded user with an email, in any case.
func (d *Directory) UserByEmail(email string) (*fixture.User, bool) {
	u, ok := d.byEmail[strings.ToLower(email)]
	return u, ok
}

// Emails lists the seeded users' emails.
func (d *Directory) Emails() []string {
	var out []string
	for _, u := range d.fx.Users {
		out = append(out, u.Email)
	}
	return out
}

// HasPublicClient reports whether an app authenticates with no secret.
func (d *Directory) HasPublicClient() bool {
	return slices.ContainsFunc(d.apps, (*fixture.App).Public)
}

// Client returns the app with a client ID, or nil.
func (d *Directory) Client(id string) *fixture.App { return d.clients[id] }

// Apps lists the apps, the default one first.
func (d *Directory) Apps() []*fixture.App { return d.apps }

// Org returns the organization with an ID, or nil.
func (d *Directory) Org(id string) *fixture.Organization { return d.orgs[id] }

// OrgByDomain returns the organization a domain routes to, or nil.
func (d *Directory) OrgByDomain(domain string) *fixture.Organization {
	return d.domains[strings.ToLower(domain)]
}

// Conn returns the connection with an ID.
func (d *Directory) Conn(id string) (ConnRef, bool) {
	c, ok := d.conns[id]
	return c, ok
}

// Fixtures are what the directory indexes, in their order.
func (d *Directory) Fixtures() *fixture.Fixtures { return d.fx }
