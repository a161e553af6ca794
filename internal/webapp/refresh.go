package webapp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/servemetrics"
	"golang.org/x/oauth2"
)

// refreshResultTTL is how long a refresh's outcome is kept for requests
// that arrive late with the same, now rotated-out, refresh token (E5).
const refreshResultTTL = time.Minute

// errRefreshRefused is a refresh the IdP refused with an error other than
// invalid_grant or invalid_client: the session is kept (E4), but retrying
// at once would only be refused again.
var errRefreshRefused = errors.New("refresh refused")

// refresher makes exactly one refresh call per refresh token however many
// requests arrive with it at once, and hands every one of them the same
// result (E5). Scalekit's refresh tokens are single-use: a second call
// would fail and, worse, could log the user out.
type refresher struct {
	mu      sync.Mutex
	calls   map[[32]byte]*refreshCall
	metrics *servemetrics.Metrics // counts the requests that adopt a result
}

type refreshCall struct {
	done    chan struct{}
	result  *tokens
	err     error
	expires time.Time // zero while in flight
}

func (rf *refresher) init(m *servemetrics.Metrics) {
	rf.calls, rf.metrics = map[[32]byte]*refreshCall{}, m
}

// do runs redeem once per refresh token. A transient failure, or a result
// that kept the refresh token (the IdP did not rotate it), is not kept,
// so the next request tries again; anything else is kept for
// refreshResultTTL. A waiter gives up when its own request ends. A panic
// in redeem is a transient failure (errUnverifiable) for the caller and
// every waiter alike: none of them gets a nil result without an error.
func (rf *refresher) do(ctx context.Context, refreshToken string, now func() time.Time, redeem func() (*tokens, error)) (result *tokens, err error) {
	key := sha256.Sum256([]byte(refreshToken))
	rf.mu.Lock()
	if c, ok := rf.calls[key]; ok && (c.expires.IsZero() || now().Before(c.expires)) {
		rf.mu.Unlock()
		select {
		case <-c.done:
			rf.metrics.RefreshAdopted(servemetrics.AdoptedFromRequest)
			return c.result, c.err
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a refresh: %w: %w", errUnverifiable, ctx.Err())
		}
	}
	for k, c := range rf.calls {
		if !c.expires.IsZero() && !now().Before(c.expires) {
			delete(rf.calls, k)
		}
	}
	c := &refreshCall{done: make(chan struct{})}
	rf.calls[key] = c
	rf.mu.Unlock()

	// However redeem ends, even by a panic, the waiters are released and
	// the entry settles: a stuck entry would block this session forever.
	// The leader's own results are set here too, so that after a panic it
	// returns the error rather than (nil, nil).
	defer func() {
		if v := recover(); v != nil {
			c.result, c.err = nil, fmt.Errorf("refresh panicked: %v: %w", v, errUnverifiable)
		}
		rf.mu.Lock()
		// A transient failure is not kept, so the next request tries
		// again. Nor is a result that kept the refresh token (an IdP that
		// does not rotate): the token is still good, and a request after
		// the result's access token expires must refresh anew, not be
		// handed that expired result.
		if errors.Is(c.err, errUnverifiable) || (c.err == nil && c.result != nil && c.result.Refresh == refreshToken) {
			delete(rf.calls, key)
		} else {
			c.expires = now().Add(refreshResultTTL)
		}
		rf.mu.Unlock()
		close(c.done)
		result, err = c.result, c.err
	}()
	c.result, c.err = redeem()
	if c.result == nil && c.err == nil {
		c.err = fmt.Errorf("refresh returned no tokens: %w", errUnverifiable)
	}
	return c.result, c.err
}

// redeem redeems the refresh token (E1) and returns what came back,
// unverified. invalid_grant or invalid_client ends the session; another
// refusal keeps it (errRefreshRefused); a network or server failure is
// transient (E4).
func (a *App) redeem(ctx context.Context, p *idp, old *tokens) (*tokens, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.client.Timeout)
	defer cancel()
	src := p.oauth.TokenSource(a.oauthContext(ctx), &oauth2.Token{RefreshToken: old.Refresh, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		code, status := oauthErrorCode(err)
		switch {
		case code == "invalid_grant" || code == "invalid_client":
			return nil, fmt.Errorf("refresh: %s: %w", code, errInvalid)
		case status >= 400 && status < 500:
			return nil, fmt.Errorf("refresh: %s: %w", safeReason(err), errRefreshRefused)
		}
		return nil, fmt.Errorf("refresh: %w: %w", errUnverifiable, err)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, fmt.Errorf("refresh: token_type %q: %w", tok.TokenType, errInvalid)
	}
	// x/oauth2 keeps the old refresh token when the answer has none (E3).
	next := &tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: old.ID, Name: old.Name, Email: old.Email}
	next.newID, _ = tok.Extra("id_token").(string)
	next.expiresIn, _ = tok.Extra("expires_in").(float64)
	return next, nil
}

// verifyRefreshed checks redeemed tokens as at sign-in: a new ID token
// fully but for nonce, with the old one's sub and aud (E2), then the
// access token (D1, D2), or an opaque one's expiry (opaque.go). It
// returns the tokens to store, with the profile kept from sign-in. A new ID token
// that cannot be verified now is dropped and the old, verified one kept
// (an ID token is optional on refresh, OIDC Core §12.2): the refresh
// token was already spent, so the tokens must be stored even when the
// keys are unreachable, and the caller then answers 503 (errUnverifiable).
func (a *App) verifyRefreshed(ctx context.Context, p *idp, old, next *tokens) (*tokens, error) {
	out := &tokens{Access: next.Access, Refresh: next.Refresh, ID: old.ID, Name: next.Name, Email: next.Email, Session: old.Session}
	var pending error
	var newIDExpiry time.Time // of a new ID token that verified
	if next.newID != "" {
		idt, c, err := a.verifyIDToken(ctx, p, next.newID, "", next.Access)
		switch {
		case errors.Is(err, errUnverifiable):
			pending = err
		case err != nil:
			return nil, fmt.Errorf("refresh: %w", err)
		default:
			var prev idClaims
			parts := strings.Split(old.ID, ".")
			if len(parts) != 3 || decodeSegment(parts[1], &prev) != nil || prev.Subject != c.Subject ||
				strings.Join(prev.Audience, " ") != strings.Join(c.Audience, " ") {
				return nil, fmt.Errorf("refresh: the new ID token is for another subject or audience: %w", errInvalid)
			}
			out.ID, newIDExpiry = next.newID, idt.Expiry
		}
	}
	if !jwtShaped(out.Access) {
		// Unknown (zero) when neither came: verifyAccess then refuses it.
		if e := opaqueExpiry(a.now(), next.expiresIn, next.expiresIn != 0, newIDExpiry); !e.IsZero() {
			out.Expires = e.Unix()
		}
	}
	if _, _, err := a.verifyAccess(ctx, p, out.Access, out.expiry()); err != nil {
		if !errors.Is(err, errUnverifiable) {
			return nil, fmt.Errorf("refresh: new %w", err)
		}
		pending = err
	}
	return out, pending
}
