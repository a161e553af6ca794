package store

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
)

// Keyring is the environment's signing key and the earlier keys it still
// publishes. Rotation is never automatic (docs/scalekit-contract.md §6): the SDKs cache
// /keys for their whole life. It happens on purpose, for drills: by the
// jwks.rotate_* modes, /__mock/rotate-keys or `skctl mock-idp rotate-keys`.
type Keyring struct {
	rotating sync.Mutex // one rotation at a time, so the saved key is the current one
	mu       sync.RWMutex
	current  *signingKey
	previous []retiredKey // still published, so tokens they signed verify
	ids      *ids.Gen
	stateDir string
	now      func() time.Time
}

// retiredKey is an earlier key, published until a time (zero: for good).
type retiredKey struct {
	key   *signingKey
	until time.Time
}

// NewKeyring returns the keys of an environment: the one in stateDir (when
// set), loaded on first use, or a new one: of preset's key material when
// preset is set (tests that start many environments share one, as making
// an RSA key costs tens of milliseconds), else freshly made.
func NewKeyring(stateDir string, ids *ids.Gen, now func() time.Time, preset *rsa.PrivateKey) *Keyring {
	return &Keyring{current: newSigningKey(stateDir, ids, preset), ids: ids, stateDir: stateDir, now: now}
}

func (kr *Keyring) signer() *signingKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.current
}

// Wait loads the current key and reports why it could not be.
func (kr *Keyring) Wait() error { return kr.signer().wait() }

// Sign signs with the current key.
func (kr *Keyring) Sign(claims any) (string, error) { return kr.signer().sign(claims) }

// Rotate makes a new signing key (saved in the state directory, if any).
// The old key stays published for overlap, so tokens it signed keep
// verifying meanwhile: 0 drops it from /keys at once, a negative overlap
// keeps it for good.
func (kr *Keyring) Rotate(overlap time.Duration) (string, error) {
	kr.rotating.Lock()
	defer kr.rotating.Unlock()
	next := newGeneratedKey(kr.stateDir, kr.ids)
	if err := next.wait(); err != nil {
		return "", err
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	switch {
	case overlap == 0:
		kr.previous = nil
	case kr.current.wait() == nil:
		kept := kr.previous[:0] // drop the keys whose overlap has ended
		for _, p := range kr.previous {
			if p.until.IsZero() || kr.now().Before(p.until) {
				kept = append(kept, p)
			}
		}
		kr.previous = kept
		r := retiredKey{key: kr.current}
		if overlap > 0 {
			r.until = kr.now().Add(overlap)
		}
		kr.previous = append([]retiredKey{r}, kr.previous...)
	}
	kr.current = next
	return next.kid, nil
}

// published returns every key /keys shows, current first.
func (kr *Keyring) published() []*signingKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	now := kr.now()
	keys := []*signingKey{kr.current}
	for _, r := range kr.previous {
		if r.until.IsZero() || now.Before(r.until) {
			keys = append(keys, r.key)
		}
	}
	return keys
}

// JWKS returns the /keys document: the current key's public JWK, then the
// earlier keys', and extra (raw JWKs added by modes).
func (kr *Keyring) JWKS(extra ...[]byte) ([]byte, error) {
	if len(extra) == 0 {
		kr.mu.RLock()
		cur, alone := kr.current, len(kr.previous) == 0
		kr.mu.RUnlock()
		if alone { // the usual case, served as the key's own bytes
			if err := cur.wait(); err != nil {
				return nil, err
			}
			return cur.jwks, nil
		}
	}
	keys := kr.published()
	if len(keys) == 1 && len(extra) == 0 {
		if err := keys[0].wait(); err != nil {
			return nil, err
		}
		return keys[0].jwks, nil
	}
	var parts [][]byte
	for _, k := range keys {
		if err := k.wait(); err != nil {
			return nil, err
		}
		parts = append(parts, k.publicJWK)
	}
	parts = append(parts, extra...)
	return append(append([]byte(`{"keys":[`), bytes.Join(parts, []byte(","))...), ']', '}'), nil
}

// Verify checks a token signed by any published key.
func (kr *Keyring) Verify(token, issuer string) (map[string]any, error) {
	var last error = errors.New("no key")
	for _, k := range kr.published() {
		claims, err := k.verify(token, issuer)
		if err == nil {
			return claims, nil
		}
		last = err
	}
	return nil, last
}

// Current is the signing key, loaded, for the drills that sign with it
// in their own ways.
func (kr *Keyring) Current() (kid string, priv *rsa.PrivateKey, err error) {
	k := kr.signer()
	if err := k.wait(); err != nil {
		return "", nil, err
	}
	return k.kid, k.priv, nil
}
