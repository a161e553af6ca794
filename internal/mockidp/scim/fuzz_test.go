package scim

import (
	"net/http"
	"testing"
)

// FuzzFilter: any filter text is parsed or refused as a 400 invalidFilter,
// and a parsed one evaluates against RFC 7643's user without a panic.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{`userName eq "bjensen"`, `emails[type eq "work" and value co "@example.com"]`,
		`not (title pr) or meta.lastModified gt "2011-05-13T04:42:34Z"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`active eq True`, `x eq 1.5e3`, `a[b[c eq 1]]`, `userName eq "a\"b\u00e9"`, `((`, `"`, ``} {
		f.Add(s)
	}
	k := userKind()
	d := babs(f)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseFilter(s)
		if err != nil {
			if err.Status != http.StatusBadRequest || err.Type != invalidFilter {
				t.Fatalf("%q: %+v, want 400 invalidFilter", s, err)
			}
			return
		}
		matches(k, nil, e, d)
		fastKey(k, e)
	})
}

// FuzzPatch: any PATCH body applied to RFC 7643's user ends in a user the
// tenant can keep or in a 400 (or a 413 of its size), never a panic.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"x@y.z"}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"1\"]"},{"op":"add","path":"members","value":[{"value":"2"}]}]}`,
		`{"Operations":[{"op":"replace","path":"name.givenName","value":null}]}`,
		`{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"manager":"x"}}]}`,
		`{"Operations":[{"op":"replace","value":{"name.familyName":"J","emails":{"value":1}}}]}`,
	} {
		f.Add(s)
	}
	users, groups := userKind(), groupKind()
	f.Fuzz(func(t *testing.T, body string) {
		var req patchRequest
		if decodeJSON([]byte(body), &req) != nil {
			return
		}
		for _, k := range []*kind{users, groups} {
			d := babs(t)
			if err := applyPatch(k, d, req); err != nil {
				if err.Status != http.StatusBadRequest {
					t.Fatalf("%s: %+v, want a 400", body, err)
				}
				continue
			}
			if err := normalize(k, d); err != nil {
				if err.Status != http.StatusBadRequest {
					t.Fatalf("%s: normalize: %+v", body, err)
				}
				continue
			}
			if k == users {
				userOf(d)
			} else {
				groupOf(d)
			}
			encode(d)
		}
	})
}
