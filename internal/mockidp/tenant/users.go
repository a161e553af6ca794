package tenant

import (
	"net/mail"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// CreateUserAndMembership creates the user (or uses the existing one with
// that email, if it has no membership of org yet: ConflictError{"email"}
// if it has) and a membership of org. invite: status PENDING_INVITE with
// an Invite, else ACTIVE. An existing user keeps its profile: u's other
// fields apply to a new user only.
func (t *Tenant) CreateUserAndMembership(orgID string, u User, m Membership, invite bool) (User, error) {
	email, err := normalEmail(u.Email, "user.email")
	if err != nil {
		return User{}, err
	}
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[orgID] == nil {
		return User{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	now := t.now()
	id, exists := t.userByEmail[email]
	var stored *User
	if exists {
		stored = t.users[id]
		if _, member := stored.Membership(orgID); member {
			return User{}, &ConflictError{Field: "email", Value: email}
		}
	} else {
		if _, taken := t.userByExt[u.ExternalID]; u.ExternalID != "" && taken {
			return User{}, &ConflictError{Field: "external_id", Value: u.ExternalID}
		}
		nu := u.clone(now)
		nu.ID, nu.Email, nu.Memberships = t.newID("usr_"), email, nil
		nu.CreateTime, nu.UpdateTime, nu.LastLogin = now, now, time.Time{}
		stored = &nu
	}
	mem, err := t.newMembership(orgID, m, invite, now)
	if err != nil {
		return User{}, err
	}
	if !exists {
		t.addUser(stored)
	}
	t.join(stored, mem)
	t.changed()
	t.memberChange(membershipType(invite), orgID, stored)
	return stored.clone(now), nil
}

// normalEmail lower-cases an email and checks that it is an address.
func normalEmail(email, field string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return "", &InvalidError{Field: field, Reason: "is not an email address such as you@example.com"}
	}
	return email, nil
}

// User returns the user with an ID.
func (t *Tenant) User(id string) (User, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.users[id]
	if u == nil {
		return User{}, &NotFoundError{Kind: "user", ID: id}
	}
	return u.clone(t.now()), nil
}

// UserByExternalID returns the user with an external ID.
func (t *Tenant) UserByExternalID(ext string) (User, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.users[t.userByExt[ext]]
	if u == nil || ext == "" {
		return User{}, &NotFoundError{Kind: "user", ID: ext}
	}
	return u.clone(t.now()), nil
}

// UserByEmail returns the user with an email, in any case.
func (t *Tenant) UserByEmail(email string) (User, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.users[t.userByEmail[strings.ToLower(strings.TrimSpace(email))]]
	if u == nil {
		return User{}, &NotFoundError{Kind: "user", ID: email}
	}
	return u.clone(t.now()), nil
}

// UpdateUser changes a user's profile: f edits a copy, and what it leaves
// is stored, with a new UpdateTime. The ID, memberships and times stay
// (memberships change through UpdateMembership); a new email must be an
// address no other user has, a new external ID one no other user has.
func (t *Tenant) UpdateUser(id string, f func(*User) error) (User, error) {
	t.mu.Lock()
	defer t.unlock()
	old := t.users[id]
	if old == nil {
		return User{}, &NotFoundError{Kind: "user", ID: id}
	}
	now := t.now()
	u := old.clone(now)
	if err := f(&u); err != nil {
		return User{}, err
	}
	email, err := normalEmail(u.Email, "user.email")
	if err != nil {
		return User{}, err
	}
	if other, ok := t.userByEmail[email]; ok && other != id {
		return User{}, &ConflictError{Field: "email", Value: email}
	}
	if other, ok := t.userByExt[u.ExternalID]; ok && u.ExternalID != "" && other != id {
		return User{}, &ConflictError{Field: "external_id", Value: u.ExternalID}
	}
	delete(t.userByEmail, old.Email)
	if old.ExternalID != "" {
		delete(t.userByExt, old.ExternalID)
	}
	stored := u.clone(now)
	stored.ID, stored.Email = id, email
	stored.Memberships, stored.CreateTime, stored.LastLogin = old.Memberships, old.CreateTime, old.LastLogin
	stored.UpdateTime = now
	t.users[id] = &stored
	t.userByEmail[email] = id
	if stored.ExternalID != "" {
		t.userByExt[stored.ExternalID] = id
	}
	t.changed()
	// Scalekit has no user.updated: a profile change is an update of
	// each of the user's memberships.
	for _, m := range stored.Memberships {
		t.memberChange(events.MembershipUpdated, m.OrgID, &stored)
	}
	return stored.clone(now), nil
}

// DeleteUser deletes a user with its memberships, and ends its IdP
// sessions.
func (t *Tenant) DeleteUser(id string) error {
	// The lock is released by defer in deleteUser, so a panic there cannot leave
	// the environment locked; the sessions are ended outside it.
	if err := t.deleteUser(id); err != nil {
		return err
	}
	t.removed(Removal{UserID: id})
	return nil
}

func (t *Tenant) deleteUser(id string) error {
	t.mu.Lock()
	defer t.unlock()
	u := t.users[id]
	if u == nil {
		return &NotFoundError{Kind: "user", ID: id}
	}
	for _, m := range u.Memberships {
		if ix := t.perOrg[m.OrgID]; ix != nil {
			ix.members = without(ix.members, id)
		}
		t.memberChange(events.MembershipDeleted, m.OrgID, u)
	}
	delete(t.users, id)
	delete(t.userByEmail, u.Email)
	if u.ExternalID != "" {
		delete(t.userByExt, u.ExternalID)
	}
	t.userOrder = without(t.userOrder, id)
	t.changed()
	return nil
}

// ListUsers lists the environment's users in creation order.
func (t *Tenant) ListUsers(p Page) Listed[User] {
	t.mu.RLock()
	defer t.mu.RUnlock()
	now := t.now()
	return pageOf(t.userOrder, p, func(id string) User { return t.users[id].clone(now) })
}

// ListOrgUsers lists an organization's members in the order they joined.
func (t *Tenant) ListOrgUsers(orgID string, p Page) (Listed[User], error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.orgs[orgID] == nil {
		return Listed[User]{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	now := t.now()
	return pageOf(t.perOrg[orgID].members, p, func(id string) User { return t.users[id].clone(now) }), nil
}
