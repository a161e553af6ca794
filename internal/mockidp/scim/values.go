package scim

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Adding values to and removing them from a multi-valued attribute (a
// group's members, a user's emails) in time linear in the values. Two
// values are the same one when sameValue says so; comparing each value
// of a PATCH with each value already there is quadratic, and a PATCH
// adding 24,000 members took 26 seconds that way. Instead every value
// has an identity, a string that two values share exactly when
// sameValue holds, and an add or remove is a map look-up per value.

// identity is the key of a value of a multi-valued attribute: an object
// with a value sub-attribute by that value (a member added twice is one
// member), any other value by its whole content. ok is false for a value
// holding a Go type JSON does not decode to (float64, int, a typed map),
// which only Go code can build: such values are compared one by one.
//
// A value without a value sub-attribute is keyed too, by its content,
// rather than compared one by one: a PATCH chooses its values, and ten
// thousand objects without a value compared each with each would be the
// quadratic work again.
func identity(v any) (key string, ok bool) {
	var b strings.Builder
	if m, isDoc := v.(doc); isDoc {
		if val, has := get(m, "value"); has {
			b.WriteByte('v')
			ok = writeKey(&b, val)
			return b.String(), ok
		}
	}
	b.WriteByte('w')
	ok = writeKey(&b, v)
	return b.String(), ok
}

// writeKey writes a JSON value so that two values write the same text
// exactly when reflect.DeepEqual holds for them: each kind has its own
// tag and every string and collection its length, so no two values'
// texts run together. Object keys are sorted, as map order is not kept.
func writeKey(b *strings.Builder, v any) bool {
	switch x := v.(type) {
	case nil:
		b.WriteByte('z')
	case bool:
		if x {
			b.WriteByte('t')
		} else {
			b.WriteByte('f')
		}
	case string:
		writeKeyString(b, 's', x)
	case json.Number:
		// A number as it was sent: 1 and 1.0 differ, as they do to
		// reflect.DeepEqual.
		writeKeyString(b, 'n', string(x))
	case doc:
		if x == nil {
			b.WriteByte('M') // a nil map differs from an empty one
			return true
		}
		writeKeyString(b, 'm', strconv.Itoa(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			writeKeyString(b, 'k', k)
			if !writeKey(b, x[k]) {
				return false
			}
		}
	case []any:
		if x == nil {
			b.WriteByte('L')
			return true
		}
		writeKeyString(b, 'l', strconv.Itoa(len(x)))
		for _, e := range x {
			if !writeKey(b, e) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

func writeKeyString(b *strings.Builder, tag byte, s string) {
	b.WriteByte(tag)
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// valueIndex finds a value among the values of a list: a member (an
// object whose value is a string) by that string, any other value by its
// identity, and a value without an identity by sameValue, one by one.
// A look-up of a member builds no key, so scanning a group of thousands
// for the few values of an operation costs a map look-up per member.
type valueIndex struct {
	member map[string]int // a member's value → the first index with it
	keyed  map[string]int // any other value's identity → the first index
	other  []int          // the indexes of values without an identity
}

func newValueIndex(size int) *valueIndex {
	return &valueIndex{member: make(map[string]int, size), keyed: map[string]int{}}
}

// memberValue is v's value sub-attribute when v is an object whose value
// is a string, as every member of a group is.
func memberValue(v any) (string, bool) {
	m, ok := v.(doc)
	if !ok {
		return "", false
	}
	val, _ := get(m, "value")
	s, ok := val.(string)
	return s, ok
}

// place finds v among the values noted of list: the first index whose
// value is v's, and true. When there is none, it notes that list[i] is v
// (unless i < 0) and answers false.
//
// Two members are the same when their values are; a member is never
// sameValue as a value of another kind, and a value with an identity
// never as one without: whatever makes one lack an identity, the other
// would have to hold too.
func (ix *valueIndex) place(list []any, v any, i int) (int, bool) {
	var in map[string]int
	var k string
	if s, ok := memberValue(v); ok {
		in, k = ix.member, s
	} else if id, ok := identity(v); ok {
		in, k = ix.keyed, id
	}
	if in != nil {
		if j, hit := in[k]; hit {
			return j, true
		}
		if i >= 0 {
			in[k] = i
		}
		return 0, false
	}
	for _, j := range ix.other {
		if sameValue(list[j], v) {
			return j, true
		}
	}
	if i >= 0 {
		ix.other = append(ix.other, i)
	}
	return 0, false
}

// find is place without noting.
func (ix *valueIndex) find(list []any, v any) (int, bool) { return ix.place(list, v, -1) }

// addValues adds values to a multi-valued attribute, each once, in their
// order: a value already there is not added again (RFC 7644 §3.5.2.1),
// and an object's sub-attributes are merged into the one there, so an add
// that repeats a member with its display name sets the name. The index
// is of the values, and the list is scanned once: an IdP adds a few
// members to a group of thousands as often as thousands to an empty one.
func addValues(list, values []any) any {
	ix := newValueIndex(len(values))
	for j, v := range values {
		ix.place(values, v, j)
	}
	// at[j], for the first of values with its identity: where in list the
	// value is, -1 while it is not there.
	at := make([]int, len(values))
	for j := range at {
		at[j] = -1
	}
	for i, e := range list {
		if j, hit := ix.find(values, e); hit && at[j] < 0 {
			at[j] = i
		}
	}
	for _, v := range values {
		j, _ := ix.find(values, v)
		if at[j] < 0 {
			at[j] = len(list)
			list = append(list, v)
			continue
		}
		if em, ok := list[at[j]].(doc); ok {
			if vm, ok := v.(doc); ok {
				merge(em, vm) // vm's value is em's: the identity stays
			}
		}
	}
	return nilIfEmpty(list)
}

// removeValues removes from a multi-valued attribute each value that is
// one of values (Azure AD removes members by listing them).
func removeValues(list, values []any) any {
	ix := newValueIndex(len(values))
	for i, v := range values {
		ix.place(values, v, i)
	}
	var out []any
	for _, e := range list {
		if _, gone := ix.find(values, e); !gone {
			out = append(out, e)
		}
	}
	return nilIfEmpty(out)
}
