package webhook

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest in Canonical's input.
// Node's JSON.stringify runs out of stack somewhere above a few thousand
// levels; a webhook body is a handful deep.
const MaxDepth = 1000

// Canonical returns what JavaScript's JSON.stringify(JSON.parse(data))
// returns, as UTF-8, and an error when JSON.parse would throw (or data is not
// UTF-8, or nests deeper than MaxDepth). The output is compact; strings
// escape only '"', '\\' and U+0000–U+001F (\b \f \n \r \t, otherwise \u00xx)
// plus lone surrogates (\udxxx); numbers are float64 printed as ECMAScript's
// Number::toString prints them (±Infinity, from an overflowing literal,
// prints as null); object members keep their order, except that array-index
// keys ("0" … "4294967294") come first in ascending numeric order, and a
// repeated key keeps its first position with its last value.
func Canonical(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("webhook: JSON text is not valid UTF-8")
	}
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errorf("unexpected %q after the value", p.data[p.pos])
	}
	return v.appendTo(nil), nil
}

// Marshal encodes v with encoding/json (without HTML escaping) and returns
// Canonical of the result: the bytes a JavaScript receiver gets back from
// JSON.stringify(JSON.parse(body)). Integers beyond 2^53 lose precision,
// as they do in JavaScript.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return Canonical(buf.Bytes())
}

// A value is a parsed JSON value that appends its JSON.stringify form.
type value interface {
	appendTo(b []byte) []byte
}

// literal is null, true, false or a number, already in its output form.
type literal []byte

func (l literal) appendTo(b []byte) []byte { return append(b, l...) }

// str is a string as UTF-8, except that a lone surrogate is held as its
// 3-byte generalised UTF-8 form (0xED 0xA0–0xBF 0x80–0xBF), which valid
// UTF-8 never contains.
type str string

func (s str) appendTo(b []byte) []byte { return appendQuoted(b, string(s)) }

type array []value

func (a array) appendTo(b []byte) []byte {
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = v.appendTo(b)
	}
	return append(b, ']')
}

type object struct {
	keys []string // first-seen order
	vals map[string]value
}

func (o *object) appendTo(b []byte) []byte {
	// JavaScript lists array-index keys first, ascending, then the others in
	// the order they were created.
	type indexKey struct {
		n uint32
		k string
	}
	var indexes []indexKey
	var others []string
	for _, k := range o.keys {
		if n, ok := arrayIndex(k); ok {
			indexes = append(indexes, indexKey{n, k})
		} else {
			others = append(others, k)
		}
	}
	slices.SortFunc(indexes, func(x, y indexKey) int { return cmp.Compare(x.n, y.n) })
	b = append(b, '{')
	first := true
	member := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendQuoted(b, k)
		b = append(b, ':')
		b = o.vals[k].appendTo(b)
	}
	for _, ik := range indexes {
		member(ik.k)
	}
	for _, k := range others {
		member(k)
	}
	return append(b, '}')
}

// arrayIndex reports whether k is an ECMAScript array index: the canonical
// decimal form of an integer from 0 to 2^32-2.
func arrayIndex(k string) (uint32, bool) {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return 0, false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(k, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// appendQuoted appends s quoted as JSON.stringify quotes it (its
// QuoteJSONString).
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		case c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0:
			// A lone surrogate (see str): U+D800–U+DFFF.
			u := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			b = append(b, '\\', 'u', hex[u>>12], hex[u>>8&0xF], hex[u>>4&0xF], hex[u&0xF])
			i += 2
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendNumber appends f as ECMAScript's Number::toString prints it, for
// finite f.
func appendNumber(b []byte, f float64) []byte {
	if f == 0 { // also -0, which prints as "0"
		return append(b, '0')
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// The shortest digits that round-trip, d.ddde±x: the spec's s (k digits)
	// and n, with f = s × 10^(n-k).
	mant, exp, _ := bytes.Cut(strconv.AppendFloat(nil, f, 'e', -1, 64), []byte("e"))
	digits := bytes.Replace(mant, []byte("."), nil, 1)
	x, _ := strconv.Atoi(string(exp))
	k, n := len(digits), x+1
	switch {
	case k <= n && n <= 21: // integer: digits then n-k zeros
		b = append(b, digits...)
		b = append(b, bytes.Repeat([]byte("0"), n-k)...)
	case 0 < n && n <= 21: // point inside the digits
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0: // 0.000ddd
		b = append(b, '0', '.')
		b = append(b, bytes.Repeat([]byte("0"), -n)...)
		b = append(b, digits...)
	default: // d.ddde±x
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}
