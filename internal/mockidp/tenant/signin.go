package tenant

import (
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// The sign-in flow's side of the tenant.

// SignUp makes a user for a new email signing in through the page, as
// Scalekit's sign-up does: a member of the organization whose
// ALLOWED_EMAIL_DOMAIN is the email's domain (just-in-time membership), or
// else the admin of a new organization named "<local part>'s
// organization". Two concurrent sign-ups of one email make one user: the
// second gets the first's. The email was proved by signing in, so it is
// verified.
func (t *Tenant) SignUp(email string) (User, error) {
	email, err := normalEmail(email, "email")
	if err != nil {
		return User{}, err
	}
	t.mu.Lock()
	defer t.unlock()
	now := t.now()
	if u := t.users[t.userByEmail[email]]; u != nil {
		return u.clone(now), nil
	}
	local, domain, _ := strings.Cut(email, "@")
	var org *Org
	orgID := ""
	if d := t.domains[t.domainByNm[domain]]; d != nil && d.Type == DomainAllowedEmail {
		orgID = d.OrgID
	} else {
		org = &Org{ID: t.newID("org_"), DisplayName: local + "'s organization", RegionCode: "US",
			Features: DefaultFeatures(), CreateTime: now, UpdateTime: now}
		orgID = org.ID
	}
	m, err := t.newMembership(orgID, Membership{}, false, now)
	if err != nil {
		return User{}, err
	}
	if org != nil {
		t.addOrg(org)
		t.emit(Change{Type: events.OrgCreated, Org: t.orgCopy(orgID)})
	}
	u := &User{ID: t.newID("usr_"), Email: email, EmailVerified: true, CreateTime: now, UpdateTime: now}
	t.addUser(u)
	t.join(u, m)
	t.changed()
	t.memberChange(events.UserSignup, orgID, u)
	return u.clone(now), nil
}

// JoinOrg signs up an email into an organization a sign-in was routed to:
// a new user, or an existing one who was not a member, gets an active
// membership with the default role. A member is returned as it is.
func (t *Tenant) JoinOrg(email, orgID string) (User, error) {
	email, err := normalEmail(email, "email")
	if err != nil {
		return User{}, err
	}
	t.mu.Lock()
	defer t.unlock()
	if t.orgs[orgID] == nil {
		return User{}, &NotFoundError{Kind: "organization", ID: orgID}
	}
	now := t.now()
	u := t.users[t.userByEmail[email]]
	if u != nil {
		if _, member := u.Membership(orgID); member {
			return u.clone(now), nil
		}
	}
	m, err := t.newMembership(orgID, Membership{}, false, now)
	if err != nil {
		return User{}, err
	}
	signup := u == nil
	if signup {
		u = &User{ID: t.newID("usr_"), Email: email, EmailVerified: true, CreateTime: now, UpdateTime: now}
		t.addUser(u)
	}
	t.join(u, m)
	t.changed()
	if signup {
		t.memberChange(events.UserSignup, orgID, u)
	} else {
		t.memberChange(events.MembershipCreated, orgID, u)
	}
	return u.clone(now), nil
}

// SignedIn records a sign-in of userID into orgID: LastLogin = now, and a
// PENDING_INVITE membership of that org turns ACTIVE (AcceptTime = now):
// signing in accepts the invitation. An expired invitation stays expired.
func (t *Tenant) SignedIn(userID, orgID string) {
	t.mu.Lock()
	defer t.unlock()
	u := t.users[userID]
	if u == nil {
		return
	}
	now := t.now()
	u.LastLogin = now
	t.touched()
	for i := range u.Memberships {
		if m := &u.Memberships[i]; m.OrgID == orgID && m.status(now) == MembershipPendingInvite {
			m.Status, m.AcceptTime, m.Invite = MembershipActive, now, nil
			t.changed()
			t.memberChange(events.MembershipUpdated, orgID, u)
		}
	}
}

// Permissions is the union of a membership's explicit permissions and its
// roles' permissions, sorted, deduplicated: what tokens carry.
func (t *Tenant) Permissions(m Membership) []string {
	t.mu.RLock()
	out := slices.Clone(m.Permissions)
	for _, name := range m.Roles {
		if r := t.roles[name]; r != nil {
			out = append(out, r.Permissions...)
		}
	}
	t.mu.RUnlock()
	slices.Sort(out)
	return slices.Compact(out)
}

// Role returns the role with a name.
func (t *Tenant) Role(name string) (Role, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.roles[name]
	if r == nil {
		return Role{}, false
	}
	return r.clone(), true
}

// Roles lists the environment's roles in the fixtures' order.
func (t *Tenant) Roles() []Role {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Role, 0, len(t.roleOrder))
	for _, name := range t.roleOrder {
		out = append(out, t.roles[name].clone())
	}
	return out
}
