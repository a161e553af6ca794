package mockidp_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
)

// The SCIM endpoint with the member counts of a large directory: the cap
// of one PATCH operation, and a group of thousands filled and thinned by
// one PATCH each, as an IdP's first push and a reorganisation are.

// maxPatchValues is the most values one PATCH operation may carry
// (docs/scim.md).
const maxPatchValues = 10000

func memberRefs(ids []string) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"value": id})
	}
	return out
}

func groupMembers(t *testing.T, g map[string]any) []string {
	t.Helper()
	var out []string
	for _, m := range g["members"].([]any) {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

// TestSCIMPatchTooManyValues: an operation of more than 10,000 members is
// 400 tooMany with a detail that says to split it, before its members
// are looked at, and the PATCH changes nothing, not even the rename in
// front of it, and logs no event; 10,000 members pass the cap and are
// then checked as every member is.
func TestSCIMPatchTooManyValues(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	const eng = "dirgroup_79844505749161046" // Engineering: Ada, Grace, Ned
	before := idp.must(http.StatusOK, http.MethodGet, "/Groups/"+eng, nil)
	events0 := len(dirEvents(t, env))

	nobody := make([]string, maxPatchValues+1)
	for i := range nobody {
		nobody[i] = fmt.Sprintf("diruser_%017d", i)
	}
	ops := func(members []string) map[string]any {
		return map[string]any{"schemas": []string{patchOp}, "Operations": []any{
			map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"},
			map[string]any{"op": "add", "path": "members", "value": memberRefs(members)}}}
	}
	a := idp.do(http.MethodPatch, "/Groups/"+eng, ops(nobody))
	idp.wantError(a, http.StatusBadRequest, "tooMany", "a PATCH operation of 10,001 members")
	if d, _ := a.body["detail"].(string); !strings.Contains(d, "Operations[1]") || !strings.Contains(d, "split") {
		t.Errorf("the detail %q does not name the operation and say to split it", d)
	}
	a = idp.do(http.MethodPatch, "/Groups/"+eng, ops(nobody[:maxPatchValues]))
	idp.wantError(a, http.StatusBadRequest, "invalidValue", "a PATCH operation of 10,000 members who are no users")
	if d, _ := a.body["detail"].(string); !strings.Contains(d, "is not a user of this directory") {
		t.Errorf("10,000 members who are no users: %q, want the members' check", d)
	}

	after := idp.must(http.StatusOK, http.MethodGet, "/Groups/"+eng, nil)
	if after["displayName"] != "Engineering" || !slices.Equal(groupMembers(t, after), groupMembers(t, before)) {
		t.Errorf("Engineering after the refused PATCHes: %v %v, want %v %v", after["displayName"], groupMembers(t, after), before["displayName"], groupMembers(t, before))
	}
	if n := len(dirEvents(t, env)); n != events0 {
		t.Errorf("the refused PATCHes logged %d events", n-events0)
	}
}

// TestSCIMLargeGroup: a group of a directory of 2,500 users is filled by
// one PATCH of them all (each listed twice, as a retried batch is), and
// 1,000 leave by Azure AD's remove by value: the group lists the right
// members, and each user who joined or left is one user_updated.
func TestSCIMLargeGroup(t *testing.T) {
	t.Parallel()
	const n = 2500
	var y strings.Builder
	y.WriteString("organizations:\n  - name: Initech\n    directories:\n      - id: dir_10000000000000001\n        token: initech_scim_token_0001\n        groups: [{id: dirgroup_10000000000000001, name: Everyone}]\n        users:\n")
	for i := range n {
		fmt.Fprintf(&y, "          - {email: u%04d@initech.test}\n", i)
	}
	y.WriteString("apps: [{client_id: skc_1, client_secret: s}]\n")
	env := startEnv(t, mockidp.Options{Fixtures: scimFixtures(t, y.String())})
	idp := newSCIM(t, env, "dir_10000000000000001", "initech_scim_token_0001")
	const group = "/Groups/dirgroup_10000000000000001"

	var users []string
	for start := 1; start <= n; start += 1000 { // a page is at most 1,000
		list := idp.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=1000", start), nil)
		for _, u := range resources(t, list) {
			users = append(users, u["id"].(string))
		}
	}
	if len(users) != n {
		t.Fatalf("%d users listed, want %d", len(users), n)
	}
	patch := func(op string, ids []string) map[string]any {
		return map[string]any{"schemas": []string{patchOp}, "Operations": []any{map[string]any{"op": op, "path": "members", "value": memberRefs(ids)}}}
	}
	events0 := len(dirEvents(t, env))
	g := idp.must(http.StatusOK, http.MethodPatch, group, patch("add", append(slices.Clone(users), users...)))
	if got := groupMembers(t, g); !slices.Equal(got, users) {
		t.Fatalf("after the add: %d members, want the %d users once each, in order", len(got), n)
	}
	g = idp.must(http.StatusOK, http.MethodPatch, group, patch("Remove", users[:1000]))
	if got := groupMembers(t, g); !slices.Equal(got, users[1000:]) {
		t.Fatalf("after the remove: %d members, want the last %d", len(got), n-1000)
	}
	counts := map[events.Type]int{}
	for _, e := range dirEvents(t, env)[events0:] {
		counts[e.typ]++
	}
	if counts[events.DirUserUpdated] != n+1000 || counts[events.DirGroupUpdated] != 2 || len(counts) != 2 {
		t.Errorf("events %v, want %d user_updated (%d joined, 1000 left) and 2 group_updated", counts, n+1000, n)
	}
}
