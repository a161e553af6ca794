package mockidp_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	directoriespb "github.com/skctl/skctl/internal/scalekitpb/directories"
)

// The SCIM endpoint of the default fixtures' directory, driven as an IdP
// drives it, with RFC 7644's own requests as the data (no SCIM client
// package is at hand to be the independent check), and the management
// API and the event log as what the app sees.

const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// rfcBabs is RFC 7644 §3.3's create request.
func rfcBabs() map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   "bjensen",
		"externalId": "bjensen",
		"name":       map[string]any{"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
	}
}

func filterQuery(f string) string { return "?filter=" + url.QueryEscape(f) }

// TestSCIMUserLifecycle: RFC 7644's create (§3.3), filter (§3.4.2.2) and
// PATCH (§3.5.2) of a user, then Okta's and Azure AD's PATCH shapes and a
// DELETE; each change is listed by ListDirectoryUsers and logged as
// organization.directory.user_* with the user's data.
func TestSCIMUserLifecycle(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)

	a := idp.do(http.MethodPost, "/Users", rfcBabs())
	if a.status != http.StatusCreated {
		t.Fatalf("POST /Users: %d %s", a.status, a.raw)
	}
	id, _ := a.body["id"].(string)
	meta, _ := a.body["meta"].(map[string]any)
	loc := env.URL + "/api/v1/directories/" + acmeDir + "/scim/v2/Users/" + id
	if !strings.HasPrefix(id, "diruser_") || a.header.Get("Location") != loc || meta["location"] != loc || meta["resourceType"] != "User" {
		t.Errorf("created: id %q, Location %q, meta %v; want a diruser_ id at %s", id, a.header.Get("Location"), meta, loc)
	}
	if name, _ := a.body["name"].(map[string]any); a.body["userName"] != "bjensen" || name["formatted"] != "Ms. Barbara J Jensen III" {
		t.Errorf("the created user does not echo what was sent: %s", a.raw)
	}

	// §3.4.2.2: the filter an IdP sends before it creates.
	for _, f := range []string{`userName eq "bjensen"`, `userName eq "BJensen"`, `externalId eq "bjensen"`, `name.familyName co "ens"`} {
		list := idp.must(http.StatusOK, http.MethodGet, "/Users"+filterQuery(f), nil)
		if rs := resources(t, list); list["totalResults"] != 1.0 || len(rs) != 1 || rs[0]["id"] != id {
			t.Errorf("filter %s: %v", f, list)
		}
	}
	if list := idp.must(http.StatusOK, http.MethodGet, "/Users"+filterQuery(`userName eq "nobody"`), nil); list["totalResults"] != 0.0 || len(resources(t, list)) != 0 {
		t.Errorf("a filter that matches no one: %v", list)
	}

	// A second bjensen is a conflict, and changes nothing.
	before := len(dirEvents(t, env))
	dup := rfcBabs()
	dup["userName"] = "BJENSEN"
	idp.wantError(idp.do(http.MethodPost, "/Users", dup), http.StatusConflict, "uniqueness", "a second bjensen")
	if n := len(dirEvents(t, env)); n != before {
		t.Errorf("the refused create logged %d events", n-before)
	}

	// §3.5.2.1 and §3.5.2.3: add emails and a nickname, replace them.
	idp.must(http.StatusOK, http.MethodPatch, "/Users/"+id, map[string]any{"schemas": []string{patchOp}, "Operations": []any{
		map[string]any{"op": "add", "value": map[string]any{"emails": []any{map[string]any{"value": "babs@jensen.org", "type": "home"}}, "nickname": "Babs"}}}})
	got := idp.must(http.StatusOK, http.MethodPatch, "/Users/"+id, map[string]any{"schemas": []string{patchOp}, "Operations": []any{
		map[string]any{"op": "replace", "value": map[string]any{"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"}}, "nickname": "Babs"}}}})
	if got["nickName"] != "Babs" || len(got["emails"].([]any)) != 2 {
		t.Errorf("after the RFC's add and replace: %v", got)
	}
	// Okta deactivates with a value object; Azure AD renames with paths.
	idp.must(http.StatusOK, http.MethodPatch, "/Users/"+id, map[string]any{"schemas": []string{patchOp}, "Operations": []any{
		map[string]any{"op": "replace", "value": map[string]any{"active": false}}}})
	got = idp.must(http.StatusOK, http.MethodPatch, "/Users/"+id, `{"schemas":["`+patchOp+`"],"Operations":[
		{"op":"Replace","path":"name.givenName","value":"Babs"},
		{"op":"Add","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]}`)
	if got["active"] != false || got["name"].(map[string]any)["givenName"] != "Babs" {
		t.Errorf("after Okta's and Azure AD's PATCH: %v", got)
	}

	// The management API lists what was pushed.
	c := newMgAPI(t, env)
	r, err := c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{
		OrganizationId: acmeOrg, DirectoryId: acmeDir, PageSize: 100, IncludeDetail: new(true)}))
	listed := mgMust(t, "ListDirectoryUsers", r, err)
	var babs *directoriespb.DirectoryUser
	for _, u := range listed.GetUsers() {
		if u.GetId() == id {
			babs = u
		}
	}
	if babs == nil || babs.GetEmail() != "babs@example.com" || babs.GetPreferredUsername() != "bjensen" || babs.GetGivenName() != "Babs" ||
		babs.GetFamilyName() != "Jensen" || !slices.Equal(babs.GetEmails(), []string{"babs@example.com", "babs@jensen.org"}) ||
		babs.GetUserDetail().GetFields()["nickName"].GetStringValue() != "Babs" {
		t.Fatalf("ListDirectoryUsers shows %v, want bjensen as pushed (of %d users)", babs, len(listed.GetUsers()))
	}

	idp.must(http.StatusNoContent, http.MethodDelete, "/Users/"+id, nil)
	idp.wantError(idp.do(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "", "the deleted user")

	es := dirEvents(t, env)
	want := []events.Type{events.DirUserCreated, events.DirUserUpdated, events.DirUserUpdated, events.DirUserUpdated, events.DirUserUpdated, events.DirUserDeleted}
	if !slices.Equal(eventTypes(es), want) {
		t.Fatalf("events %v, want %v", eventTypes(es), want)
	}
	created, deactivated, last, deleted := es[0].data, es[3].data, es[4].data, es[5].data
	if es[0].org != acmeOrg || created["id"] != id || created["dp_id"] != "bjensen" || created["preferred_username"] != "bjensen" ||
		created["name"] != "Ms. Barbara J Jensen III" || created["active"] != true || created["organization_id"] != acmeOrg {
		t.Errorf("user_created data %v", created)
	}
	if raw, _ := created["raw_attributes"].(map[string]any); raw["userName"] != "bjensen" {
		t.Errorf("user_created raw_attributes %v, want what the IdP sent", created["raw_attributes"])
	}
	if deactivated["active"] != false {
		t.Errorf("Okta's deactivation: user_updated active %v", deactivated["active"])
	}
	if last["email"] != "babs@example.com" || last["given_name"] != "Babs" {
		t.Errorf("the last user_updated: %v", last)
	}
	if deleted["id"] != id || deleted["email"] != "babs@example.com" || deleted["dp_id"] != "bjensen" || deleted["active"] != nil {
		t.Errorf("user_deleted data %v: want the ids and email alone", deleted)
	}
	if n := env.Requests()["scim.requests"]; n < 10 {
		t.Errorf("scim.requests counted %d", n)
	}
}

