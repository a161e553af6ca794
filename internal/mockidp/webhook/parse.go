package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parser reads JSON text with JSON.parse's grammar (ECMA-404).
type parser struct {
	data []byte
	pos  int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("webhook: invalid JSON at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *parser) value(depth int) (value, error) {
	switch c := p.peek(); {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return nil, p.errorf("nested deeper than %d", MaxDepth)
		}
		if c == '{' {
			return p.object(depth + 1)
		}
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		return str(s), err
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.word("true")
	case c == 'f':
		return p.word("false")
	case c == 'n':
		return p.word("null")
	case p.pos == len(p.data):
		return nil, p.errorf("unexpected end of input")
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

func (p *parser) word(w string) (value, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(w)) {
		return nil, p.errorf("expected %s", w)
	}
	p.pos += len(w)
	return literal(w), nil
}

func (p *parser) expect(c byte) error {
	switch {
	case p.pos == len(p.data):
		return p.errorf("unexpected end of input, expected %q", c)
	case p.data[p.pos] != c:
		return p.errorf("unexpected %q, expected %q", p.data[p.pos], c)
	}
	p.pos++
	return nil
}

func (p *parser) array(depth int) (value, error) {
	p.pos++ // '['
	a := array{}
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return a, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		return a, p.expect(']')
	}
}

func (p *parser) object(depth int) (value, error) {
	p.pos++ // '{'
	o := &object{vals: map[string]value{}}
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return o, nil
	}
	for {
		p.skipSpace()
		if p.peek() != '"' {
			return nil, p.expect('"')
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		if _, seen := o.vals[k]; !seen {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		return o, p.expect('}')
	}
}

func (p *parser) number() (value, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.peek() == '-' {
		p.pos++
	}
	switch c := p.peek(); {
	case c == '0':
		p.pos++
	case c >= '1' && c <= '9':
		digits()
	default:
		return nil, p.errorf("expected a digit")
	}
	if p.peek() == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("expected a digit after the decimal point")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("expected a digit in the exponent")
		}
	}
	// The grammar above is a subset of Go's, so the only error left is
	// ErrRange, where f is ±Inf (overflow) or ±0 (underflow).
	f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errorf("%v", err)
	}
	if math.IsInf(f, 0) {
		return literal("null"), nil // JSON.stringify(±Infinity)
	}
	return literal(appendNumber(nil, f)), nil
}

// string reads a string literal and returns its text (see str).
func (p *parser) string() (string, error) {
	p.pos++            // '"'
	var units []uint16 // UTF-16, as JavaScript holds it
	for {
		if p.pos >= len(p.data) {
			return "", p.errorf("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return fromUTF16(units), nil
		case c < 0x20:
			return "", p.errorf("control character %#02x in a string", c)
		case c == '\\':
			u, err := p.escape()
			if err != nil {
				return "", err
			}
			units = append(units, u)
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:]) // valid: Canonical checked
			p.pos += size
			units = utf16.AppendRune(units, r)
		}
	}
}

// escape reads one escape sequence, p.pos at its backslash.
func (p *parser) escape() (uint16, error) {
	p.pos++
	if p.pos >= len(p.data) {
		return 0, p.errorf("unterminated string")
	}
	c := p.data[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		return uint16(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		if p.pos+4 > len(p.data) {
			return 0, p.errorf("short \\u escape")
		}
		var u uint16
		for _, h := range p.data[p.pos : p.pos+4] {
			switch {
			case h >= '0' && h <= '9':
				u = u<<4 | uint16(h-'0')
			case h >= 'a' && h <= 'f':
				u = u<<4 | uint16(h-'a'+10)
			case h >= 'A' && h <= 'F':
				u = u<<4 | uint16(h-'A'+10)
			default:
				return 0, p.errorf("bad hex digit %q in a \\u escape", h)
			}
		}
		p.pos += 4
		return u, nil
	}
	p.pos--
	return 0, p.errorf("bad escape \\%c", c)
}

// fromUTF16 turns UTF-16 code units into UTF-8, pairing surrogates as
// JavaScript does and keeping a lone one in its 3-byte form (see str).
func fromUTF16(units []uint16) string {
	b := make([]byte, 0, len(units))
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if utf16.IsSurrogate(u) {
			if u < 0xDC00 && i+1 < len(units) {
				if r := utf16.DecodeRune(u, rune(units[i+1])); r != utf8.RuneError {
					b = utf8.AppendRune(b, r)
					i++
					continue
				}
			}
			b = append(b, 0xE0|byte(u>>12), 0x80|byte(u>>6&0x3F), 0x80|byte(u&0x3F))
			continue
		}
		b = utf8.AppendRune(b, u)
	}
	return string(b)
}
