package webhook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzCanonical: Canonical never panics; it accepts exactly the JSON that
// encoding/json does (for UTF-8 input within MaxDepth); its output is valid
// UTF-8 JSON, a fixed point of Canonical, and decodes to the same Go value
// as the input.
func FuzzCanonical(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonical(in)
		if err != nil {
			if utf8.Valid(in) && json.Valid(in) && depth(in) <= MaxDepth {
				t.Fatalf("Canonical(%q): %v, but encoding/json finds it valid", in, err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("Canonical(%q) = %q, but encoding/json finds the input invalid", in, out)
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("Canonical(%q) = %q, not valid UTF-8 JSON", in, out)
		}
		again, err := Canonical(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Canonical(%q) = %q, but Canonical of that = %q, %v", in, out, again, err)
		}
		// Same value, as far as encoding/json can tell (it maps a lone
		// surrogate to U+FFFD either way, and -0 == 0). An overflowing number
		// (stringified as null) fails to decode into float64: skip it.
		var a, b any
		if json.Unmarshal(in, &a) == nil {
			if err := json.Unmarshal(out, &b); err != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("Canonical(%q) = %q decodes to %#v (%v), the input to %#v", in, out, b, err, a)
			}
		}
	})
}

// depth returns how deeply in's brackets nest, ignoring brackets inside
// strings (in is valid JSON here).
func depth(in []byte) int {
	d, max, inString := 0, 0, false
	for i := 0; i < len(in); i++ {
		switch c := in[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if d++; d > max {
				max = d
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return max
}
