package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// canonicalCases are JSON texts with what JSON.stringify(JSON.parse(text))
// gives for them. The expected values were not written by hand: they were
// produced by running each input through node v20.20.2
// (testdata/stringify.cjs) and pasted here; wantErr means JSON.parse threw.
// TestCanonicalMatchesNode runs them through node again.
var canonicalCases = []struct {
	name    string
	in      string
	want    string
	wantErr bool
}{
	{"member order is kept", "{\"b\":1,\"a\":2}", "{\"b\":1,\"a\":2}", false},
	{"whitespace is dropped", " {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } } ", "{\"a\":[1,2],\"b\":{}}", false},
	{"array-index keys come first, ascending", "{\"b\":1,\"2\":2,\"1\":3,\"a\":4}", "{\"1\":3,\"2\":2,\"b\":1,\"a\":4}", false},
	{"only canonical integers up to 2^32-2 are array indices", "{\"4294967295\":1,\"4294967294\":2,\"01\":3,\"0\":4,\"-1\":5,\"1.0\":6,\"10\":7,\"9\":8,\" 1\":9,\"9007199254740991\":10}", "{\"0\":4,\"9\":8,\"10\":7,\"4294967294\":2,\"4294967295\":1,\"01\":3,\"-1\":5,\"1.0\":6,\" 1\":9,\"9007199254740991\":10}", false},
	{"a repeated key keeps its first place and last value", "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}", false},
	{"a repeated index key keeps its last value", "{\"x\":0,\"1\":1,\"a\":2,\"1\":3}", "{\"1\":3,\"x\":0,\"a\":2}", false},
	{"__proto__ is an ordinary key", "{\"__proto__\":1,\"constructor\":2}", "{\"__proto__\":1,\"constructor\":2}", false},
	{"escaped <>& U+2028 U+2029 come out literal", "\"\\u003c\\u003e\\u0026\\u2028\\u2029\"", "\"<>&\u2028\u2029\"", false},
	{"literal <>& U+2028 U+2029 stay literal", "\"<>&\u2028\u2029\"", "\"<>&\u2028\u2029\"", false},
	{"control characters: short escapes, else lower-case \\u00xx; DEL literal", "\"\\u0000\\u0001\\u001F\\b\\f\\n\\r\\t\\u000B\\u007f\x7f\"", "\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\u000b\x7f\x7f\"", false},
	{"\\/ unescapes, quote and backslash stay escaped", "\"\\\"\\\\\\/\"", "\"\\\"\\\\/\"", false},
	{"lone high surrogate escaped lower-case", "\"\\uD800\"", "\"\\ud800\"", false},
	{"lone low surrogate escaped", "\"\\udfff\"", "\"\\udfff\"", false},
	{"escaped surrogate pair becomes the character", "\"\\uD83D\\uDE00\"", "\"😀\"", false},
	{"reversed pair is two lone surrogates", "\"\\uDE00\\uD83D\"", "\"\\ude00\\ud83d\"", false},
	{"lone high then a pair", "\"\\uD83D\\uD83D\\uDE00x\"", "\"\\ud83d😀x\"", false},
	{"non-ASCII stays literal, BOM in a string too", "\"\\u00E9é😀\ufeff\"", "\"éé😀\ufeff\"", false},
	{"1e21 switches to exponent form", "1e21", "1e+21", false},
	{"1e-7 switches to exponent form", "1e-7", "1e-7", false},
	{"0.000001 stays decimal", "0.000001", "0.000001", false},
	{"-0 prints as 0", "-0", "0", false},
	{"-0.0 prints as 0", "-0.0", "0", false},
	{"big integer rounds to float64 and pads zeros", "123456789012345678901", "123456789012345680000", false},
	{"smallest subnormal", "5e-324", "5e-324", false},
	{"1.5", "1.5", "1.5", false},
	{"1.0 loses its fraction", "1.0", "1", false},
	{"1E2 is 100", "1E2", "100", false},
	{"1e+2 is 100", "1e+2", "100", false},
	{"0.1", "0.1", "0.1", false},
	{"100", "100", "100", false},
	{"1e20 stays integer form", "1e20", "100000000000000000000", false},
	{"123e-20", "123e-20", "1.23e-18", false},
	{"1.23e-5 is decimal", "1.23e-5", "0.0000123", false},
	{"0.0000001234 is exponent form", "0.0000001234", "1.234e-7", false},
	{"largest double", "1.7976931348623157e308", "1.7976931348623157e+308", false},
	{"overflow is Infinity, stringified as null", "1e400", "null", false},
	{"negative overflow is null", "-1e400", "null", false},
	{"underflow is 0", "1e-400", "0", false},
	{"negative underflow is -0, printed 0", "-1e-400", "0", false},
	{"2^53+1 rounds to 2^53", "9007199254740993", "9007199254740992", false},
	{"smallest normal", "2.2250738585072014e-308", "2.2250738585072014e-308", false},
	{"negative exponent form", "-1.5e300", "-1.5e+300", false},
	{"0e10 is 0", "0e10", "0", false},
	{"4.35 keeps its shortest digits", "4.35", "4.35", false},
	{"true", "true", "true", false},
	{"null", "null", "null", false},
	{"a top-level string", " \"x\" ", "\"x\"", false},
	{"empty containers", "[[],{},[{}]]", "[[],{},[{}]]", false},
	{"error: empty input", "", "", true},
	{"error: only whitespace", " ", "", true},
	{"error: trailing comma in an array", "[1,]", "", true},
	{"error: trailing comma in an object", "{\"a\":1,}", "", true},
	{"error: leading zero", "01", "", true},
	{"error: no digit after the point", "1.", "", true},
	{"error: no digit before the point", ".5", "", true},
	{"error: plus sign", "+1", "", true},
	{"error: lone minus", "-", "", true},
	{"error: NaN", "NaN", "", true},
	{"error: Infinity", "Infinity", "", true},
	{"error: single quotes", "'a'", "", true},
	{"error: bad escape", "\"\\x\"", "", true},
	{"error: short \\u escape", "\"\\u12\"", "", true},
	{"error: unterminated string", "\"a", "", true},
	{"error: raw tab in a string", "\"\t\"", "", true},
	{"error: missing comma", "[1 2]", "", true},
	{"error: missing colon", "{\"a\" 1}", "", true},
	{"error: unquoted key", "{1:2}", "", true},
	{"error: truncated literal", "tru", "", true},
	{"error: BOM is not whitespace", "\ufeff1", "", true},
	{"error: two values", "1 2", "", true},
	{"error: bad hex digit", "\"\\u00G0\"", "", true},
	{"error: vertical tab is not whitespace", "\v1", "", true},
	{"error: form feed is not whitespace", "\f1", "", true},
	{"error: NBSP is not whitespace", "\u00a01", "", true},
	{"error: leading zero in an array", "[01]", "", true},
	{"error: leading zero after minus", "-01", "", true},
	{"error: exponent without digits", "1e", "", true},
	{"error: exponent sign without digits", "1e+", "", true},
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	for _, c := range canonicalCases {
		got, err := Canonical([]byte(c.in))
		switch {
		case c.wantErr && err == nil:
			t.Errorf("%s: Canonical(%q) = %q, want an error (JSON.parse throws)", c.name, c.in, got)
		case !c.wantErr && err != nil:
			t.Errorf("%s: Canonical(%q): %v, want %q", c.name, c.in, err, c.want)
		case !c.wantErr && string(got) != c.want:
			t.Errorf("%s: Canonical(%q) = %q, want %q (JSON.stringify's)", c.name, c.in, got, c.want)
		}
	}
}

