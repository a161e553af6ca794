package tenant

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// seedFrom fills an empty tenant from fixtures, keeping their IDs. Every
// object is made at now; the fixtures are not changed.
func (t *Tenant) seedFrom(fx *fixture.Fixtures, now time.Time) {
	for _, r := range fx.Roles {
		t.roles[r.Name] = &Role{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Permissions: slices.Clone(r.Permissions)}
		t.roleOrder = append(t.roleOrder, r.Name)
	}
	for _, fo := range fx.Organizations {
		o := &Org{
			ID: fo.ID, DisplayName: fo.Name, ExternalID: fo.ExternalID, Slug: fo.Slug, LogoURL: fo.LogoURL,
			RegionCode: fo.RegionCode, Metadata: maps.Clone(fo.Metadata), Features: DefaultFeatures(),
			CreateTime: now, UpdateTime: now,
		}
		maps.Copy(o.Features, fo.Features)
		if o.RegionCode == "" {
			o.RegionCode = "US"
		}
		t.addOrg(o)
		ix := t.index(o.ID)
		for _, fd := range fo.Domains {
			typ := DomainType(fd.Type)
			if typ == "" {
				typ = DomainOrganization
			}
			d := &Domain{ID: fd.ID, OrgID: o.ID, Name: strings.ToLower(fd.Domain), Type: typ, Verified: true, CreateTime: now, UpdateTime: now}
			t.domains[d.ID] = d
			t.domainByNm[d.Name] = d.ID
			ix.domains = append(ix.domains, d.ID)
		}
		for _, fc := range fo.Connections {
			status := fc.Status
			if status == "" {
				status = "COMPLETED"
			}
			c := &Connection{ID: fc.ID, OrgID: o.ID, Type: fc.Type, Provider: fc.Provider, Enabled: fc.IsEnabled(),
				Status: status, Domains: slices.Clone(fc.Domains), CreateTime: now, UpdateTime: now}
			t.conns[c.ID] = c
			ix.conns = append(ix.conns, c.ID)
		}
		for _, fd := range fo.Directories {
			d := seedDirectory(o.ID, fd, now)
			t.dirs[d.ID] = d
			ix.dirs = append(ix.dirs, d.ID)
		}
	}
	for _, fu := range fx.Users {
		u := &User{
			ID: fu.ID, Email: strings.ToLower(fu.Email), EmailVerified: fu.EmailVerified == nil || *fu.EmailVerified,
			ExternalID: fu.ExternalID, GivenName: fu.GivenName, FamilyName: fu.FamilyName, Name: fu.Name,
			PhoneNumber: fu.PhoneNumber, PhoneNumberVerified: clonePtr(fu.PhoneNumberVerified), Locale: fu.Locale,
			Picture: fu.Picture, PreferredUsername: fu.PreferredUsername, Metadata: maps.Clone(fu.Metadata),
			Claims: cloneClaims(fu.Claims), CreateTime: now, UpdateTime: now,
		}
		for _, fm := range fu.Memberships {
			u.Memberships = append(u.Memberships, seedMembership(fm, now))
			ix := t.index(fm.Organization)
			ix.members = append(ix.members, u.ID)
		}
		t.addUser(u)
	}
}

// seedMembership makes a membership of the fixtures. A pending invitation
// was sent now; an expired one expired now.
func seedMembership(fm fixture.Membership, now time.Time) Membership {
	m := Membership{
		OrgID: fm.Organization, Roles: slices.Clone(fm.Roles), Permissions: slices.Clone(fm.Permissions),
		Status: MembershipStatus(fm.Status), Metadata: maps.Clone(fm.Metadata), CreateTime: now,
	}
	switch m.Status {
	case MembershipPendingInvite:
		m.Invite = &Invite{CreatedAt: now, ExpiresAt: now.Add(InviteLifetime)}
	case MembershipInviteExpired:
		m.Invite = &Invite{CreatedAt: now.Add(-InviteLifetime), ExpiresAt: now}
	default:
		m.Status = MembershipActive
		m.AcceptTime = now
	}
	return m
}

func seedDirectory(orgID string, fd fixture.Directory, now time.Time) *Directory {
	d := &Directory{ID: fd.ID, OrgID: orgID, Name: fd.Name, Type: fd.Type, Provider: fd.Provider, Enabled: fd.IsEnabled(),
		Status: "COMPLETED", Token: fd.Token, CreateTime: now, UpdateTime: now, LastSync: now}
	for _, g := range fd.Groups {
		d.Groups = append(d.Groups, DirGroup{ID: g.ID, DisplayName: g.Name, ExternalID: g.ExternalID, CreateTime: now, UpdateTime: now})
	}
	for _, u := range fd.Users {
		du := DirUser{ID: u.ID, ExternalID: u.ExternalID, Email: u.Email, PreferredUsername: u.PreferredUsername,
			GivenName: u.GivenName, FamilyName: u.FamilyName, Active: u.IsActive(), Groups: slices.Clone(u.Groups),
			Roles: slices.Clone(u.Roles), CreateTime: now, UpdateTime: now}
		if u.Email != "" {
			du.Emails = []string{u.Email}
		}
		d.Users = append(d.Users, du)
	}
	return d
}

// addOrg stores and indexes a new organization. The caller holds the
// write lock and has checked its uniqueness.
func (t *Tenant) addOrg(o *Org) {
	t.orgs[o.ID] = o
	t.orgOrder = append(t.orgOrder, o.ID)
	if o.ExternalID != "" {
		t.orgByExt[o.ExternalID] = o.ID
	}
	if o.Slug != "" {
		t.orgBySlug[o.Slug] = o.ID
	}
	t.index(o.ID)
}

// addUser stores and indexes a new user. The caller holds the write lock
// and has checked its uniqueness.
func (t *Tenant) addUser(u *User) {
	t.users[u.ID] = u
	t.userOrder = append(t.userOrder, u.ID)
	t.userByEmail[u.Email] = u.ID
	if u.ExternalID != "" {
		t.userByExt[u.ExternalID] = u.ID
	}
}
