package session

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxSetCookie bounds one Set-Cookie value: name, value and attributes
	// (F3). Browsers must accept 4,096 bytes (RFC 6265 §6.1); 4,000 leaves
	// a margin, as oauth2-proxy's maxCookieLength does.
	maxSetCookie = 4000
	// maxChunks bounds how many cookies one value may span (F3).
	maxChunks = 5
)

// chunkName names chunk i of cookie name: name itself, then name_1, ….
func chunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "_" + strconv.Itoa(i)
}

// chunkIndex reports whether cookie cn is chunk i ≥ 1 of name. Only one or
// two digits without a leading zero count, so a transaction cookie,
// base_<16 hex digits>, is never taken for a chunk of base even when its
// hash happens to be all digits.
func chunkIndex(cn, name string) (int, bool) {
	s, ok := strings.CutPrefix(cn, name+"_")
	if !ok || len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	i := 0
	for _, d := range []byte(s) {
		if d < '0' || d > '9' {
			return 0, false
		}
		i = i*10 + int(d-'0')
	}
	return i, true
}

// chunkIndexes lists the chunk indexes ≥ 1 of name among present.
func chunkIndexes(present []*http.Cookie, name string) []int {
	var out []int
	for _, ck := range present {
		if i, ok := chunkIndex(ck.Name, name); ok {
			out = append(out, i)
		}
	}
	return out
}

// split cuts the encoded value into cookies whose Set-Cookie each fits in
// maxSetCookie bytes. Splitting the encoded text, not the plaintext, lets
// Read decode once, so a tampered or swapped chunk fails the GCM tag (F3).
func (o CookieOptions) split(name, value string) ([]*http.Cookie, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	maxAge := o.maxAgeSeconds()
	if whole := o.cookie(name, value, maxAge); len(whole.String()) <= maxSetCookie {
		return []*http.Cookie{whole}, nil
	}
	var chunks []*http.Cookie
	for rest := value; rest != ""; {
		ck := o.cookie(chunkName(name, len(chunks)), "", maxAge)
		room := maxSetCookie - len(ck.String())
		if len(chunks) == maxChunks || room <= 0 {
			return nil, fmt.Errorf("%w: cookie %s needs %d bytes, more than %d cookies hold", ErrTooLarge, name, len(value), maxChunks)
		}
		n := min(room, len(rest))
		ck.Value, rest = rest[:n], rest[n:]
		chunks = append(chunks, ck)
	}
	return chunks, nil
}

// join reassembles the encoded value of cookie name from present, and
// refuses any set Write cannot produce: a duplicate name, a gap, more than
// maxChunks, or chunks without the first (F3, F5).
func join(present []*http.Cookie, name string) (string, error) {
	var parts [maxChunks]string
	var seen [maxChunks]bool
	n := 0
	for _, ck := range present {
		i, ok := 0, ck.Name == name
		if !ok {
			if i, ok = chunkIndex(ck.Name, name); !ok {
				continue
			}
		}
		switch {
		case i >= maxChunks:
			return "", fmt.Errorf("%w: more than %d chunks", ErrInvalid, maxChunks)
		case seen[i]:
			return "", fmt.Errorf("%w: duplicate cookie %s", ErrInvalid, chunkName(name, i))
		}
		seen[i], parts[i] = true, ck.Value
		n++
	}
	if n == 0 {
		return "", ErrNoCookie
	}
	for i := range n {
		if !seen[i] {
			return "", fmt.Errorf("%w: chunk %s missing", ErrInvalid, chunkName(name, i))
		}
	}
	return strings.Join(parts[:n], ""), nil
}

// Read joins the chunks of cookie base from r and decodes them. It returns
// ErrNoCookie when there is none, and an error wrapping ErrInvalid for an
// inconsistent chunk set or a value that does not decode (F5).
func (c *Codec) Read(r *http.Request, base string, o CookieOptions) ([]byte, error) {
	plaintext, _, err := c.read(requestCookies(r), o.Name(base))
	return plaintext, err
}

// ReadIssued is Read that also returns the value's issued-at. What Read
// returns depends only on the request's Cookie header, the codec's keys
// and, through Fresh(issued-at), the time, so a caller may memoize a
// success per Cookie header and check it again with Fresh.
func (c *Codec) ReadIssued(r *http.Request, base string, o CookieOptions) ([]byte, time.Time, error) {
	return c.read(requestCookies(r), o.Name(base))
}

// read is Read on cookies already parsed from the request; it also returns
// the issued-at.
func (c *Codec) read(present []*http.Cookie, name string) ([]byte, time.Time, error) {
	value, err := join(present, name)
	if err != nil {
		return nil, time.Time{}, err
	}
	return c.decode(name, value)
}
