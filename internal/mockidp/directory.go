package mockidp

import (
	"slices"
	"strings"
)

// directory indexes the fixtures for the look-ups a request makes. It is
// built once and never changes, so it needs no lock.
type directory struct {
	fx      *Fixtures
	apps    []*App
	clients map[string]*App
	users   map[string]*User // by ID
	byEmail map[string]*User // by lower-case email
	orgs    map[string]*Organization
	domains map[string]*Organization
	conns   map[string]connRef
}

type connRef struct {
	conn *Connection
	org  *Organization // nil for a social connection
}

// socialProviders are the values of the provider parameter the SDKs send
// (contract §4). Each routes to a fake social connection with a stable ID.
var socialProviders = []string{"google", "microsoft", "github", "gitlab", "linkedin", "salesforce"}

func newDirectory(fx *Fixtures) *directory {
	d := &directory{
		fx:      fx,
		clients: map[string]*App{},
		users:   map[string]*User{},
		byEmail: map[string]*User{},
		orgs:    map[string]*Organization{},
		domains: map[string]*Organization{},
		conns:   map[string]connRef{},
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
			d.domains[strings.ToLower(dom)] = o
		}
		for j := range o.Connections {
			d.conns[o.Connections[j].ID] = connRef{&o.Connections[j], o}
		}
	}
	for _, p := range socialProviders {
		c := socialConnection(p)
		d.conns[c.ID] = connRef{c, nil}
	}
	return d
}

func socialConnection(provider string) *Connection {
	return &Connection{ID: stableID("conn_", "social/"+provider), Type: "OIDC", Provider: strings.ToUpper(provider)}
}

// passwordlessConnection is the environment's own sign-in (magic link and
// email OTP in Scalekit), used when no SSO connection applies.
var passwordlessConnection = Connection{ID: stableID("conn_", "passwordless"), Type: "OIDC", Provider: "PASSWORDLESS"}

func (d *directory) userByEmail(email string) (*User, bool) {
	u, ok := d.byEmail[strings.ToLower(email)]
	return u, ok
}

func (d *directory) emails() []string {
	var out []string
	for _, u := range d.fx.Users {
		out = append(out, u.Email)
	}
	return out
}

func (d *directory) hasPublicClient() bool {
	return slices.ContainsFunc(d.apps, (*App).public)
}

// membership returns the user's membership of org, if any.
func (u *User) membership(org string) (Membership, bool) {
	for _, m := range u.Memberships {
		if m.Organization == org {
			return m, true
		}
	}
	return Membership{}, false
}

// firstConnection is the organization's SSO connection, or the
// environment's passwordless one when it has none.
func (o *Organization) firstConnection() *Connection {
	if o != nil && len(o.Connections) > 0 {
		return &o.Connections[0]
	}
	return &passwordlessConnection
}
