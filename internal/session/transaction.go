package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxTransactionAge bounds a login transaction (A5): time enough to sign in
// at the IdP, short enough that an abandoned one soon expires.
const maxTransactionAge = 10 * time.Minute

// txHashLen is how many hex digits of SHA-256(state) name a transaction.
const txHashLen = 16

// transactionBase names the cookie of one login flow. One cookie per flow,
// as oauth2-proxy's <name>_<statehash>_csrf, lets parallel logins in
// several tabs each find their own (A5); hashing keeps state itself out of
// the cookie name.
func transactionBase(base, state string) string {
	sum := sha256.Sum256([]byte(state))
	return base + "_" + hex.EncodeToString(sum[:])[:txHashLen]
}

// transactionOptions caps Max-Age at 10 minutes and never makes a session
// cookie, which a browser might keep for days (A5).
func transactionOptions(o CookieOptions) CookieOptions {
	if o.MaxAge <= 0 || o.MaxAge > maxTransactionAge {
		o.MaxAge = maxTransactionAge
	}
	return o
}

// StartTransaction stores plaintext (the caller's marshalled state, nonce,
// PKCE verifier and return_to) in a cookie of its own, named
// base_<first 16 hex digits of SHA-256(state)> through Name, with Max-Age at
// most 10 minutes. At most limit transactions are kept (A5): undecodable or
// expired ones in r are cleared, then the oldest live ones until the new
// one makes limit.
func (c *Codec) StartTransaction(w http.ResponseWriter, r *http.Request, base, state string, o CookieOptions, limit int, plaintext []byte) error {
	if state == "" {
		return errors.New("session: empty transaction state")
	}
	if limit < 1 {
		return fmt.Errorf("session: transaction limit is %d; it must be at least 1", limit)
	}
	o = transactionOptions(o)
	present := requestCookies(r)
	name := o.Name(transactionBase(base, state))
	if err := c.write(w, present, name, o, plaintext); err != nil {
		return err
	}
	c.evictTransactions(w, present, o.Name(base)+"_", name, o, limit-1)
	return nil
}

// evictTransactions clears transaction cookies in present, other than keep,
// until at most room remain: first any that do not decode or have outlived
// o.MaxAge, then the oldest by issued-at (A5, F4).
func (c *Codec) evictTransactions(w http.ResponseWriter, present []*http.Cookie, prefix, keep string, o CookieOptions, room int) {
	type tx struct {
		name string
		iat  time.Time
	}
	var live []tx
	seen := map[string]bool{keep: true}
	for _, ck := range present {
		hash, ok := strings.CutPrefix(ck.Name, prefix)
		if !ok || !isTxHash(hash) || seen[ck.Name] {
			continue
		}
		seen[ck.Name] = true
		_, iat, err := c.read(present, ck.Name)
		if err != nil || c.now().Sub(iat) > o.MaxAge {
			clearCookies(w, present, ck.Name, o)
			continue
		}
		live = append(live, tx{ck.Name, iat})
	}
	slices.SortFunc(live, func(a, b tx) int {
		if d := a.iat.Compare(b.iat); d != 0 {
			return d
		}
		return strings.Compare(a.name, b.name)
	})
	for len(live) > room {
		clearCookies(w, present, live[0].name, o)
		live = live[1:]
	}
}

// isTxHash reports whether s is txHashLen lowercase hex digits, as
// transactionBase makes them.
func isTxHash(s string) bool {
	if len(s) != txHashLen {
		return false
	}
	for _, b := range []byte(s) {
		if (b < '0' || b > '9') && (b < 'a' || b > 'f') {
			return false
		}
	}
	return true
}

// TakeTransaction returns the transaction stored for state and clears its
// cookie whatever the outcome: it is single-use, so a replayed callback
// finds nothing (B3). It returns ErrNoCookie when there is none, and an
// error wrapping ErrInvalid when it does not decode or is older than the
// transaction's Max-Age; pass the same o as to StartTransaction.
func (c *Codec) TakeTransaction(w http.ResponseWriter, r *http.Request, base, state string, o CookieOptions) ([]byte, error) {
	o = transactionOptions(o)
	present := requestCookies(r)
	name := o.Name(transactionBase(base, state))
	clearCookies(w, present, name, o)
	plaintext, iat, err := c.read(present, name)
	if err != nil {
		return nil, err
	}
	if c.now().Sub(iat) > o.MaxAge {
		return nil, fmt.Errorf("%w: transaction expired", ErrInvalid)
	}
	return plaintext, nil
}

// ClearTransactions expires every transaction cookie of base in r, as
// StartTransaction named them, with the attributes they were set with
// (F4): a sign-out leaves no login in flight behind. Pass the same o as to
// StartTransaction.
func ClearTransactions(w http.ResponseWriter, r *http.Request, base string, o CookieOptions) {
	o = transactionOptions(o)
	present := requestCookies(r)
	prefix := o.Name(base) + "_"
	seen := map[string]bool{}
	for _, ck := range present {
		hash, ok := strings.CutPrefix(ck.Name, prefix)
		if ok && isTxHash(hash) && !seen[ck.Name] {
			seen[ck.Name] = true
			clearCookies(w, present, ck.Name, o)
		}
	}
}
