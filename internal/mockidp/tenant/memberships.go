package tenant

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// CreateMembership makes a user a member of an organization: ConflictError
// if it is one already. invite: PENDING_INVITE with an Invite, else ACTIVE.
func (t *Tenant) CreateMembership(orgID, userID string, m Membership, invite bool) (User, error) {
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[orgID] == nil {
		return User{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	u := t.users[userID]
	if u == nil {
		return User{}, &NotFoundError{Kind: "user", ID: userID}
	}
	if _, member := u.Membership(orgID); member {
		return User{}, &ConflictError{Field: "organization_id", Value: orgID}
	}
	now := t.now()
	mem, err := t.newMembership(orgID, m, invite, now)
	if err != nil {
		return User{}, err
	}
	t.join(u, mem)
	t.changed()
	t.memberChange(membershipType(invite), orgID, u)
	return u.clone(now), nil
}

// membershipType is the event of a new membership: an invitation, or a
// membership at once.
func membershipType(invite bool) events.Type {
	if invite {
		return events.MembershipInvited
	}
	return events.MembershipCreated
}

// newMembership makes the membership m asks for, of orgID: its roles
// (default admin for an organization's first member, member after), which
// must exist, and its status. The caller holds the write lock.
func (t *Tenant) newMembership(orgID string, m Membership, invite bool, now time.Time) (Membership, error) {
	out := Membership{OrgID: orgID, Roles: slices.Clone(m.Roles), Permissions: slices.Clone(m.Permissions),
		Metadata: maps.Clone(m.Metadata), CreateTime: now}
	if len(out.Roles) == 0 {
		ix := t.perOrg[orgID]
		out.Roles = t.defaultRoles(ix == nil || len(ix.members) == 0)
	}
	if err := t.checkRoles(out.Roles); err != nil {
		return Membership{}, err
	}
	if invite {
		out.Status = MembershipPendingInvite
		out.Invite = &Invite{CreatedAt: now, ExpiresAt: now.Add(InviteLifetime)}
		if m.Invite != nil {
			out.Invite.InvitedBy = m.Invite.InvitedBy
		}
	} else {
		out.Status = MembershipActive
		out.AcceptTime = now
	}
	return out, nil
}

// defaultRoles are the roles of a membership that names none: admin for
// an organization's first member, member after, as a new Scalekit
// environment has it. Fixtures whose own roles lack the one that applies
// give none. The caller holds the lock.
func (t *Tenant) defaultRoles(first bool) []string {
	name := "member"
	if first {
		name = "admin"
	}
	if t.roles[name] == nil {
		return nil
	}
	return []string{name}
}

// checkRoles checks that every role named exists. The caller holds the
// lock.
func (t *Tenant) checkRoles(roles []string) error {
	for _, r := range roles {
		if t.roles[r] == nil {
			return &InvalidError{Field: "membership.roles", Reason: fmt.Sprintf("no role is named %q: use one of %v", r, t.roleOrder)}
		}
	}
	return nil
}

// join adds a membership to a user and the user to the organization's
// members. The caller holds the write lock.
func (t *Tenant) join(u *User, m Membership) {
	u.Memberships = append(u.Memberships, m)
	ix := t.index(m.OrgID)
	ix.members = append(ix.members, u.ID)
}

// UpdateMembership changes a user's membership of an organization: f
// edits a copy (roles, permissions, metadata); the organization and
// times stay, and the roles must exist.
func (t *Tenant) UpdateMembership(orgID, userID string, f func(*Membership) error) (User, error) {
	t.mu.Lock()
	defer t.unlock()
	u, i, err := t.membership(orgID, userID)
	if err != nil {
		return User{}, err
	}
	old := &u.Memberships[i]
	m := old.copy()
	if err := f(&m); err != nil {
		return User{}, err
	}
	if err := t.checkRoles(m.Roles); err != nil {
		return User{}, err
	}
	// The status changes by invitation and sign-in only.
	m.OrgID, m.CreateTime, m.AcceptTime, m.Status, m.Invite = old.OrgID, old.CreateTime, old.AcceptTime, old.Status, old.Invite
	u.Memberships[i] = m.copy()
	t.changed()
	t.memberChange(events.MembershipUpdated, orgID, u)
	return u.clone(t.now()), nil
}

// membership finds a user's membership of an organization. The caller
// holds the lock.
func (t *Tenant) membership(orgID, userID string) (*User, int, error) {
	if t.orgs[orgID] == nil {
		return nil, 0, &NotFoundError{Kind: "organization", ID: orgID}
	}
	u := t.users[userID]
	if u == nil {
		return nil, 0, &NotFoundError{Kind: "user", ID: userID}
	}
	i := slices.IndexFunc(u.Memberships, func(m Membership) bool { return m.OrgID == orgID })
	if i < 0 {
		return nil, 0, &NotFoundError{Kind: "membership", ID: orgID + "/" + userID}
	}
	return u, i, nil
}

// DeleteMembership removes a user from an organization, and ends the
// user's IdP sessions in it. The user stays.
func (t *Tenant) DeleteMembership(orgID, userID string) error {
	// The lock is released by defer in deleteMembership, so a panic there cannot leave
	// the environment locked; the sessions are ended outside it.
	if err := t.deleteMembership(orgID, userID); err != nil {
		return err
	}
	t.removed(Removal{UserID: userID, OrgID: orgID})
	return nil
}

func (t *Tenant) deleteMembership(orgID, userID string) error {
	t.mu.Lock()
	defer t.unlock()
	u, _, err := t.membership(orgID, userID)
	if err != nil {
		return err
	}
	u.Memberships = dropMembership(u.Memberships, orgID)
	ix := t.index(orgID)
	ix.members = without(ix.members, userID)
	t.changed()
	t.memberChange(events.MembershipDeleted, orgID, u)
	return nil
}

func dropMembership(ms []Membership, orgID string) []Membership {
	return slices.DeleteFunc(ms, func(m Membership) bool { return m.OrgID == orgID })
}

// ResendInvite sends a pending or expired invitation again: it expires
// InviteLifetime from now. A membership with no invitation to resend (it
// was accepted, or never was one) is a StateError.
func (t *Tenant) ResendInvite(orgID, userID string) (Membership, error) {
	t.mu.Lock()
	defer t.unlock()
	u, i, err := t.membership(orgID, userID)
	if err != nil {
		return Membership{}, err
	}
	m := &u.Memberships[i]
	now := t.now()
	if st := m.status(now); st != MembershipPendingInvite && st != MembershipInviteExpired {
		return Membership{}, &StateError{Reason: "the membership is " + string(st) + ": there is no invitation to resend"}
	}
	if m.Invite == nil {
		m.Invite = &Invite{CreatedAt: now}
	}
	m.Status = MembershipPendingInvite
	m.Invite.ResentAt = now
	m.Invite.ResentCount++
	m.Invite.ExpiresAt = now.Add(InviteLifetime)
	t.changed()
	t.memberChange(events.MembershipInvited, orgID, u)
	return m.clone(now), nil
}
