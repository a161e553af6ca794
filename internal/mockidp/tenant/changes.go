package tenant

import (
	"sync"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// Change is one change to the tenant, as the event it is: its type and
// copies of what it changed, taken when it was made. Which fields are set
// depends on the type: Org for organization.*, Org and User for the
// membership and sign-up types, Org and Domain, Connection or Directory,
// Directory with DirUser or DirGroup for the directory.* types.
type Change struct {
	Type       events.Type
	Org        *Org
	User       *User
	Domain     *Domain
	Connection *Connection
	Directory  *Directory
	DirUser    *DirUser
	DirGroup   *DirGroup
}

// OrgID is the organization a change belongs to.
func (c Change) OrgID() string {
	switch {
	case c.Org != nil:
		return c.Org.ID
	case c.Domain != nil:
		return c.Domain.OrgID
	case c.Connection != nil:
		return c.Connection.OrgID
	case c.Directory != nil:
		return c.Directory.OrgID
	}
	return ""
}

// OnChange sets the function told of every change, in the order the
// changes were made, before the method that made it returns. It is
// called outside the tenant's lock, one change at a time, so it may read
// the tenant; it must not change it.
func (t *Tenant) OnChange(f func(Change)) {
	t.pub.mu.Lock()
	defer t.pub.mu.Unlock()
	t.pub.f = f
}

// publisher hands changes to OnChange's function in the order they were
// made, outside the tenant's lock: each batch of changes gets a ticket
// under the write lock, and batches are published in ticket order.
type publisher struct {
	mu      sync.Mutex
	turn    sync.Cond // signalled when next moves
	f       func(Change)
	tickets uint64 // the next ticket to give out; under Tenant.mu
	next    uint64 // the ticket whose turn it is
}

// emit records a change to publish when the write lock is released. The
// caller holds the write lock and passes copies.
func (t *Tenant) emit(c Change) { t.pending = append(t.pending, c) }

// unlock releases the write lock and publishes the changes made under
// it. Every writer releases the lock this way (deferred, so a panic
// releases it too).
func (t *Tenant) unlock() {
	batch := t.pending
	t.pending = nil
	var ticket uint64
	if len(batch) > 0 {
		ticket = t.pub.tickets
		t.pub.tickets++
	}
	t.mu.Unlock()
	if len(batch) > 0 {
		t.publish(ticket, batch)
	}
}

// publish waits for a batch's turn and hands its changes to OnChange's
// function; the next batch's turn comes even if that function panics.
func (t *Tenant) publish(ticket uint64, batch []Change) {
	p := &t.pub
	p.mu.Lock()
	if p.turn.L == nil {
		p.turn.L = &p.mu
	}
	for p.next != ticket {
		p.turn.Wait()
	}
	f := p.f
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.next++
		p.turn.Broadcast()
		p.mu.Unlock()
	}()
	if f == nil {
		return
	}
	for _, c := range batch {
		f(c)
	}
}

// orgCopy is a copy of an organization for a change; nil when it is gone.
// The caller holds the lock.
func (t *Tenant) orgCopy(id string) *Org {
	o := t.orgs[id]
	if o == nil {
		return nil
	}
	c := o.clone()
	return &c
}

// memberChange is a change of a user's membership of an organization:
// data {organization, user}. The caller holds the lock.
func (t *Tenant) memberChange(typ events.Type, orgID string, u *User) {
	t.emit(Change{Type: typ, Org: t.orgCopy(orgID), User: t.userCopy(u)})
}

// userCopy is a copy of a user for a change. The caller holds the lock.
func (t *Tenant) userCopy(u *User) *User {
	c := u.clone(t.now())
	return &c
}
