package scim

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkPatchMembers: the work of a group's PATCH that adds n members
// to an empty group, and of one that removes half of a group of n by
// listing them (Azure AD's remove): the operations applied to the
// group's document, the document normalized and its member IDs read, as
// the endpoint does for every PATCH. The members come in operations of
// at most 8,000 values, under the cap of one operation, so that 24,000
// is three operations. Growth from 8k to 24k near 3x is linear; the
// quadratic comparison it replaced grew near 9x.
func BenchmarkPatchMembers(b *testing.B) {
	for _, n := range []int{1000, 8000, 24000} {
		b.Run(fmt.Sprintf("add/n=%d", n), func(b *testing.B) {
			benchPatchMembers(b, 0, membersPatch("add", 0, n), n)
		})
		b.Run(fmt.Sprintf("remove/n=%d", n), func(b *testing.B) {
			benchPatchMembers(b, n, membersPatch("remove", 0, n/2), n-n/2)
		})
	}
}

// benchPatchMembers times body applied to a group of have members, which
// must leave want.
func benchPatchMembers(b *testing.B, have int, body string, want int) {
	b.SetBytes(int64(len(body)))
	for range b.N {
		b.StopTimer()
		var req patchRequest
		if err := decodeJSON([]byte(body), &req); err != nil {
			b.Fatal(err)
		}
		d := doc{"schemas": []any{GroupSchema}, "displayName": "Everyone", "members": memberDocs(0, have)}
		b.StartTimer()
		if err := applyPatch(groupKind(), d, req); err != nil {
			b.Fatal(err)
		}
		if err := normalize(groupKind(), d); err != nil {
			b.Fatal(err)
		}
		_, ids, err := groupOf(d)
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) != want {
			b.Fatalf("%d members, want %d", len(ids), want)
		}
	}
}

// memberID is the i-th user's ID, as long as the tenant's.
func memberID(i int) string { return fmt.Sprintf("diruser_%017d", i) }

// memberDocs are members from..to-1 as a group's document lists them.
func memberDocs(from, to int) []any {
	out := make([]any, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, doc{"value": memberID(i)})
	}
	return out
}

// membersPatch is a PATCH body whose operations op members from..to-1,
// at most 8,000 values an operation.
func membersPatch(op string, from, to int) string {
	const chunk = 8000
	var b strings.Builder
	b.WriteString(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`)
	for start := from; start < to; start += chunk {
		if start > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"op":%q,"path":"members","value":[`, op)
		for i := start; i < min(start+chunk, to); i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"value":%q}`, memberID(i))
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}
