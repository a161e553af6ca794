package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	// version is the first byte of every sealed value and part of the AAD,
	// so a future format can never be mistaken for this one (F2).
	version byte = 1

	keySize   = 32 // AES-256 (F2)
	nonceSize = 12 // GCM's standard 96-bit nonce, random per value (F2)
	iatSize   = 8  // issued-at, big-endian Unix seconds
	tagSize   = 16

	// maxFuture is how far ahead of now an issued-at may lie (F2): it absorbs
	// clock differences between instances but refuses values minted for later.
	maxFuture = 5 * time.Minute
)

// b64 is strict so that trailing bits must be zero: otherwise two strings
// would decode to one sealed value, and a one-character edit could pass.
var b64 = base64.RawURLEncoding.Strict()

// Codec encrypts and authenticates cookie values with AES-256-GCM (F2).
type Codec struct {
	aeads  []cipher.AEAD // aeads[0] seals; all of them open (key rotation)
	now    func() time.Time
	maxAge time.Duration
	rand   io.Reader // nonce source: crypto/rand, replaced only by tests
}

// NewCodec returns a Codec that seals with keys[0] and opens with any key,
// so a new key can be put first while values sealed with the old one still
// decode (F2). Each key must be exactly 32 bytes. A nil now means
// time.Now; maxAge, which must be positive, is the oldest issued-at Decode
// accepts.
func NewCodec(keys [][]byte, now func() time.Time, maxAge time.Duration) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: no cookie key given; at least one 32-byte key is required")
	}
	if maxAge <= 0 {
		return nil, fmt.Errorf("session: maxAge is %v; it must be positive", maxAge)
	}
	if now == nil {
		now = time.Now
	}
	c := &Codec{now: now, maxAge: maxAge, rand: rand.Reader}
	for i, k := range keys {
		if len(k) != keySize {
			return nil, fmt.Errorf("session: cookie key %d of %d is %d bytes; it must be exactly %d bytes (AES-256)", i+1, len(keys), len(k), keySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("session: cookie key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session: cookie key %d: %w", i+1, err)
		}
		c.aeads = append(c.aeads, aead)
	}
	return c, nil
}

// aad binds a sealed value to its format version and cookie name, so a value
// cannot be moved to another cookie, such as access to refresh (F2).
func aad(name string) []byte {
	return append([]byte{version}, name...)
}

// Encode seals plaintext for the cookie called name. The result is
// base64url, unpadded, of
//
//	version || nonce || GCM(issued-at || plaintext)
//
// with version and name as additional authenticated data (F2).
func (c *Codec) Encode(name string, plaintext []byte) (string, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+iatSize+len(plaintext)+tagSize)
	out[0] = version
	nonce := out[1:]
	if _, err := io.ReadFull(c.rand, nonce); err != nil {
		return "", fmt.Errorf("session: reading a nonce: %w", err)
	}
	msg := make([]byte, iatSize, iatSize+len(plaintext))
	binary.BigEndian.PutUint64(msg, uint64(c.now().Unix()))
	msg = append(msg, plaintext...)
	return b64.EncodeToString(c.aeads[0].Seal(out, nonce, msg, aad(name))), nil
}

// Decode reverses Encode for the cookie called name. Every failure wraps
// ErrInvalid and names only its class, never the value (J2).
func (c *Codec) Decode(name, value string) ([]byte, error) {
	plaintext, _, err := c.decode(name, value)
	return plaintext, err
}

// decode is Decode that also returns the issued-at, which transactions need
// for their own, shorter lifetime (A5).
func (c *Codec) decode(name, value string) ([]byte, time.Time, error) {
	invalid := func(why string) ([]byte, time.Time, error) {
		return nil, time.Time{}, fmt.Errorf("%w: %s", ErrInvalid, why)
	}
	// The decoder skips CR and LF even in strict mode; refuse them so that
	// exactly one string carries a given sealed value (F5).
	if strings.ContainsAny(value, "\r\n") {
		return invalid("bad base64")
	}
	raw, err := b64.DecodeString(value)
	if err != nil {
		return invalid("bad base64")
	}
	if len(raw) < 1+nonceSize+iatSize+tagSize {
		return invalid("too short")
	}
	if raw[0] != version {
		return invalid("unknown version")
	}
	nonce, sealed, ad := raw[1:1+nonceSize], raw[1+nonceSize:], aad(name)
	var msg []byte
	for _, a := range c.aeads {
		if msg, err = a.Open(nil, nonce, sealed, ad); err == nil {
			break
		}
	}
	if err != nil {
		return invalid("no key opens it (wrong key, wrong cookie or tampered)")
	}
	iat := time.Unix(int64(binary.BigEndian.Uint64(msg)), 0)
	if why := c.age(iat, c.now()); why != "" {
		return invalid(why)
	}
	return msg[iatSize:], iat, nil
}

// age returns why a value issued at iat may not be read at now, or "".
func (c *Codec) age(iat, now time.Time) string {
	switch {
	case now.Sub(iat) > c.maxAge:
		return "expired"
	case iat.Sub(now) > maxFuture:
		return "issued in the future"
	}
	return ""
}

// Fresh reports whether a value issued at iat passes Decode's age checks
// now. A caller that memoizes what ReadIssued returned checks it again
// with Fresh on every use.
func (c *Codec) Fresh(iat time.Time) bool { return c.age(iat, c.now()) == "" }

// FreshWindow is when a value issued at iat passes Decode's age checks:
// from from to until, both included. A caller that memoizes what
// ReadIssued returned keeps the window and compares the time with it,
// which costs less than Fresh on every use.
func (c *Codec) FreshWindow(iat time.Time) (from, until time.Time) {
	return iat.Add(-maxFuture), iat.Add(c.maxAge)
}
