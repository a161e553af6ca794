package scim

import (
	"net/http"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The /Users and /Groups resources: create, read, replace, patch and
// delete, each a tenant change.

// userResource is a user as GET answers it: the document the IdP wrote,
// with the service provider's id, meta and groups.
func (q *request) userResource(k *kind, u tenant.DirUser, groupNames map[string]string) doc {
	d := userDoc(u)
	d["id"] = u.ID
	d["meta"] = meta("User", q.location(k, u.ID), u.CreateTime, u.UpdateTime)
	if len(u.Groups) > 0 {
		groups := make([]any, 0, len(u.Groups))
		for _, g := range u.Groups {
			groups = append(groups, doc{"value": g, "display": groupNames[g], "$ref": q.location(groupKind(), g), "type": "direct"})
		}
		d["groups"] = groups
	}
	return d
}

// groupResource is a group as GET answers it, with its members when
// withMembers.
func (q *request) groupResource(k *kind, g tenant.DirGroup, members map[string][]tenant.DirMember, withMembers bool) doc {
	d := groupDoc(g)
	d["id"] = g.ID
	d["meta"] = meta("Group", q.location(k, g.ID), g.CreateTime, g.UpdateTime)
	if withMembers {
		ms := make([]any, 0, len(members[g.ID]))
		for _, m := range members[g.ID] {
			ms = append(ms, doc{"value": m.ID, "display": m.UserName, "type": "User", "$ref": q.location(userKind(), m.ID)})
		}
		d["members"] = ms
	}
	return d
}

// readUser answers one user.
func (q *request) readUser(k *kind, id string, status int) {
	page, err := q.h.Tenant.FindDirUsers(q.dirID, func(u *tenant.DirUser) bool { return u.ID == id }, 0, 1)
	if err == nil && page.Total == 0 {
		err = &tenant.NotFoundError{Kind: "user", ID: id}
	}
	if err != nil {
		q.fail(k, err)
		return
	}
	attributes, excluded := q.projection()
	if status == http.StatusCreated {
		q.w.Header().Set("Location", q.location(k, id))
	}
	writeJSON(q.w, status, project(q.userResource(k, page.Items[0], page.GroupNames), attributes, excluded))
}

// readGroup answers one group.
func (q *request) readGroup(k *kind, id string, status int) {
	attributes, excluded := q.projection()
	withMembers := wanted("members", attributes, excluded)
	page, err := q.h.Tenant.FindDirGroups(q.dirID, func(g *tenant.DirGroup) bool { return g.ID == id }, 0, 1, withMembers)
	if err == nil && page.Total == 0 {
		err = &tenant.NotFoundError{Kind: "group", ID: id}
	}
	if err != nil {
		q.fail(k, err)
		return
	}
	if status == http.StatusCreated {
		q.w.Header().Set("Location", q.location(k, id))
	}
	writeJSON(q.w, status, project(q.groupResource(k, page.Items[0], page.Members, withMembers), attributes, excluded))
}

func (q *request) read(k *kind, id string) {
	if k.name == "User" {
		q.readUser(k, id, http.StatusOK)
		return
	}
	q.readGroup(k, id, http.StatusOK)
}

// written reads a POST's or PUT's document, normalized.
func (q *request) written(k *kind) (doc, *Error) {
	var d doc
	if err := q.body(&d); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, badRequest(invalidSyntax, "the body is null: send the %s as a JSON object", k.name)
	}
	if err := normalize(k, d); err != nil {
		return nil, err
	}
	return d, nil
}

// create serves POST /Users and POST /Groups.
func (q *request) create(k *kind) {
	d, serr := q.written(k)
	if serr != nil {
		writeError(q.w, serr)
		return
	}
	if k.name == "User" {
		u, serr := userOf(d)
		if serr != nil {
			writeError(q.w, serr)
			return
		}
		u.SCIM = encode(d)
		made, err := q.h.Tenant.CreateDirUser(q.dirID, u)
		if err != nil {
			q.fail(k, err)
			return
		}
		if q.saved() {
			q.readUser(k, made.ID, http.StatusCreated)
		}
		return
	}
	g, members, serr := groupOf(d)
	if serr != nil {
		writeError(q.w, serr)
		return
	}
	g.SCIM = encode(d)
	made, err := q.h.Tenant.CreateDirGroup(q.dirID, g, members)
	if err != nil {
		q.fail(k, err)
		return
	}
	if q.saved() {
		q.readGroup(k, made.ID, http.StatusCreated)
	}
}

// replace serves PUT: the document replaces the resource's (RFC 7644
// §3.5.1); a user keeps its groups and the roles the fixtures gave it, a
// group's members are the document's. The document is read into the
// tenant's records before the write lock is taken: under it only the
// records are stored.
func (q *request) replace(k *kind, id string) {
	d, serr := q.written(k)
	if serr != nil {
		writeError(q.w, serr)
		return
	}
	var err error
	if k.name == "User" {
		n, serr := userOf(d)
		if serr != nil {
			writeError(q.w, serr)
			return
		}
		n.SCIM = encode(d)
		_, err = q.h.Tenant.UpdateDirUser(q.dirID, id, func(u *tenant.DirUser) error {
			n.Roles = u.Roles
			*u = n
			return nil
		})
	} else {
		n, members, serr := groupOf(d)
		if serr != nil {
			writeError(q.w, serr)
			return
		}
		n.SCIM = encode(d)
		_, err = q.h.Tenant.UpdateDirGroup(q.dirID, id, func(g *tenant.DirGroup, _ []string) ([]string, error) {
			*g = n
			return members, nil
		})
	}
	q.answerUpdate(k, id, err)
}

// patch serves PATCH (RFC 7644 §3.5.2): the operations are applied to the
// resource's document, which is then read as a PUT's would be, outside
// the tenant's write lock (patchstore.go).
func (q *request) patch(k *kind, id string) {
	var req patchRequest
	if serr := q.body(&req); serr != nil {
		writeError(q.w, serr)
		return
	}
	var err error
	if k.name == "User" {
		var p *userPatch
		if p, err = prepareUserPatch(q.h.Tenant, q.dirID, id, k, req); err == nil {
			err = p.store(q.h.Tenant, q.dirID)
		}
	} else {
		var p *groupPatch
		if p, err = prepareGroupPatch(q.h.Tenant, q.dirID, id, k, req); err == nil {
			err = p.store(q.h.Tenant, q.dirID)
		}
	}
	q.answerUpdate(k, id, err)
}

// answerUpdate answers a PUT or PATCH with the resource as it is now.
func (q *request) answerUpdate(k *kind, id string, err error) {
	if err != nil {
		q.fail(k, err)
		return
	}
	if !q.saved() {
		return
	}
	q.read(k, id)
}

// delete serves DELETE: 204 and no body (RFC 7644 §3.6).
func (q *request) delete(k *kind, id string) {
	var err error
	if k.name == "User" {
		_, err = q.h.Tenant.DeleteDirUser(q.dirID, id)
	} else {
		_, err = q.h.Tenant.DeleteDirGroup(q.dirID, id)
	}
	if err != nil {
		q.fail(k, err)
		return
	}
	if q.saved() {
		q.w.WriteHeader(http.StatusNoContent)
	}
}
