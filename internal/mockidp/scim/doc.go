package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// doc is a SCIM resource as JSON: what an IdP sends, what PATCH changes,
// what GET answers. Numbers stay json.Number, so that what was sent comes
// back as it was.
type doc = map[string]any

// decodeJSON decodes one JSON value; trailing data is an error.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

type trailingError struct{}

func (trailingError) Error() string { return "data after the JSON value" }

var errTrailing error = trailingError{}

// key is the key of m that names attribute name, in any case (attribute
// names are case-insensitive, RFC 7643 §2.1); "" when there is none. Of
// several spellings ("Value" and "VALUE") it is the least, not the first
// in map order, so that such a document reads the same every time: two
// values compare the same in every PATCH.
func key(m doc, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	found := ""
	for k := range m {
		if strings.EqualFold(k, name) && (found == "" || k < found) {
			found = k
		}
	}
	return found
}

// get is m's value of attribute name, in any case.
func get(m doc, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true // one look-up for the usual spelling: get runs for every member
	}
	k := key(m, name)
	if k == "" {
		return nil, false
	}
	v, ok := m[k]
	return v, ok
}

// set sets attribute name of m, replacing it under whatever case it had;
// a nil value removes it (null is unassigned, RFC 7643 §2.5).
func set(m doc, name string, v any) {
	if k := key(m, name); k != "" {
		delete(m, k)
	}
	if v != nil {
		m[name] = v
	}
}

// del removes attribute name of m, in any case.
func del(m doc, name string) {
	if k := key(m, name); k != "" {
		delete(m, k)
	}
}

// getString is m's string attribute name; "" when it is absent or not a
// string.
func getString(m doc, name string) string {
	v, _ := get(m, name)
	s, _ := v.(string)
	return s
}

// getMap is m's complex attribute name; nil when absent or not an object.
func getMap(m doc, name string) doc {
	v, _ := get(m, name)
	c, _ := v.(doc)
	return c
}

// getList is m's multi-valued attribute name; nil when absent or not an
// array.
func getList(m doc, name string) []any {
	v, _ := get(m, name)
	l, _ := v.([]any)
	return l
}

// sameValue reports whether two values of a multi-valued attribute are
// the same one: objects by their value sub-attribute when both have one
// (a member added twice is one member), else by their whole content.
func sameValue(a, b any) bool {
	am, aok := a.(doc)
	bm, bok := b.(doc)
	if aok && bok {
		av, ahas := get(am, "value")
		bv, bhas := get(bm, "value")
		if ahas && bhas {
			return reflect.DeepEqual(av, bv)
		}
	}
	return reflect.DeepEqual(a, b)
}

// asList is a value as the values of a multi-valued attribute: an array's
// elements, or the value alone.
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// cloneDoc copies a document all the way down.
func cloneDoc(m doc) doc {
	out := make(doc, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case doc:
		return cloneDoc(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
