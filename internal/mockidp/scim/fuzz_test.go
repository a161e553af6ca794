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

// FuzzIdentity: two JSON values share an identity exactly when sameValue
// says they are the same value of a multi-valued attribute, so that the
// look-ups of add and remove decide as the one-by-one comparison would.
func FuzzIdentity(f *testing.F) {
	for _, s := range [][2]string{
		{`{"value":"a"}`, `{"Value":"a","display":"A"}`}, {`{"value":1}`, `{"value":"1"}`}, {`{"value":1}`, `{"value":1.0}`},
		{`{"display":"x","type":"work"}`, `{"type":"work","display":"x"}`}, {`{}`, `[]`}, {`"s1:"`, `{"s1:":""}`},
		{`{"value":{"a":[1,{"b":null}]}}`, `{"value":{"a":[1,{"b":null}]},"x":1}`}, {`null`, `{"value":null}`},
		{`{"Value":"a","VALUE":"b"}`, `{"value":"a"}`}, {`{"VALUE":"b","Value":"a"}`, `{"value":"b"}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		var a, b any
		if decodeJSON([]byte(x), &a) != nil || decodeJSON([]byte(y), &b) != nil {
			return
		}
		ka, oka := identity(a)
		kb, okb := identity(b)
		if !oka || !okb {
			t.Fatalf("%s or %s has no identity: every decoded JSON value has one", x, y)
		}
		if (ka == kb) != sameValue(a, b) {
			t.Fatalf("%s and %s: same identity %v, sameValue %v", x, y, ka == kb, sameValue(a, b))
		}
		// What place decides, through the member look-up or the identity.
		ix := newValueIndex(1)
		ix.place([]any{a}, a, 0)
		if _, hit := ix.find([]any{a}, b); hit != sameValue(a, b) {
			t.Fatalf("%s and %s: found %v, sameValue %v", x, y, hit, sameValue(a, b))
		}
	})
}

// FuzzValueMatcher: the one-comparison filter of a case-exact string
// (members[value eq "…"]) decides as the filter's evaluation does, for
// any filter and any value of a group's members or a user's emails.
func FuzzValueMatcher(f *testing.F) {
	for _, s := range [][2]string{
		{`value eq "a"`, `{"value":"a"}`}, {`value eq "a"`, `{"Value":"A"}`}, {`VALUE eq "a\"b"`, `{"value":"a\"b"}`},
		{`value eq "1"`, `{"value":1}`}, {`value eq 1`, `{"value":"1"}`}, {`value eq "a"`, `{"value":["a"]}`},
		{`value eq "a"`, `{"value":{"value":"a"}}`}, {`display eq "x"`, `{"display":"X"}`}, {`value eq null`, `{}`},
		{`value ne "a"`, `{"value":"b"}`}, {`type eq "work" and value eq "a"`, `{"type":"work","value":"a"}`},
	} {
		f.Add(s[0], s[1])
	}
	members := groupKind().lookup("", "members").subs
	emails := userKind().lookup("", "emails").subs
	f.Fuzz(func(t *testing.T, expr, value string) {
		e, err := parseFilter(expr)
		if err != nil {
			return
		}
		var m doc
		if decodeJSON([]byte(value), &m) != nil || m == nil {
			return
		}
		for _, subs := range [][]attr{members, emails} {
			if got, want := valueMatcher(subs, e)(m), matches(nil, subs, e, m); got != want {
				t.Fatalf("%s on %s: %v, the filter's evaluation %v", expr, value, got, want)
			}
		}
	})
}
