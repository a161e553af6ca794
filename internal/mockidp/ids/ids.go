// Package ids makes the identifiers and secrets of a mock environment in
// Scalekit's shapes: prefixed 17-digit IDs (usr_63261014140912135), stable
// IDs derived from fixture names, and opaque 256-bit secrets with the
// hashes the store indexes them by (docs/scalekit-contract.md §8).
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
)

// Scalekit IDs are a prefix plus 17 decimal digits. They look like
// snowflake IDs, so the mock makes them the same way: milliseconds since an
// epoch in the high bits and a sequence in the low bits. That keeps every
// ID unique and increasing within a process, and across restarts, since
// the clock moves on.
const (
	epochMillis = 1704067200000 // 2024-01-01T00:00:00Z
	seqBits     = 18            // 17 digits last until 2036 with 18 bits of sequence
	digits      = 100000000000000000
)

// Gen makes Scalekit-shaped IDs. The zero value is ready to use.
type Gen struct{ last atomic.Uint64 }

// New returns prefix followed by 17 decimal digits, never the same twice.
func (g *Gen) New(prefix string) string {
	for {
		last := g.last.Load()
		next := uint64(time.Now().UnixMilli()-epochMillis) << seqBits
		if next <= last {
			next = last + 1
		}
		if g.last.CompareAndSwap(last, next) {
			return fmt.Sprintf("%s%017d", prefix, next%digits)
		}
	}
}

// Stable derives an ID from a seed, so that fixtures without explicit IDs
// get the same IDs on every start and tokens keep their subjects across a
// restart without --state-dir.
func Stable(prefix, seed string) string {
	sum := sha256.Sum256([]byte(prefix + seed))
	n := binary.BigEndian.Uint64(sum[:8]) % (digits - digits/10)
	return fmt.Sprintf("%s%017d", prefix, n+digits/10)
}

// Token returns an opaque, URL-safe secret of 256 bits: codes, refresh
// tokens and session cookies have no documented format.
func Token() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Suffix returns 72 random bits, URL-safe: for paths and kids that must
// differ on every start.
func Suffix() string {
	var b [9]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Key is how the store indexes a secret: its SHA-256, so that the state
// file on disk never holds a usable code, refresh token or session cookie.
func Key(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
