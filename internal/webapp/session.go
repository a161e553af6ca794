package webapp

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/skctl/skctl/internal/session"
)

// Cookie names, before the __Host- prefix of https deployments (F1).
const (
	sessionCookie = "skctl_session"
	txCookie      = "skctl_tx"
	maxParallelTx = 5 // logins in flight in several tabs (A5)
)

// tokens are what a session cookie holds. The three tokens travel in one
// encrypted cookie (chunked past 4 KB, F3) so that a refresh replaces them
// together: no request can see a new access token with an old refresh
// token (E5).
type tokens struct {
	Access  string `json:"a"`
	Refresh string `json:"r,omitempty"`
	ID      string `json:"i"`
	// Session is a random ID given at sign-in and kept across refreshes:
	// what a sign-out revokes (G3). Cookies made before it existed lack
	// it; sessionKey then falls back to the tokens' sid.
	Session string `json:"s,omitempty"`
	// Expires is when an opaque access token expires, in Unix seconds;
	// 0 for a JWT, which says so itself (opaque.go).
	Expires int64 `json:"e,omitempty"`
	// Name and Email fill the profile where the ID token lacks them,
	// from userinfo at sign-in, so that no request calls userinfo.
	Name  string `json:"n,omitempty"`
	Email string `json:"m,omitempty"`
	// newID is a refresh's new ID token before it is verified, and
	// expiresIn its answer's expires_in (0 when absent); never stored.
	newID     string
	expiresIn float64
	// key is sessionKey's, worked out once per cookie (the session cache
	// keeps it), so that the revocation check costs one map lookup.
	key       [32]byte
	revocable bool
	// verified, for tokens from the session cache, is its entry's slot
	// for the verified user, so that a signed-in request finds the user
	// without a second lookup keyed by the access token.
	verified *atomic.Pointer[cachedUser]
}

// readSession returns the request's tokens, or nil when there is no
// session. A cookie that does not decrypt counts as none (F5): the caller
// clears it.
//
// A successful read is memoized per Cookie header (sessionCache), so a
// session's cookie is decrypted once, not on every request; what a
// cached read returns is the cache's own copy, shared by concurrent
// requests, so callers must not change it. A session signed out (here or
// on another replica) is errSessionRevoked, looked up in memory on every
// read.
func (a *App) readSession(r *http.Request) (*tokens, error) { return a.readSessionAt(r, a.now()) }

// readSessionAt is readSession at now: the middleware reads the clock
// once per request.
func (a *App) readSessionAt(r *http.Request, now time.Time) (*tokens, error) {
	lines := r.Header["Cookie"]
	memo := len(lines) == 1
	if memo {
		if e := a.sessions.get(lines[0]); e != nil {
			if e.fresh(now) {
				return a.unlessRevoked(&e.tokens, now)
			}
			a.sessions.remove(lines[0])
		}
	}
	b, iat, err := a.codec.ReadIssued(r, sessionCookie, a.cookies)
	if errors.Is(err, session.ErrNoCookie) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t tokens
	if err := json.Unmarshal(b, &t); err != nil || t.Access == "" || t.ID == "" {
		return nil, errors.New("session cookie holds no tokens")
	}
	t.key, t.revocable = sessionKey(&t)
	if memo {
		from, until := a.codec.FreshWindow(iat)
		a.sessions.put(lines[0], t, from, until)
	}
	return a.unlessRevoked(&t, now)
}

// unlessRevoked returns t, or errSessionRevoked when its session was
// signed out.
func (a *App) unlessRevoked(t *tokens, now time.Time) (*tokens, error) {
	if t.revocable && a.revoked.has(t.key, now) {
		return nil, errSessionRevoked
	}
	return t, nil
}

// hasSession reports whether the request carries a session cookie that
// decrypts, without verifying its tokens: enough to tell a signed-in
// browser on pages that must answer even when the IdP cannot.
func (a *App) hasSession(r *http.Request) bool {
	t, err := a.readSession(r)
	return err == nil && t != nil
}

// writeSession replaces the session cookie (A8).
func (a *App) writeSession(w http.ResponseWriter, r *http.Request, t *tokens) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return a.codec.Write(w, r, sessionCookie, a.cookies, b)
}

func (a *App) clearSession(w http.ResponseWriter, r *http.Request) {
	session.Clear(w, r, sessionCookie, a.cookies)
}

// txOptions are the transaction cookie's attributes: at most 10 minutes
// (A5).
func (a *App) txOptions() session.CookieOptions {
	return session.CookieOptions{Secure: a.cookies.Secure, MaxAge: 10 * time.Minute}
}

// transaction is one login in flight, kept in its own encrypted cookie:
// state (A1), nonce (A2), the PKCE verifier (A3) and return_to (H2).
type transaction struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r"`
}
