package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The values of multi-valued attributes at the sizes a large directory
// has: the cap of one operation, and RFC 7644 §3.5.2's add and remove
// of members with thousands of them, duplicates and values that are not
// there included. Their speed is BenchmarkPatchMembers's to show; these
// check what they do.

// refsJSON is members from..to-1 as a JSON array, each with extra's
// sub-attributes (i is the member's number).
func refsJSON(from, to int, extra func(i int) string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"value":%q`, memberID(i))
		if extra != nil {
			b.WriteString(extra(i))
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String()
}

// concatJSON is JSON arrays' elements as one array.
func concatJSON(arrays ...string) string {
	inner := make([]string, 0, len(arrays))
	for _, a := range arrays {
		inner = append(inner, strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"))
	}
	return "[" + strings.Join(inner, ",") + "]"
}

func groupWith(from, to int) doc {
	return doc{"schemas": []any{GroupSchema}, "displayName": "Everyone", "members": memberDocs(from, to)}
}

// TestPatchValuesCap: an operation of more than maxValues values is 400
// tooMany with a detail that says to split it, and the PATCH changes
// nothing, not even its operations before that one; maxValues values are
// taken.
func TestPatchValuesCap(t *testing.T) {
	t.Parallel()
	k := groupKind()
	over := map[string]string{
		"an add of members": `[{"op":"replace","path":"displayName","value":"Renamed"},
			{"op":"add","path":"members","value":` + refsJSON(0, maxValues+1, nil) + `}]`,
		"Azure AD's remove by value": `[{"op":"remove","path":"members","value":` + refsJSON(0, maxValues+1, nil) + `}]`,
		"a replace without a path, its arrays together": `[{"op":"replace","value":{"displayName":"Renamed","members":` +
			refsJSON(0, maxValues/2+1, nil) + `,"urn:example:tags":` + refsJSON(0, maxValues/2, nil) + `}}]`,
	}
	for what, ops := range over {
		d := groupWith(0, 100)
		before := cloneDoc(d)
		err := patchErr(k, d, `{"Operations":`+ops+`}`)
		if err == nil || err.Status != http.StatusBadRequest || err.Type != tooMany {
			t.Errorf("%s of %d values: %v, want 400 tooMany", what, maxValues+1, err)
			continue
		}
		if !strings.Contains(err.Detail, "split") || !strings.Contains(err.Detail, fmt.Sprint(maxValues)) || !strings.HasPrefix(err.Detail, "Operations[") {
			t.Errorf("%s: the detail %q does not say which operation, the limit and to split it", what, err.Detail)
		}
		if !reflect.DeepEqual(d, before) {
			t.Errorf("%s: the refused PATCH changed the group: %s", what, encode(d))
		}
	}

	// The cap's worth: maxValues members added to a group of 100, 50 of
	// them already in it.
	d := groupWith(0, 100)
	patch(t, k, d, `{"Operations":[{"op":"add","path":"members","value":`+refsJSON(50, 50+maxValues, nil)+`}]}`)
	ids, serr := membersOf(d)
	if serr != nil {
		t.Fatal(serr)
	}
	if len(ids) != 50+maxValues || ids[0] != memberID(0) || ids[len(ids)-1] != memberID(50+maxValues-1) {
		t.Errorf("after adding %d members to 100, 50 of them there: %d members, %s … %s", maxValues, len(ids), ids[0], ids[len(ids)-1])
	}
}

// TestPatchMembersLarge: RFC 7644 §3.5.2's member operations on a group
// of 12,000: an add of members already there is no new member but sets
// what it sends (their display), repeats in one add are one member, new
// members come after the old in the order sent; Azure AD's remove by
// value removes those listed and ignores the rest; a remove by filter
// removes the one it names; a remove of members without a value removes
// them all.
func TestPatchMembersLarge(t *testing.T) {
	t.Parallel()
	k := groupKind()
	d := groupWith(0, 12000)
	display := func(i int) string { return fmt.Sprintf(`,"display":"user %d"`, i) }
	again := func(i int) string { return fmt.Sprintf(`,"display":"again %d"`, i) }
	// 8,000..15,999 (4,000 of them members), then 15,000..15,999 again.
	add := concatJSON(refsJSON(8000, 16000, display), refsJSON(15000, 16000, again))
	// 0..2,999, 20,000..20,999 (no members) and 0..99 again.
	remove := concatJSON(refsJSON(0, 3000, nil), refsJSON(20000, 21000, nil), refsJSON(0, 100, nil))
	patch(t, k, d, `{"Operations":[{"op":"add","path":"members","value":`+add+`},
		{"op":"Remove","path":"members","value":`+remove+`},
		{"op":"remove","path":"members[value eq \"`+memberID(5000)+`\"]"},
		{"op":"add","path":"members","value":[{"value":"`+memberID(3000)+`"}]}]}`)

	var want []string
	for i := 3000; i < 16000; i++ {
		if i != 5000 {
			want = append(want, memberID(i))
		}
	}
	ids, serr := membersOf(d)
	if serr != nil {
		t.Fatal(serr)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("%d members (%s … %s), want %d: 3000..15999 but 5000, each once, in order", len(ids), ids[0], ids[len(ids)-1], len(want))
	}
	for i, m := range getList(d, "members") {
		n := 3000 + i
		if n >= 5000 {
			n++
		}
		var wantDisplay any
		switch {
		case n >= 15000:
			wantDisplay = fmt.Sprintf("again %d", n)
		case n >= 8000:
			wantDisplay = fmt.Sprintf("user %d", n)
		}
		if got := m.(doc)["display"]; got != wantDisplay {
			t.Fatalf("member %d: display %v, want %v", n, got, wantDisplay)
		}
	}

	patch(t, k, d, `{"Operations":[{"op":"remove","path":"members"}]}`)
	if _, has := d["members"]; has {
		t.Errorf("after a remove of members without a value: %d members left", len(getList(d, "members")))
	}
}

// TestPatchAdds24000Members: the reviewer's 24,000 members, the most the
// 1 MiB body holds of them in practice, added in one PATCH of three
// operations under the cap: every one is a member, once, in order.
func TestPatchAdds24000Members(t *testing.T) {
	t.Parallel()
	d := groupWith(0, 0)
	patch(t, groupKind(), d, membersPatch("add", 0, 24000))
	if err := normalize(groupKind(), d); err != nil {
		t.Fatal(err)
	}
	_, ids, err := groupOf(d)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != memberID(i) {
			t.Fatalf("member %d is %s", i, id)
		}
	}
	if len(ids) != 24000 {
		t.Errorf("%d members, want 24000", len(ids))
	}
}

// valueCorpus are values of multi-valued attributes that sameValue tells
// apart or not: members by value (in another spelling of value, with
// other sub-attributes), objects without a value, scalars, a number as a
// string, null, an empty object and array, nested values.
func valueCorpus(t testing.TB) []any {
	t.Helper()
	var out []any
	for _, s := range []string{
		`{"value":"a"}`, `{"value":"a","display":"A"}`, `{"Value":"a"}`, `{"value":"A"}`, `{"value":"b"}`,
		`{"value":1}`, `{"value":"1"}`, `{"value":1.0}`, `{"value":null}`, `{"value":true}`, `{"value":false}`,
		`{"value":{"x":1}}`, `{"value":{"x":1},"display":"d"}`, `{"value":[1,2]}`, `{"value":[2,1]}`,
		`{"display":"A"}`, `{"display":"A","type":"work"}`, `{"type":"work","display":"A"}`, `{}`, `{"":""}`,
		`"a"`, `"A"`, `1`, `"1"`, `null`, `true`, `[]`, `[{}]`, `[[]]`, `{"a":[]}`, `{"a":{}}`, `{"a":"s1:"}`, `{"a":"","s1:":""}`,
	} {
		var v any
		if err := decodeJSON([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestIdentityIsSameValue: two values share an identity exactly when
// sameValue says they are the same, for every pair of the corpus; and
// values that hold a type JSON does not decode to, which have none, are
// still added once.
func TestIdentityIsSameValue(t *testing.T) {
	t.Parallel()
	vs := valueCorpus(t)
	for _, a := range vs {
		for _, b := range vs {
			ka, oka := identity(a)
			kb, okb := identity(b)
			if !oka || !okb {
				t.Fatalf("%s or %s has no identity", encode(doc{"v": a}), encode(doc{"v": b}))
			}
			if (ka == kb) != sameValue(a, b) {
				t.Errorf("%s and %s: same identity %v, sameValue %v", encode(doc{"v": a}), encode(doc{"v": b}), ka == kb, sameValue(a, b))
			}
		}
	}
	if _, ok := identity(doc{"value": 1.5}); ok {
		t.Error("a float64 value has an identity; it is compared one by one")
	}
	got := addValues([]any{doc{"value": 1.5}, doc{"display": 2.5}},
		[]any{doc{"value": 1.5, "display": "x"}, doc{"display": 2.5}, doc{"value": 3.5}, doc{"value": 3.5}, doc{"value": "s"}})
	want := []any{doc{"value": 1.5, "display": "x"}, doc{"display": 2.5}, doc{"value": 3.5}, doc{"value": "s"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("adding values without an identity: %v, want %v", got, want)
	}
	if got := removeValues(want, []any{doc{"value": 3.5}, doc{"display": 2.5}}); !reflect.DeepEqual(got, []any{want[0], want[3]}) {
		t.Errorf("removing values without an identity: %v", got)
	}
}

// TestKeyTextsDoNotRunTogether: writeKey's texts of values that differ
// differ, however a string's text looks like another value's.
func TestKeyTextsDoNotRunTogether(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, v := range valueCorpus(t) {
		var b strings.Builder
		if !writeKey(&b, v) {
			t.Fatalf("%v: no key", v)
		}
		js, _ := json.Marshal(v)
		if prev, dup := seen[b.String()]; dup && prev != string(js) {
			t.Errorf("%s and %s write the same key %q", prev, js, b.String())
		}
		seen[b.String()] = string(js)
	}
}

// TestAddMergesIntoTheFirst: an add of a value that a list already holds
// twice (emails a client wrote twice) merges into the first, as the
// comparison one by one found it first, and adds nothing.
func TestAddMergesIntoTheFirst(t *testing.T) {
	t.Parallel()
	list := []any{doc{"value": "a@example.com"}, doc{"value": "b@example.com"}, doc{"value": "a@example.com", "type": "home"}}
	got := addValues(slices.Clone(list), []any{doc{"value": "a@example.com", "type": "work"}})
	want := []any{doc{"value": "a@example.com", "type": "work"}, doc{"value": "b@example.com"}, doc{"value": "a@example.com", "type": "home"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
