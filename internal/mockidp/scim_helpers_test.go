package mockidp_test

// Helpers of the SCIM tests (scim_*_test.go): a client of one directory's
// SCIM endpoint, as an IdP is, and readers of the environment's event
// log.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/testenv"
)

// The default fixtures' directory and its SCIM token (fixtures/default.yaml).
const (
	acmeDir   = "dir_55631105591072318"
	acmeToken = "scim_test_5b8e2f9c4a1d47e6b3c0f8a2"
)

// scimIdP pushes to one directory's SCIM endpoint with a token.
type scimIdP struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newSCIM(t testing.TB, env *testenv.Env, dirID, token string) *scimIdP {
	return &scimIdP{t: t, base: env.URL + "/api/v1/directories/" + dirID + "/scim/v2", token: token,
		http: &http.Client{Timeout: 20 * time.Second}}
}

// scimAnswer is a SCIM response with its body decoded.
type scimAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request; body is marshalled unless it is a string.
func (c *scimIdP) do(method, path string, body any) scimAnswer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Accept", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := scimAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			c.t.Fatalf("%s %s: %d, not a JSON object: %v: %.300s", method, path, resp.StatusCode, err, raw)
		}
		// A net.429 drill answers for the mock, not for SCIM.
		if ct := resp.Header.Get("Content-Type"); ct != "application/scim+json" && resp.StatusCode != http.StatusTooManyRequests {
			c.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	return a
}

// must checks an answer's status and returns its body.
func (c *scimIdP) must(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	a := c.do(method, path, body)
	if a.status != status {
		c.t.Fatalf("%s %s: %d %.500s, want %d", method, path, a.status, a.raw, status)
	}
	return a.body
}

// wantError checks an RFC 7644 §3.12 error: the status, the scimType
// ("" for none) and a detail that says something.
func (c *scimIdP) wantError(a scimAnswer, status int, scimType, what string) {
	c.t.Helper()
	if a.status != status {
		c.t.Fatalf("%s: %d %.300s, want %d", what, a.status, a.raw, status)
	}
	schemas, _ := a.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || a.body["status"] != strconv.Itoa(status) {
		c.t.Errorf("%s: not an RFC 7644 error body: %s", what, a.raw)
	}
	if got, _ := a.body["scimType"].(string); got != scimType {
		c.t.Errorf("%s: scimType %q, want %q (%s)", what, got, scimType, a.raw)
	}
	if d, _ := a.body["detail"].(string); len(d) < 20 {
		c.t.Errorf("%s: detail %q says too little", what, d)
	}
}

// resources is a list response's Resources.
func resources(t testing.TB, list map[string]any) []map[string]any {
	t.Helper()
	rs, _ := list["Resources"].([]any)
	out := make([]map[string]any, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.(map[string]any))
	}
	return out
}

// dirEvents are the environment's directory user and group events, oldest
// first, with their data decoded.
type dirEvent struct {
	typ  events.Type
	org  string
	data map[string]any
}

func dirEvents(t testing.TB, env *testenv.Env) []dirEvent {
	t.Helper()
	var out []dirEvent
	for _, e := range env.Events().List(events.Filter{Types: []events.Type{events.DirUserCreated, events.DirUserUpdated,
		events.DirUserDeleted, events.DirGroupCreated, events.DirGroupUpdated, events.DirGroupDeleted}}) {
		var data map[string]any
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatalf("event %s: data is not an object: %v", e.ID, err)
		}
		out = append(out, dirEvent{typ: e.Type, org: e.OrganizationID, data: data})
	}
	return out
}

func eventTypes(es []dirEvent) []events.Type {
	var out []events.Type
	for _, e := range es {
		out = append(out, e.typ)
	}
	return out
}

// scimFixtures parses fixtures a test writes out.
func scimFixtures(t testing.TB, yaml string) *fixture.Fixtures {
	t.Helper()
	fx, err := fixture.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return fx
}
