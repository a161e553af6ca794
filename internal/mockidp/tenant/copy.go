package tenant

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// Deep copies: what leaves the tenant shares no slice, map or pointer
// with what stays in it.

func (o *Org) clone() Org {
	c := *o
	c.Metadata = maps.Clone(o.Metadata)
	c.Features = maps.Clone(o.Features)
	return c
}

// clone copies a user, with each pending invitation's status as of now.
func (u *User) clone(now time.Time) User {
	c := *u
	c.Metadata = maps.Clone(u.Metadata)
	c.Claims = cloneClaims(u.Claims)
	c.PhoneNumberVerified = clonePtr(u.PhoneNumberVerified)
	c.Memberships = make([]Membership, len(u.Memberships))
	for i := range u.Memberships {
		c.Memberships[i] = u.Memberships[i].clone(now)
	}
	return c
}

// clone copies a membership; a pending invitation past its expiry reads
// INVITE_EXPIRED.
func (m *Membership) clone(now time.Time) Membership {
	c := m.copy()
	c.Status = m.status(now)
	return c
}

// copy copies a membership as it is stored.
func (m *Membership) copy() Membership {
	c := *m
	c.Roles = slices.Clone(m.Roles)
	c.Permissions = slices.Clone(m.Permissions)
	c.Metadata = maps.Clone(m.Metadata)
	c.Invite = clonePtr(m.Invite)
	return c
}

// status is the membership's status as of now.
func (m *Membership) status(now time.Time) MembershipStatus {
	if m.Status == MembershipPendingInvite && m.Invite != nil && !now.Before(m.Invite.ExpiresAt) {
		return MembershipInviteExpired
	}
	return m.Status
}

func (c *Connection) clone() Connection {
	out := *c
	out.Domains = slices.Clone(c.Domains)
	return out
}

func (d *Directory) clone() Directory {
	out := *d
	out.Users = make([]DirUser, len(d.Users))
	for i, u := range d.Users {
		out.Users[i] = u.clone()
	}
	out.Groups = slices.Clone(d.Groups)
	return out
}

func (u DirUser) clone() DirUser {
	u.Groups = slices.Clone(u.Groups)
	u.Roles = slices.Clone(u.Roles)
	u.Emails = slices.Clone(u.Emails)
	return u
}

func (r *Role) clone() Role {
	c := *r
	c.Permissions = slices.Clone(r.Permissions)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// cloneClaims copies custom claims all the way down: they are JSON values
// (maps, slices, strings, numbers, booleans).
func cloneClaims(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneClaims(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// cloneFixtures copies fixtures through JSON, their file format: they are
// copied once, when a tenant is made.
func cloneFixtures(fx *fixture.Fixtures) *fixture.Fixtures {
	data, err := json.Marshal(fx)
	if err != nil {
		panic("tenant: fixtures that passed validation do not marshal: " + err.Error())
	}
	var out fixture.Fixtures
	if err := json.Unmarshal(data, &out); err != nil {
		panic("tenant: fixtures do not unmarshal: " + err.Error())
	}
	return &out
}

// fingerprint identifies the fixtures a tenant was seeded from, so that a
// state file made from other fixtures can be told apart.
func fingerprint(fx *fixture.Fixtures) string {
	data, _ := json.Marshal(struct {
		O []fixture.Organization
		U []fixture.User
		R []fixture.Role
	}{fx.Organizations, fx.Users, fx.Roles})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
