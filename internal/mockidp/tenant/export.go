package tenant

import (
	"maps"
	"slices"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// Export returns the whole tenant as fixtures, with the apps, scenarios
// and passwordless settings of the seed, so that a state built by hand (GET /__mock/export) can be
// handed to CI as a --fixtures file: fixture.Parse of the marshalled
// export gives back the same tenant, but for the times, which a file does
// not hold. An app that was a client of an organization since deleted
// loses its organization, so that the export still parses.
func (t *Tenant) Export() *fixture.Fixtures {
	t.mu.RLock()
	defer t.mu.RUnlock()
	now := t.now()
	seed := cloneFixtures(t.seed)
	fx := &fixture.Fixtures{Organizations: []fixture.Organization{}, Users: []fixture.User{}, Apps: seed.Apps, Scenarios: seed.Scenarios,
		Passwordless: seed.Passwordless}
	for _, name := range t.roleOrder {
		r := t.roles[name]
		fx.Roles = append(fx.Roles, fixture.Role{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Permissions: slices.Clone(r.Permissions)})
	}
	for _, id := range t.orgOrder {
		fx.Organizations = append(fx.Organizations, t.exportOrg(id))
	}
	for _, id := range t.userOrder {
		fx.Users = append(fx.Users, t.users[id].export(now))
	}
	for i := range fx.Apps {
		if a := &fx.Apps[i]; a.Organization != "" && t.orgs[a.Organization] == nil {
			a.Organization = ""
		}
	}
	return fx
}

// exportOrg is an organization as fixtures, with its domains,
// connections and directories. The caller holds the lock.
func (t *Tenant) exportOrg(id string) fixture.Organization {
	o, ix := t.orgs[id], t.perOrg[id]
	fo := fixture.Organization{ID: o.ID, Name: o.DisplayName, ExternalID: o.ExternalID, Slug: o.Slug, LogoURL: o.LogoURL,
		RegionCode: o.RegionCode, Metadata: maps.Clone(o.Metadata)}
	for name, on := range o.Features {
		if on { // off is the default
			if fo.Features == nil {
				fo.Features = map[string]bool{}
			}
			fo.Features[name] = true
		}
	}
	for _, did := range ix.domains {
		d := t.domains[did]
		fo.Domains = append(fo.Domains, fixture.Domain{ID: d.ID, Domain: d.Name, Type: string(d.Type)})
	}
	for _, cid := range ix.conns {
		c := t.conns[cid]
		fc := fixture.Connection{ID: c.ID, Type: c.Type, Provider: c.Provider, Status: c.Status, Domains: slices.Clone(c.Domains)}
		if !c.Enabled {
			fc.Enabled = new(bool)
		}
		fo.Connections = append(fo.Connections, fc)
	}
	for _, did := range ix.dirs {
		fo.Directories = append(fo.Directories, t.dirs[did].export())
	}
	return fo
}

func (d *Directory) export() fixture.Directory {
	fd := fixture.Directory{ID: d.ID, Name: d.Name, Type: d.Type, Provider: d.Provider, Token: d.Token}
	if !d.Enabled {
		fd.Enabled = new(bool)
	}
	for _, g := range d.Groups {
		fd.Groups = append(fd.Groups, fixture.DirectoryGroup{ID: g.ID, Name: g.DisplayName, ExternalID: g.ExternalID})
	}
	for _, u := range d.Users {
		fu := fixture.DirectoryUser{ID: u.ID, ExternalID: u.ExternalID, Email: u.Email, PreferredUsername: u.PreferredUsername, GivenName: u.GivenName,
			FamilyName: u.FamilyName, Groups: slices.Clone(u.Groups), Roles: slices.Clone(u.Roles)}
		if !u.Active {
			fu.Active = new(bool)
		}
		fd.Users = append(fd.Users, fu)
	}
	return fd
}

// export is a user as fixtures, each membership with its status as of
// now.
func (u *User) export(now time.Time) fixture.User {
	fu := fixture.User{ID: u.ID, Email: u.Email, Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName,
		PreferredUsername: u.PreferredUsername, Locale: u.Locale, Picture: u.Picture, PhoneNumber: u.PhoneNumber,
		PhoneNumberVerified: clonePtr(u.PhoneNumberVerified), ExternalID: u.ExternalID, Metadata: maps.Clone(u.Metadata),
		Claims: cloneClaims(u.Claims)}
	if !u.EmailVerified {
		fu.EmailVerified = new(bool)
	}
	for _, m := range u.Memberships {
		fm := fixture.Membership{Organization: m.OrgID, Roles: slices.Clone(m.Roles), Permissions: slices.Clone(m.Permissions),
			Metadata: maps.Clone(m.Metadata)}
		if st := m.status(now); st != MembershipActive {
			fm.Status = string(st)
		}
		fu.Memberships = append(fu.Memberships, fm)
	}
	return fu
}
