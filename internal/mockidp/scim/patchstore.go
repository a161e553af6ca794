package scim

import (
	"reflect"
	"slices"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// A PATCH applied outside the tenant's write lock. The write lock holds
// up every sign-in, API call and SCIM request of the environment, so the
// work of a PATCH (up to maxOps operations of up to maxValues values
// each, on a group of thousands) is done before it is taken: on a copy
// of the resource read under the read lock (prepare). Under the write
// lock, store only checks that the resource is still what was read
// (linear in its members) and keeps the result. When another request
// changed it in between, store applies the patch again there, to what is
// now, so that the outcome is the one of a PATCH that held the lock
// throughout. That second pass is rare (two writers of one group at
// once) and linear too: a map look-up a value, one walk of the group an
// operation.

// userPatch is a PATCH applied to a user as it was read.
type userPatch struct {
	k    *kind
	req  patchRequest
	read tenant.DirUser
	made tenant.DirUser
	// again is set when store applied the patch again, under the lock:
	// the user had changed since it was read.
	again bool
}

// prepareUserPatch reads a user and applies a PATCH to a copy of it. An
// error is the request's (a *Error) or the tenant's (not found).
func prepareUserPatch(t *tenant.Tenant, dirID, id string, k *kind, req patchRequest) (*userPatch, error) {
	page, err := t.FindDirUsers(dirID, func(u *tenant.DirUser) bool { return u.ID == id }, 0, 1)
	if err != nil {
		return nil, err
	}
	if page.Total == 0 {
		return nil, &tenant.NotFoundError{Kind: "user", ID: id}
	}
	p := &userPatch{k: k, req: req, read: page.Items[0]}
	made, serr := patchedUser(k, p.read, req)
	if serr != nil {
		return nil, serr
	}
	p.made = made
	return p, nil
}

// store keeps the patched user.
func (p *userPatch) store(t *tenant.Tenant, dirID string) error {
	_, err := t.UpdateDirUser(dirID, p.read.ID, func(u *tenant.DirUser) error {
		made := p.made
		if !reflect.DeepEqual(*u, p.read) {
			p.again = true
			var serr *Error
			if made, serr = patchedUser(p.k, *u, p.req); serr != nil {
				return serr
			}
		}
		*u = made
		return nil
	})
	return err
}

// patchedUser is u with a PATCH applied.
func patchedUser(k *kind, u tenant.DirUser, req patchRequest) (tenant.DirUser, *Error) {
	d := userDoc(u)
	d["id"] = u.ID // for a replace that repeats it; normalize drops it
	if serr := applyPatch(k, d, req); serr != nil {
		return tenant.DirUser{}, serr
	}
	if serr := normalize(k, d); serr != nil {
		return tenant.DirUser{}, serr
	}
	n, serr := userOf(d)
	if serr != nil {
		return tenant.DirUser{}, serr
	}
	n.SCIM, n.Roles = encode(d), slices.Clone(u.Roles)
	return n, nil
}

// groupPatch is a PATCH applied to a group and its members as they were
// read.
type groupPatch struct {
	k           *kind
	req         patchRequest
	read        tenant.DirGroup
	readMembers []string // in the directory's order of users, as the tenant lists them
	made        tenant.DirGroup
	after       []string
	again       bool // as userPatch's
}

// prepareGroupPatch reads a group with its members and applies a PATCH
// to a copy of them.
func prepareGroupPatch(t *tenant.Tenant, dirID, id string, k *kind, req patchRequest) (*groupPatch, error) {
	page, err := t.FindDirGroups(dirID, func(g *tenant.DirGroup) bool { return g.ID == id }, 0, 1, true)
	if err != nil {
		return nil, err
	}
	if page.Total == 0 {
		return nil, &tenant.NotFoundError{Kind: "group", ID: id}
	}
	p := &groupPatch{k: k, req: req, read: page.Items[0], readMembers: make([]string, 0, len(page.Members[id]))}
	for _, m := range page.Members[id] {
		p.readMembers = append(p.readMembers, m.ID)
	}
	made, after, serr := patchedGroup(k, p.read, p.readMembers, req)
	if serr != nil {
		return nil, serr
	}
	p.made, p.after = made, after
	return p, nil
}

// store keeps the patched group and its members.
func (p *groupPatch) store(t *tenant.Tenant, dirID string) error {
	_, err := t.UpdateDirGroup(dirID, p.read.ID, func(g *tenant.DirGroup, members []string) ([]string, error) {
		made, after := p.made, p.after
		if *g != p.read || !slices.Equal(members, p.readMembers) {
			p.again = true
			var serr *Error
			if made, after, serr = patchedGroup(p.k, *g, members, p.req); serr != nil {
				return nil, serr
			}
		}
		*g = made
		return after, nil
	})
	return err
}

// patchedGroup is g with a PATCH applied, and its members after it.
func patchedGroup(k *kind, g tenant.DirGroup, members []string, req patchRequest) (tenant.DirGroup, []string, *Error) {
	d := groupDoc(g)
	refs := make([]any, 0, len(members))
	for _, m := range members {
		refs = append(refs, doc{"value": m})
	}
	d["members"], d["id"] = refs, g.ID
	if serr := applyPatch(k, d, req); serr != nil {
		return tenant.DirGroup{}, nil, serr
	}
	if serr := normalize(k, d); serr != nil {
		return tenant.DirGroup{}, nil, serr
	}
	n, after, serr := groupOf(d)
	if serr != nil {
		return tenant.DirGroup{}, nil, serr
	}
	n.SCIM = encode(d)
	return n, after, nil
}
