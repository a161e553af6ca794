package scim

import (
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// A PATCH is applied to what was read, outside the write lock, and
// stored under it (patchstore.go): stored as prepared when the resource
// is as read, applied again to what is there when another request
// changed it in between, so that no change of either request is lost.
// Two requests in between each other are staged here by preparing both
// before storing either.

// The default fixtures' directory and its Engineering group (Ada, Grace
// and Ned) (fixtures/default.yaml).
const (
	fxDir         = "dir_55631105591072318"
	fxEngineering = "dirgroup_79844505749161046"
)

// storeTenant is a tenant of the default fixtures and its directory
// users' IDs by email.
func storeTenant(t *testing.T) (*tenant.Tenant, map[string]string) {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	var g ids.Gen
	tn := tenant.New(fx, time.Now, g.New)
	page, err := tn.FindDirUsers(fxDir, nil, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, u := range page.Items {
		users[u.Email] = u.ID
	}
	return tn, users
}

func decodePatch(t *testing.T, body string) patchRequest {
	t.Helper()
	var req patchRequest
	if err := decodeJSON([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func prepareGroup(t *testing.T, tn *tenant.Tenant, body string) *groupPatch {
	t.Helper()
	p, err := prepareGroupPatch(tn, fxDir, fxEngineering, groupKind(), decodePatch(t, body))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func engineering(t *testing.T, tn *tenant.Tenant) []string {
	t.Helper()
	page, err := tn.FindDirGroups(fxDir, func(g *tenant.DirGroup) bool { return g.ID == fxEngineering }, 0, 1, true)
	if err != nil || page.Total != 1 {
		t.Fatalf("Engineering: %v, %d found", err, page.Total)
	}
	var out []string
	for _, m := range page.Members[fxEngineering] {
		out = append(out, m.ID)
	}
	return out
}

func addMember(id string) string {
	return `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + id + `"}]}]}`
}

func removeMember(id string) string {
	return `{"Operations":[{"op":"remove","path":"members[value eq \"` + id + `\"]"}]}`
}

// TestPatchStoreAsRead: a PATCH of a group or a user that nothing changed
// in between is stored as it was prepared, not applied again under the
// lock: what the tenant hands the update is what the read saw.
func TestPatchStoreAsRead(t *testing.T) {
	t.Parallel()
	tn, u := storeTenant(t)
	p := prepareGroup(t, tn, addMember(u["alan@acme.test"]))
	if err := p.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	if p.again {
		t.Error("the group's PATCH was applied again under the lock, though nothing changed the group")
	}
	if got, want := engineering(t, tn), []string{u["ada@acme.test"], u["grace@acme.test"], u["alan@acme.test"], u["ned@acme.test"]}; !slices.Equal(got, want) {
		t.Errorf("Engineering %v, want %v", got, want)
	}

	up, err := prepareUserPatch(tn, fxDir, u["ada@acme.test"], userKind(), decodePatch(t, `{"Operations":[{"op":"replace","value":{"displayName":"Countess"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := up.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	if up.again {
		t.Error("the user's PATCH was applied again under the lock, though nothing changed the user")
	}
}

// TestPatchStoreAfterAnotherChange: when another request changed the
// group or user between a PATCH's read and its store, the PATCH is
// applied to what is there: both requests' changes are kept, and a
// PATCH that no longer applies is refused and changes nothing.
func TestPatchStoreAfterAnotherChange(t *testing.T) {
	t.Parallel()
	tn, u := storeTenant(t)
	ada, grace, alan, ned := u["ada@acme.test"], u["grace@acme.test"], u["alan@acme.test"], u["ned@acme.test"]

	adds := prepareGroup(t, tn, addMember(alan))
	removes := prepareGroup(t, tn, removeMember(grace))
	if err := removes.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	if err := adds.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	if !adds.again {
		t.Error("the add was stored as prepared, though the remove changed the group after its read")
	}
	if got, want := engineering(t, tn), []string{ada, alan, ned}; !slices.Equal(got, want) {
		t.Errorf("Engineering %v, want %v: Grace removed by one PATCH, Alan added by the other", got, want)
	}

	// Ned's display is set by a PATCH prepared while he was a member, and
	// stored after another removed him: there is no Ned to set.
	sets := prepareGroup(t, tn, `{"Operations":[{"op":"replace","path":"members[value eq \"`+ned+`\"]","value":{"value":"`+ned+`","display":"Ned"}}]}`)
	if err := prepareGroup(t, tn, removeMember(ned)).store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	err := sets.store(tn, fxDir)
	if se, ok := err.(*Error); !ok || se.Type != noTarget {
		t.Errorf("the PATCH of a member removed since its read: %v, want 400 noTarget", err)
	}
	if got, want := engineering(t, tn), []string{ada, alan}; !slices.Equal(got, want) {
		t.Errorf("Engineering %v after the refused PATCH, want %v", got, want)
	}

	renames, err := prepareUserPatch(tn, fxDir, ada, userKind(), decodePatch(t, `{"Operations":[{"op":"replace","value":{"displayName":"Countess"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	nicks, err := prepareUserPatch(tn, fxDir, ada, userKind(), decodePatch(t, `{"Operations":[{"op":"add","path":"nickName","value":"Ada"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := nicks.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	if err := renames.store(tn, fxDir); err != nil {
		t.Fatal(err)
	}
	page, err := tn.FindDirUsers(fxDir, func(d *tenant.DirUser) bool { return d.ID == ada }, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	kept := storedDoc(page.Items[0].SCIM)
	if !renames.again || page.Items[0].DisplayName != "Countess" || kept["nickName"] != "Ada" {
		t.Errorf("Ada after two PATCHes in between each other (again %v): displayName %q, kept %v; want both changes", renames.again, page.Items[0].DisplayName, kept)
	}
}