// Valid JSON that is not UTF-8 is refused: JSON.parse never sees such bytes
// (a JavaScript string is decoded first) and JSON text must be UTF-8.
func TestCanonicalRejectsInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"\"\xff\"", "\"\xed\xa0\x80\"" /* a surrogate in UTF-8 */, "[\"a\xc3\"]"} {
		if got, err := Canonical([]byte(in)); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error for invalid UTF-8", in, got)
		}
	}
}

// Nesting deeper than MaxDepth is refused rather than recursing without
// bound (node's JSON.stringify overflows its stack a few thousand deep);
// MaxDepth itself is fine.
func TestCanonicalDepth(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if got, err := Canonical([]byte(ok)); err != nil || string(got) != ok {
		t.Errorf("Canonical(%d-deep arrays) = %.20q, %v; want it unchanged", MaxDepth, got, err)
	}
	deep := "[" + ok + "]"
	if _, err := Canonical([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("Canonical(%d-deep arrays) error = %v, want a nesting error", MaxDepth+1, err)
	}
	deepObj := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	if _, err := Canonical([]byte(deepObj)); err == nil {
		t.Errorf("Canonical(%d-deep objects) succeeded, want a nesting error", MaxDepth+1)
	}
}

// Marshal gives JSON.stringify's bytes where encoding/json's differ: no
// HTML or U+2028 escapes, array-index keys first, 1e21 in exponent form.
func TestMarshal(t *testing.T) {
	t.Parallel()
	v := map[string]any{
		"html": "<a&b>",
		"ls":   "\u2028",
		"f":    1.5,
		"n":    1e21,
		"m":    map[string]int{"b": 1, "10": 2, "2": 3},
	}
	// From node: JSON.stringify(JSON.parse(<encoding/json's output>)).
	const want = "{\"f\":1.5,\"html\":\"<a&b>\",\"ls\":\"\u2028\",\"m\":{\"2\":3,\"10\":2,\"b\":1},\"n\":1e+21}"
	got, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("Marshal = %q, want %q", got, want)
	}
	// The reason Marshal exists: encoding/json alone does not give these bytes.
	plain, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(plain, got) {
		t.Errorf("encoding/json gave JSON.stringify's bytes %q; the test no longer shows a difference", plain)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal(func) succeeded, want encoding/json's error")
	}
}