// TestSCIMGroupMembership: RFC 7644 §3.5.2's member PATCHes and Azure
// AD's remove by value, seen through ListDirectoryGroups, the users'
// groups and the events: group_updated, and user_updated for each user
// who joined or left, with the group in their data.
func TestSCIMGroupMembership(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	babs := idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())["id"].(string)
	james := idp.must(http.StatusCreated, http.MethodPost, "/Users", map[string]any{"userName": "jsmith@example.com"})["id"].(string)

	g := idp.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Tour Guides", "externalId": "tg-1"})
	gid := g["id"].(string)
	if !strings.HasPrefix(gid, "dirgroup_") || len(g["members"].([]any)) != 0 {
		t.Fatalf("created group %v", g)
	}
	member := func(id string) map[string]any { return map[string]any{"value": id} }
	ops := func(o ...any) map[string]any { return map[string]any{"schemas": []string{patchOp}, "Operations": o} }
	idp.must(http.StatusOK, http.MethodPatch, "/Groups/"+gid, ops(map[string]any{"op": "add", "path": "members",
		"value": []any{map[string]any{"display": "Babs Jensen", "$ref": env.URL + "/Users/" + babs, "value": babs}}}))
	idp.must(http.StatusOK, http.MethodPatch, "/Groups/"+gid, ops(map[string]any{"op": "replace", "path": "members", "value": []any{member(babs), member(james)}}))
	got := idp.must(http.StatusOK, http.MethodPatch, "/Groups/"+gid, ops(map[string]any{"op": "remove", "path": `members[value eq "` + babs + `"]`}))
	if ms := got["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != james || ms[0].(map[string]any)["display"] != "jsmith@example.com" {
		t.Errorf("members after removing Babs: %v", ms)
	}
	idp.must(http.StatusOK, http.MethodPatch, "/Groups/"+gid, ops(
		map[string]any{"op": "Add", "path": "members", "value": []any{member(babs)}},
		map[string]any{"op": "Remove", "path": "members", "value": []any{member(james)}})) // Azure AD
	// A member who is no user of the directory is refused, and nothing changes.
	idp.wantError(idp.do(http.MethodPatch, "/Groups/"+gid, ops(map[string]any{"op": "add", "path": "members", "value": []any{member("diruser_nobody")}})),
		http.StatusBadRequest, "invalidValue", "a member who is no user")

	if u := idp.must(http.StatusOK, http.MethodGet, "/Users/"+babs, nil); len(u["groups"].([]any)) != 1 || u["groups"].([]any)[0].(map[string]any)["display"] != "Tour Guides" {
		t.Errorf("Babs's groups %v", u["groups"])
	}
	if g := idp.must(http.StatusOK, http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", nil); g["members"] != nil || g["displayName"] != "Tour Guides" {
		t.Errorf("excludedAttributes=members: %v", g)
	}
	if list := idp.must(http.StatusOK, http.MethodGet, "/Groups"+filterQuery(`displayName eq "tour guides"`), nil); list["totalResults"] != 1.0 {
		t.Errorf("the group by its displayName: %v", list)
	}

	c := newMgAPI(t, env)
	r, err := c.dirs.ListDirectoryGroups(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryGroupsRequest{OrganizationId: acmeOrg, DirectoryId: acmeDir}))
	groups := mgMust(t, "ListDirectoryGroups", r, err)
	i := slices.IndexFunc(groups.GetGroups(), func(g *directoriespb.DirectoryGroup) bool { return g.GetId() == gid })
	if i < 0 || groups.GetGroups()[i].GetDisplayName() != "Tour Guides" || groups.GetGroups()[i].GetTotalUsers() != 1 {
		t.Fatalf("ListDirectoryGroups: %v, want Tour Guides with one user", groups.GetGroups())
	}
	ur, err := c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{
		OrganizationId: acmeOrg, DirectoryId: acmeDir, DirectoryGroupId: &gid}))
	inGroup := mgMust(t, "ListDirectoryUsers directory_group_id", ur, err)
	if len(inGroup.GetUsers()) != 1 || inGroup.GetUsers()[0].GetId() != babs || inGroup.GetUsers()[0].GetGroups()[0].GetDisplayName() != "Tour Guides" {
		t.Errorf("the group's users: %v, want Babs", inGroup.GetUsers())
	}

	idp.must(http.StatusNoContent, http.MethodDelete, "/Groups/"+gid, nil)
	es := dirEvents(t, env)[2:] // after the two users' creation
	U, G := events.DirUserUpdated, events.DirGroupUpdated
	want := []events.Type{events.DirGroupCreated, G, U, G, U, G, U, G, U, U, events.DirGroupDeleted, U}
	if !slices.Equal(eventTypes(es), want) {
		t.Fatalf("events %v\nwant %v", eventTypes(es), want)
	}
	if d := es[0].data; d["id"] != gid || d["display_name"] != "Tour Guides" || d["external_id"] != "tg-1" || d["directory_id"] != acmeDir || es[0].org != acmeOrg {
		t.Errorf("group_created data %v", d)
	}
	joined := es[2].data
	if gs, _ := joined["groups"].([]any); joined["id"] != babs || len(gs) != 1 || gs[0].(map[string]any)["name"] != "Tour Guides" {
		t.Errorf("Babs joining: user_updated %v, want the group in her groups", joined)
	}
	if d := es[10].data; d["dp_id"] != "tg-1" {
		t.Errorf("group_deleted data %v", d)
	}
	if gs, _ := es[11].data["groups"].([]any); es[11].data["id"] != babs || len(gs) != 0 {
		t.Errorf("Babs leaving the deleted group: %v", es[11].data)
	}
}

