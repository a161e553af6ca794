package mockidp_test

import (
	"net/http"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
)

// TestSCIMStateDir: with a state directory, what an IdP pushed is on disk
// before it is answered, and a restarted environment serves the same
// document.
func TestSCIMStateDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := startEnv(t, mockidp.Options{StateDir: dir, SaveEvery: 1 << 40}) // no background save: the push saves itself
	idp := newSCIM(t, env, acmeDir, acmeToken)
	created := idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())
	id := created["id"].(string)
	gid := idp.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "Tour Guides",
		"members": []any{map[string]any{"value": id}}})["id"].(string)
	// A second environment on the same directory, while the first still
	// runs: only what the pushes saved is there.
	again := startEnv(t, mockidp.Options{StateDir: dir})
	back := newSCIM(t, again, acmeDir, acmeToken).must(http.StatusOK, http.MethodGet, "/Users/"+id, nil)
	if back["userName"] != "bjensen" || back["externalId"] != "bjensen" || back["name"].(map[string]any)["formatted"] != "Ms. Barbara J Jensen III" {
		t.Errorf("after the restart: %v", back)
	}
	if gs, _ := back["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["value"] != gid {
		t.Errorf("after the restart bjensen's groups are %v", back["groups"])
	}
}

// TestSCIMNetModes: the net.* drills hit the SCIM endpoint as every other
// route, and a refused push creates nothing.
func TestSCIMNetModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	setFault(t, env.URL, map[string]any{"mode": "net.429", "count": 1})
	if a := idp.do(http.MethodPost, "/Users", rfcBabs()); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("POST /Users under net.429: %d %v", a.status, a.header)
	}
	if list := idp.must(http.StatusOK, http.MethodGet, "/Users?filter=userName%20eq%20%22bjensen%22", nil); list["totalResults"] != 0.0 {
		t.Errorf("the push refused by net.429 made a user: %v", list)
	}
	if n := env.Requests()["scim.requests"]; n != 2 {
		t.Errorf("scim.requests %d, want both requests counted", n)
	}
}
