package webapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// refreshEarly refreshes an access token this long before it expires, as
// x/oauth2 does (E1).
const refreshEarly = 10 * time.Second

// withSession is the middleware of D: it validates the session's access
// token on every request (from the cache when it was verified before),
// refreshes it once when it has expired, and puts the user in the
// context. The four outcomes of D4: valid serves; expired refreshes;
// invalid clears the cookies and serves as signed out; unverifiable (the
// IdP is down) answers 503 and keeps the cookies.
func (a *App) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := a.now()
		t, err := a.readSessionAt(r, now)
		switch {
		case errors.Is(err, errSessionRevoked):
			a.log.Info("session ended", "request_id", requestID(r.Context()), "reason", err.Error())
			a.clearSession(w, r)
		case err != nil:
			a.log.Info("session cookie unreadable: cleared", "request_id", requestID(r.Context()), "reason", safeReason(err))
			a.clearSession(w, r) // F5
		}
		if t == nil {
			next.ServeHTTP(w, r)
			return
		}
		p := a.idp.Load()
		if p == nil {
			a.fail(w, r, errIdPUnavailable, "discovery not done")
			return
		}
		u, err := a.authenticate(w, r, p, t, now)
		switch {
		case err == nil:
			r = r.WithContext(withUser(r.Context(), u))
		case errors.Is(err, errUnverifiable):
			a.fail(w, r, unverifiableFailure(err), safeReason(err))
			return
		case errors.Is(err, errRefreshRefused):
			a.fail(w, r, failure{http.StatusBadGateway, "Your session could not be renewed",
				"The sign-in service refused to renew your session. Sign in again to continue.", signInAgain}, safeReason(err))
			return
		default:
			a.log.Info("session ended", "request_id", requestID(r.Context()), "reason", safeReason(err))
			a.clearSession(w, r)
		}
		next.ServeHTTP(w, r)
	})
}

// unverifiableFailure is the 503 (or 504 for a timeout) page of a session
// that cannot be checked now.
func unverifiableFailure(err error) failure {
	f := errIdPUnavailable
	if isTimeout(err) {
		f.status = http.StatusGatewayTimeout
	}
	return f
}

// authenticate returns the session's user, refreshing the tokens (and
// rewriting the cookie) when the access token has expired.
func (a *App) authenticate(w http.ResponseWriter, r *http.Request, p *idp, t *tokens, now time.Time) (*User, error) {
	if t.verified != nil {
		if c := t.verified.Load(); c != nil && now.Before(c.expires) {
			return c.user, nil
		}
	}
	if c := a.verified.get(t.Access, now); c != nil {
		if t.verified != nil {
			t.verified.Store(c)
		}
		return c.user, nil
	}
	u, err := a.userFromTokens(r.Context(), p, t, refreshEarly)
	if !errors.Is(err, errExpired) {
		return u, err
	}
	if t.Refresh == "" {
		return nil, errInvalid
	}
	redeemed, err := a.refresh.do(r.Context(), t.Refresh, a.now, func() (*tokens, error) {
		if a.shared != nil {
			// Counted inside, where this replica redeems: an adopted
			// result is no redemption.
			return a.redeemShared(r.Context(), p, t)
		}
		return a.countRefresh(a.redeem(r.Context(), p, t))
	})
	if err != nil {
		return nil, err
	}
	next, err := a.verifyRefreshed(r.Context(), p, t, redeemed)
	if next == nil {
		return nil, err
	}
	// Stored even when the keys could not be fetched (err is then
	// errUnverifiable): the old refresh token is spent.
	if werr := a.writeSession(w, r, next); werr != nil {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	// Fresh from the IdP: accept it even if it lives less than refreshEarly.
	return a.userFromTokens(r.Context(), p, next, 0)
}

// userFromTokens verifies the access token (or, for an opaque one, its
// stored expiry) and builds the user from it and the ID token. The ID
// token came out of our own encrypted cookie and was verified when
// stored, so its claims are read, not verified again; its sub must still
// match a JWT access token's.
func (a *App) userFromTokens(ctx context.Context, p *idp, t *tokens, early time.Duration) (*User, error) {
	c, exp, err := a.verifyAccess(ctx, p, t.Access, t.expiry())
	if err != nil {
		return nil, err
	}
	if !a.now().Before(exp.Add(-early)) {
		return nil, errExpired
	}
	var id idClaims
	parts := strings.Split(t.ID, ".")
	if len(parts) != 3 || decodeSegment(parts[1], &id) != nil || id.Subject == "" || (c != nil && id.Subject != c.Subject) {
		return nil, errInvalid
	}
	u := newUser(c, &id, t)
	a.verified.put(t.Access, u, exp.Add(-early), a.now())
	return u, nil
}

// newUser is the user of a verified access token (nil when it is opaque),
// its ID token, and the profile the session keeps from userinfo where the
// ID token lacks one.
func newUser(at *atClaims, id *idClaims, t *tokens) *User {
	u := &User{Subject: id.Subject, Email: id.Email, Name: id.Name, OrganizationID: id.OrgID, SessionID: id.SID}
	if at != nil {
		u.Subject, u.SessionID = at.Subject, at.SID
		if at.OrgID != "" {
			u.OrganizationID = at.OrgID
		}
	}
	if u.Name == "" {
		u.Name = t.Name
	}
	if u.Email == "" {
		u.Email = t.Email
	}
	return u
}

// requireUser sends a visitor who is not signed in (or whose session was
// just found invalid, D4) to sign in, and back to this page after: the
// path and query go as return_to, which the login checks (H1) and keeps
// in the transaction cookie (H2).
func requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if UserFrom(r.Context()) == nil {
			http.Redirect(w, r, "/api/auth/login?"+url.Values{"return_to": {r.URL.RequestURI()}}.Encode(), http.StatusFound)
			return
		}
		next(w, r)
	}
}