// TestSCIMAuth: no token, a wrong one, another directory's and a directory
// without one are 401 with an RFC 7644 error, and change nothing.
func TestSCIMAuth(t *testing.T) {
	t.Parallel()
	fx := scimFixtures(t, `
organizations:
  - name: Initech
    directories:
      - {id: dir_10000000000000001, token: initech_scim_token_0001}
      - {id: dir_10000000000000002, token: initech_scim_token_0002}
      - {id: dir_10000000000000003}
apps: [{client_id: skc_1, client_secret: s}]
`)
	env := startEnv(t, mockidp.Options{Fixtures: fx})
	for name, c := range map[string]*scimIdP{
		"no token":                   newSCIM(t, env, "dir_10000000000000001", ""),
		"a wrong token":              newSCIM(t, env, "dir_10000000000000001", "initech_scim_token_0009"),
		"another directory's token":  newSCIM(t, env, "dir_10000000000000001", "initech_scim_token_0002"),
		"a directory without token":  newSCIM(t, env, "dir_10000000000000003", ""),
		"no such directory":          newSCIM(t, env, "dir_19999999999999999", "initech_scim_token_0001"),
		"a token one character long": newSCIM(t, env, "dir_10000000000000001", "initech_scim_token_000"),
	} {
		a := c.do(http.MethodPost, "/Users", rfcBabs())
		c.wantError(a, http.StatusUnauthorized, "", name)
		if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, a.header.Get("WWW-Authenticate"))
		}
	}
	if es := dirEvents(t, env); len(es) != 0 {
		t.Errorf("refused pushes logged %v", eventTypes(es))
	}
	ok := newSCIM(t, env, "dir_10000000000000001", "initech_scim_token_0001")
	if list := ok.must(http.StatusOK, http.MethodGet, "/Users", nil); list["totalResults"] != 0.0 {
		t.Errorf("after the refused pushes the directory has %v users", list["totalResults"])
	}
	ok.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())
	// The other directory's token does not see it.
	if list := newSCIM(t, env, "dir_10000000000000002", "initech_scim_token_0002").must(http.StatusOK, http.MethodGet, "/Users", nil); list["totalResults"] != 0.0 {
		t.Errorf("directory 2 lists directory 1's user: %v", list)
	}
}

