package rest

import (
	"strings"
	"testing"
)

// scalekitColonTemplates are the bindings of Scalekit's API with a colon
// inside the path: the ones vanguard's parser rejects.
var scalekitColonTemplates = []string{
	"/api/v1/organizations:external/{external_id}",
	"/api/v1/users:external/{external_id}",
	"/api/v1/memberships/organizations/{organization_id}/users:external/{external_id}",
}

func seenSegments(t *testing.T) *colonSegments {
	t.Helper()
	c := newColonSegments()
	for _, tmpl := range scalekitColonTemplates {
		if _, changed := c.template(tmpl); !changed {
			t.Fatalf("template(%q) changed nothing", tmpl)
		}
	}
	return c
}

func TestTemplateRewrite(t *testing.T) {
	t.Parallel()
	c := newColonSegments()
	cases := []struct {
		in, want string
		changed  bool
	}{
		{"/api/v1/organizations:external/{external_id}", "/api/v1/organizations~external/{external_id}", true},
		{"/api/v1/memberships/organizations/{organization_id}/users:external/{external_id}",
			"/api/v1/memberships/organizations/{organization_id}/users~external/{external_id}", true},
		// A final verb is vanguard's to parse: left alone.
		{"/api/v1/organizations/{organization_id}/connections/{id}:enable", "/api/v1/organizations/{organization_id}/connections/{id}:enable", false},
		{"/api/v1/organizations:search", "/api/v1/organizations:search", false},
		// A colon inside a variable's pattern is not a literal's.
		{"/v1/{name=projects/a:b}/items", "/v1/{name=projects/a:b}/items", false},
		{"/api/v1/organizations", "/api/v1/organizations", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, changed := c.template(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("template(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}

func TestPathRewrite(t *testing.T) {
	t.Parallel()
	c := seenSegments(t)
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"/api/v1/organizations:external/acme-1", "/api/v1/organizations~external/acme-1", true},
		{"/api/v1/users:external/u:1", "/api/v1/users~external/u:1", true},
		{"/api/v1/memberships/organizations/org_1/users:external/x", "/api/v1/memberships/organizations/org_1/users~external/x", true},
		// An ID that happens to spell a literal is an ID: the last
		// segment is never rewritten.
		{"/api/v1/users/users:external", "/api/v1/users/users:external", true},
		{"/api/v1/users:external", "/api/v1/users:external", true},
		// Unrelated colons stay.
		{"/api/v1/organizations/org_1/connections/conn_1:enable", "/api/v1/organizations/org_1/connections/conn_1:enable", true},
		{"/api/v1/orgs:external/x", "/api/v1/orgs:external/x", true},
		// The rewritten spelling is refused, not served as a second name.
		{"/api/v1/users~external/x", "", false},
		{"/api/v1/users/users~external", "", false},
	}
	for _, tc := range cases {
		got, ok := c.path(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("path(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzPathRewrite: a request path comes from the client. Its rewrite
// only ever swaps whole known segments (never the last), so mapping them
// back gives the path that was sent; and a path it accepts never keeps a
// known colon literal where a template had one.
func FuzzPathRewrite(f *testing.F) {
	for _, s := range []string{
		"/api/v1/organizations:external/acme-1",
		"/api/v1/users:external/a/b",
		"/api/v1/users~external/x",
		"/api/v1/memberships/organizations/o/users:external/e",
		"/api/v1/organizations/o/connections/c:enable",
		"/", "", "//", "/api/v1/users:external/", "users:external/x",
		"/api/v1/\xff:external/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c := newColonSegments()
		for _, tmpl := range scalekitColonTemplates {
			c.template(tmpl)
		}
		got, ok := c.path(p)
		if !ok {
			found := false
			for _, s := range strings.Split(p, "/") {
				if _, isRewritten := c.from[s]; isRewritten {
					found = true
				}
			}
			if !found {
				t.Fatalf("path(%q) refused a path with no rewritten segment", p)
			}
			return
		}
		in, out := strings.Split(p, "/"), strings.Split(got, "/")
		if len(in) != len(out) {
			t.Fatalf("path(%q) = %q: %d segments, want %d", p, got, len(out), len(in))
		}
		for i := range in {
			back := out[i]
			if orig, ok := c.from[out[i]]; ok {
				back = orig
			}
			if back != in[i] {
				t.Fatalf("path(%q) = %q: segment %d %q does not map back to %q", p, got, i, out[i], in[i])
			}
			if _, literal := c.to[out[i]]; literal && i < len(out)-1 {
				t.Fatalf("path(%q) = %q kept the colon literal %q", p, got, out[i])
			}
		}
		if i := len(in) - 1; out[i] != in[i] {
			t.Fatalf("path(%q) = %q rewrote the last segment", p, got)
		}
	})
}
