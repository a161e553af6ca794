package scim

import (
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// Lists and their paging (RFC 7644 §3.4.2): startIndex counts from 1,
// count is a page's size.
const (
	defaultCount = 100
	maxCount     = 1000 // ServiceProviderConfig's filter.maxResults
)

// listArgs are a list request's query parameters.
type listArgs struct {
	filter      filter.Expression
	rawFilter   string
	start       int // 1-based
	count       int
	attributes  []string
	excluded    []string
	wantMembers bool
}

// projection is the attributes and excludedAttributes a request asks for.
func (q *request) projection() (attributes, excluded []string) {
	v := q.r.URL.Query()
	return names(v.Get("attributes")), names(v.Get("excludedAttributes"))
}

func (q *request) listArgs() (listArgs, *Error) {
	v := q.r.URL.Query()
	a := listArgs{start: 1, count: defaultCount}
	a.attributes, a.excluded = q.projection()
	if s := v.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return a, badRequest(invalidValue, "startIndex %s is not a number: it counts from 1", quoteShort(s))
		}
		a.start = max(n, 1) // less than 1 is 1 (RFC 7644 §3.4.2.4)
	}
	if s := v.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return a, badRequest(invalidValue, "count %s is not a number", quoteShort(s))
		}
		a.count = min(max(n, 0), maxCount) // negative is 0; past the maximum, the maximum
	}
	if f := v.Get("filter"); f != "" {
		e, err := parseFilter(f)
		if err != nil {
			return a, err
		}
		a.filter, a.rawFilter = e, f
	}
	a.wantMembers = wanted("members", a.attributes, a.excluded)
	return a, nil
}

// names are the attribute names of attributes or excludedAttributes,
// comma-separated, the core schema's URN left out.
func names(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		for _, urn := range []string{UserSchema + ":", GroupSchema + ":"} {
			if len(n) > len(urn) && strings.EqualFold(n[:len(urn)], urn) {
				n = n[len(urn):]
			}
		}
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// wanted reports whether an answer holds an attribute.
func wanted(name string, attributes, excluded []string) bool {
	has := func(list []string) bool {
		for _, a := range list {
			top, _, _ := strings.Cut(a, ".")
			if strings.EqualFold(top, name) {
				return true
			}
		}
		return false
	}
	switch {
	case name == "id" || name == "schemas": // returned always (RFC 7643 §7)
		return true
	case len(attributes) > 0:
		return has(attributes)
	}
	return !has(excluded)
}

// project keeps the attributes an answer asks for (attributes,
// excludedAttributes), by their top-level names.
func project(d doc, attributes, excluded []string) doc {
	if len(attributes) == 0 && len(excluded) == 0 {
		return d
	}
	for k := range d {
		if !wanted(k, attributes, excluded) {
			delete(d, k)
		}
	}
	return d
}

// listResponse is a page of resources (RFC 7644 §3.4.2).
func listResponse(total, start int, items []any) map[string]any {
	if items == nil {
		items = []any{}
	}
	return map[string]any{"schemas": []string{listSchema}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(items), "Resources": items}
}

// list serves GET /Users and GET /Groups.
func (q *request) list(k *kind) {
	a, err := q.listArgs()
	if err != nil {
		writeError(q.w, err)
		return
	}
	var total int
	var items []any
	var lerr error
	if k.name == "User" {
		total, items, lerr = q.listUsers(k, a)
	} else {
		total, items, lerr = q.listGroups(k, a)
	}
	if lerr != nil {
		q.fail(k, lerr)
		return
	}
	writeJSON(q.w, http.StatusOK, listResponse(total, a.start, items))
}

func (q *request) listUsers(k *kind, a listArgs) (int, []any, error) {
	t := q.h.Tenant
	match, general := userMatch(k, a.filter)
	if !general {
		page, err := t.FindDirUsers(q.dirID, match, a.start-1, a.count)
		if err != nil {
			return 0, nil, err
		}
		items := make([]any, 0, len(page.Items))
		for _, u := range page.Items {
			items = append(items, project(q.userResource(k, u, page.GroupNames), a.attributes, a.excluded))
		}
		return page.Total, items, nil
	}
	// A filter the tenant's fields do not answer: every user rendered
	// and tested.
	all, err := t.FindDirUsers(q.dirID, nil, 0, -1)
	if err != nil {
		return 0, nil, err
	}
	var hits []doc
	for _, u := range all.Items {
		if d := q.userResource(k, u, all.GroupNames); matches(k, nil, a.filter, d) {
			hits = append(hits, d)
		}
	}
	return len(hits), pageOf(hits, a), nil
}

func (q *request) listGroups(k *kind, a listArgs) (int, []any, error) {
	t := q.h.Tenant
	match, general := groupMatch(k, a.filter)
	if !general {
		page, err := t.FindDirGroups(q.dirID, match, a.start-1, a.count, a.wantMembers)
		if err != nil {
			return 0, nil, err
		}
		items := make([]any, 0, len(page.Items))
		for _, g := range page.Items {
			items = append(items, project(q.groupResource(k, g, page.Members, a.wantMembers), a.attributes, a.excluded))
		}
		return page.Total, items, nil
	}
	all, err := t.FindDirGroups(q.dirID, nil, 0, -1, true)
	if err != nil {
		return 0, nil, err
	}
	var hits []doc
	for _, g := range all.Items {
		if d := q.groupResource(k, g, all.Members, true); matches(k, nil, a.filter, d) {
			hits = append(hits, d)
		}
	}
	return len(hits), pageOf(hits, a), nil
}

// pageOf cuts a list request's page out of rendered resources.
func pageOf(hits []doc, a listArgs) []any {
	lo := min(a.start-1, len(hits))
	hi := min(lo+a.count, len(hits))
	out := make([]any, 0, hi-lo)
	for _, d := range hits[lo:hi] {
		out = append(out, project(d, a.attributes, a.excluded))
	}
	return out
}

// userMatch is the tenant's test of a filter the users' fields answer;
// general is true when the filter needs every user rendered.
func userMatch(k *kind, e filter.Expression) (match func(*tenant.DirUser) bool, general bool) {
	if e == nil {
		return nil, false
	}
	attribute, v, ok := fastKey(k, e)
	if !ok {
		return nil, true
	}
	switch attribute {
	case "id":
		return func(u *tenant.DirUser) bool { return u.ID == v }, false
	case "externalId":
		return func(u *tenant.DirUser) bool { return u.ExternalID == v }, false
	case "userName":
		return func(u *tenant.DirUser) bool { return strings.EqualFold(u.UserName(), v) }, false
	}
	return nil, true
}

// groupMatch is userMatch for groups.
func groupMatch(k *kind, e filter.Expression) (match func(*tenant.DirGroup) bool, general bool) {
	if e == nil {
		return nil, false
	}
	attribute, v, ok := fastKey(k, e)
	if !ok {
		return nil, true
	}
	switch attribute {
	case "id":
		return func(g *tenant.DirGroup) bool { return g.ID == v }, false
	case "externalId":
		return func(g *tenant.DirGroup) bool { return g.ExternalID == v }, false
	case "displayName":
		return func(g *tenant.DirGroup) bool { return strings.EqualFold(g.DisplayName, v) }, false
	}
	return nil, true
}
