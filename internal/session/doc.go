// Package session stores values in encrypted, authenticated cookies: the
// tokens of a signed-in user and the short-lived transactions of logins in
// progress.
//
// A Codec seals each value with AES-256-GCM under the cookie's name (F2),
// sets it with the attributes F1 requires, splits values too large for one
// cookie into at most five (F3), and clears every cookie it may have set
// (F4). Anything malformed is an error wrapping ErrInvalid, never a panic
// (F5), so callers can treat it as "no session". The package knows nothing
// of OIDC: callers marshal their own values.
package session

import "errors"

// ErrInvalid is wrapped by every error caused by a cookie's contents: bad
// encoding, a wrong key, tampering, expiry or an inconsistent chunk set.
// Callers treat it as no session and clear the cookie (F5).
var ErrInvalid = errors.New("session: invalid cookie")

// ErrNoCookie reports that the request carries no cookie of that name.
var ErrNoCookie = errors.New("session: no cookie")

// ErrTooLarge reports a value that would need more than five cookies (F3).
// Nothing is set, so the caller can show a clear error instead of looping
// through logins with a silently dropped cookie.
var ErrTooLarge = errors.New("session: value too large for the cookie limit")