// TestSCIMBadInput: a client's mistakes are 4xx with the RFC's scimType
// and a detail, never a 500; none changes the directory.
func TestSCIMBadInput(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	id := idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())["id"].(string)
	before := len(dirEvents(t, env))
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		scimType     string
	}{
		{"GET", "/Users" + filterQuery(`userName xx "bjensen"`), nil, 400, "invalidFilter"},
		{"GET", "/Users" + filterQuery(`userName eq`), nil, 400, "invalidFilter"},
		{"GET", "/Groups" + filterQuery(`((displayName eq "x"`), nil, 400, "invalidFilter"},
		{"GET", "/Users" + filterQuery(strings.Repeat(`a eq "x" or `, 200)+`b pr`), nil, 400, "invalidFilter"},
		{"GET", "/Users?startIndex=first", nil, 400, "invalidValue"},
		{"GET", "/Users?count=many", nil, 400, "invalidValue"},
		{"POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
		{"POST", "/Users", `[{"userName":"x"}]`, 400, "invalidSyntax"},
		{"POST", "/Users", `null`, 400, "invalidSyntax"},
		{"POST", "/Users", map[string]any{"name": map[string]any{"givenName": "No"}}, 400, "invalidValue"},
		{"POST", "/Users", map[string]any{"userName": 7}, 400, "invalidValue"},
		{"POST", "/Users", map[string]any{"userName": "x", "active": "maybe"}, 400, "invalidValue"},
		{"POST", "/Users", map[string]any{"userName": "x", "emails": "x@y.z"}, 400, "invalidValue"},
		{"POST", "/Users", `{"userName":"x","pad":"` + strings.Repeat("a", 1<<20) + `"}`, 413, ""},
		{"POST", "/Users", `{"userName":"x","pad":"` + strings.Repeat("a", 70<<10) + `"}`, 400, "invalidValue"},
		{"POST", "/Groups", map[string]any{"members": []any{}}, 400, "invalidValue"},
		{"POST", "/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"value": "diruser_nobody"}}}, 400, "invalidValue"},
		{"POST", "/Groups", map[string]any{"displayName": "Engineering"}, 409, "uniqueness"},
		{"PATCH", "/Users/" + id, map[string]any{"Operations": []any{}}, 400, "invalidSyntax"},
		{"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "groups", "value": []any{}}}}, 400, "mutability"},
		{"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "id", "value": "mine"}}}, 400, "mutability"},
		{"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "emails[type eq", "value": "x"}}}, 400, "invalidPath"},
		{"PATCH", "/Users/" + id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": "ada@acme.test"}}}, 409, "uniqueness"},
		{"PATCH", "/Users/diruser_nobody", map[string]any{"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}, 404, ""},
		{"PUT", "/Users/" + id, map[string]any{"displayName": "No userName"}, 400, "invalidValue"},
		{"DELETE", "/Groups/dirgroup_nobody", nil, 404, ""},
		{"DELETE", "/Users", nil, 405, ""},
		{"GET", "/Widgets", nil, 404, ""},
		{"POST", "/Bulk", map[string]any{}, 501, ""},
	} {
		what := c.method + " " + c.path
		if len(what) > 80 {
			what = what[:80]
		}
		idp.wantError(idp.do(c.method, c.path, c.body), c.status, c.scimType, what)
	}
	if n := len(dirEvents(t, env)); n != before {
		t.Errorf("refused requests logged %d events", n-before)
	}
	if u := idp.must(http.StatusOK, http.MethodGet, "/Users/"+id, nil); u["userName"] != "bjensen" || u["id"] != id {
		t.Errorf("bjensen after the refused requests: %v", u)
	}
}

// TestSCIMPaging: startIndex counts from 1 and count is a page's size
// (RFC 7644 §3.4.2.4); totalResults counts every match.
func TestSCIMPaging(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken) // the fixtures' directory has 4 users
	for _, u := range []string{"p1@acme.test", "p2@acme.test"} {
		idp.must(http.StatusCreated, http.MethodPost, "/Users", map[string]any{"userName": u})
	}
	var ids []string
	for _, r := range resources(t, idp.must(http.StatusOK, http.MethodGet, "/Users", nil)) {
		ids = append(ids, r["id"].(string))
	}
	if len(ids) != 6 {
		t.Fatalf("GET /Users: %d users, want 6", len(ids))
	}
	for q, want := range map[string][]string{
		"?startIndex=1&count=2":  ids[0:2],
		"?startIndex=5&count=10": ids[4:6],
		"?startIndex=0&count=1":  ids[0:1], // less than 1 is 1
		"?count=0":               {},
		"?startIndex=7":          {},
		"?count=-3":              {},
	} {
		list := idp.must(http.StatusOK, http.MethodGet, "/Users"+q, nil)
		var got []string
		for _, r := range resources(t, list) {
			got = append(got, r["id"].(string))
		}
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) || list["totalResults"] != 6.0 || list["itemsPerPage"] != float64(len(want)) {
			t.Errorf("%s: %v (total %v, itemsPerPage %v), want %v of 6", q, got, list["totalResults"], list["itemsPerPage"], want)
		}
	}
	// A filter the tenant's fields do not answer pages the same way.
	list := idp.must(http.StatusOK, http.MethodGet, "/Users"+filterQuery(`userName ew "@acme.test"`)+"&startIndex=2&count=3", nil)
	if rs := resources(t, list); list["totalResults"] != 6.0 || len(rs) != 3 || rs[0]["id"] != ids[1] || list["startIndex"] != 2.0 {
		t.Errorf("a general filter's page: %v", list)
	}
}

// TestSCIMDisabledDirectory: Scalekit's docs do not say that a disabled
// directory refuses its IdP's pushes, and an IdP is set up before the
// directory is enabled; the mock takes them, lists them and logs their
// events.
func TestSCIMDisabledDirectory(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	r, err := c.dirs.DisableDirectory(mgCtx(t), connect.NewRequest(&directoriespb.ToggleDirectoryRequest{OrganizationId: acmeOrg, Id: acmeDir}))
	if mgMust(t, "DisableDirectory", r, err).GetEnabled() {
		t.Fatal("the directory is still enabled")
	}
	idp := newSCIM(t, env, acmeDir, acmeToken)
	id := idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())["id"].(string)
	lr, err := c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{OrganizationId: acmeOrg, DirectoryId: acmeDir, PageSize: 100}))
	if !slices.ContainsFunc(mgMust(t, "ListDirectoryUsers", lr, err).GetUsers(), func(u *directoriespb.DirectoryUser) bool { return u.GetId() == id }) {
		t.Error("the disabled directory's pushed user is not listed")
	}
	if es := dirEvents(t, env); len(es) != 1 || es[0].typ != events.DirUserCreated {
		t.Errorf("events %v, want the user_created", eventTypes(es))
	}
}

// TestSCIMDiscovery: the discovery endpoints say what the endpoint does:
// PATCH and filters, no bulk, sort or ETags; the User schema's userName
// is unique; the User type has the enterprise extension.
func TestSCIMDiscovery(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	cfg := idp.must(http.StatusOK, http.MethodGet, "/ServiceProviderConfig", nil)
	sup := func(name string) any { return cfg[name].(map[string]any)["supported"] }
	if sup("patch") != true || sup("filter") != true || sup("bulk") != false || sup("sort") != false || sup("etag") != false {
		t.Errorf("ServiceProviderConfig %v", cfg)
	}
	var userName map[string]any
	for _, s := range resources(t, idp.must(http.StatusOK, http.MethodGet, "/Schemas", nil)) {
		if s["id"] == "urn:ietf:params:scim:schemas:core:2.0:User" {
			for _, a := range s["attributes"].([]any) {
				if a.(map[string]any)["name"] == "userName" {
					userName = a.(map[string]any)
				}
			}
		}
	}
	if userName["uniqueness"] != "server" || userName["required"] != true {
		t.Errorf("the User schema's userName %v", userName)
	}
	idp.must(http.StatusOK, http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", nil)
	rt := idp.must(http.StatusOK, http.MethodGet, "/ResourceTypes/User", nil)
	if ext, _ := rt["schemaExtensions"].([]any); rt["endpoint"] != "/Users" || len(ext) != 1 {
		t.Errorf("ResourceTypes/User %v", rt)
	}
}
