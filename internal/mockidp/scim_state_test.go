package mockidp_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
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

// TestSCIMConcurrentCreates: IdPs retry and run in parallel; of many
// creates of one userName at once exactly one is made, the others are
// 409 uniqueness, and one event is logged.
func TestSCIMConcurrentCreates(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { statuses <- idp.do(http.MethodPost, "/Users", rfcBabs()).status })
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
		t.Errorf("statuses %v, want one 201 and %d 409s", count, n-1)
	}
	if es := dirEvents(t, env); len(es) != 1 {
		t.Errorf("events %v, want one user_created", eventTypes(es))
	}
}

// TestSCIMReplaceUser: a PUT replaces what the IdP wrote (Okta's full
// user, password and all) but keeps the user's groups; the password is
// neither answered nor kept nor in the event.
func TestSCIMReplaceUser(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	id := idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())["id"].(string)
	gid := idp.must(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"displayName": "Tour Guides",
		"members": []any{map[string]any{"value": id}}})["id"].(string)
	const secret = "1mz050nq-never-kept"
	got := idp.must(http.StatusOK, http.MethodPut, "/Users/"+id, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bjensen@example.com",
		"name": map[string]any{"givenName": "Barbara", "familyName": "Jensen"}, "displayName": "Babs Jensen",
		"emails":     []any{map[string]any{"primary": true, "value": "bjensen@example.com", "type": "work"}},
		"externalId": "00ujl29u0le5T6Aj10h7", "groups": []any{}, "password": secret, "active": true})
	if got["externalId"] != "00ujl29u0le5T6Aj10h7" || got["userName"] != "bjensen@example.com" || got["name"].(map[string]any)["formatted"] != nil {
		t.Errorf("after the PUT: %v; want the new document, not a merge with the old", got)
	}
	if gs, _ := got["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["value"] != gid {
		t.Errorf("the PUT's groups %v, want the user still in Tour Guides", got["groups"])
	}
	es := dirEvents(t, env)
	last := es[len(es)-1]
	if last.typ != events.DirUserUpdated || last.data["email"] != "bjensen@example.com" || last.data["dp_id"] != "00ujl29u0le5T6Aj10h7" {
		t.Errorf("the PUT's event %v %v", last.typ, last.data)
	}
	for _, e := range env.Events().List(events.Filter{}) {
		if strings.Contains(string(e.Data), secret) {
			t.Errorf("event %s carries the password", e.Type)
		}
	}
	if a := idp.do(http.MethodGet, "/Users/"+id, nil); strings.Contains(a.raw, secret) || strings.Contains(a.raw, "password") {
		t.Errorf("GET answers the password: %s", a.raw)
	}
}
