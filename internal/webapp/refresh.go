package webapp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshResultTTL is how long a refresh's outcome is kept for requests
// that arrive late with the same, now rotated-out, refresh token (E5).
const refreshResultTTL = time.Minute

// refresher makes exactly one refresh call per refresh token however many
// requests arrive with it at once, and hands every one of them the same
// result (E5). Scalekit's refresh tokens are single-use: a second call
// would fail and, worse, could log the user out.
type refresher struct {
	mu    sync.Mutex
	calls map[[32]byte]*refreshCall
}

type refreshCall struct {
	done    chan struct{}
	result  *tokens
	err     error
	expires time.Time // zero while in flight
}

func (rf *refresher) init() { rf.calls = map[[32]byte]*refreshCall{} }

// do runs fn once per refresh token. A transient failure is not kept, so
// the next request tries again; a success or a fatal failure is kept for
// refreshResultTTL.
func (rf *refresher) do(refreshToken string, now func() time.Time, fn func() (*tokens, error)) (*tokens, error) {
	key := sha256.Sum256([]byte(refreshToken))
	rf.mu.Lock()
	if c, ok := rf.calls[key]; ok && (c.expires.IsZero() || now().Before(c.expires)) {
		rf.mu.Unlock()
		<-c.done
		return c.result, c.err
	}
	for k, c := range rf.calls {
		if !c.expires.IsZero() && !now().Before(c.expires) {
			delete(rf.calls, k)
		}
	}
	c := &refreshCall{done: make(chan struct{})}
	rf.calls[key] = c
	rf.mu.Unlock()

	c.result, c.err = fn()
	rf.mu.Lock()
	if errors.Is(c.err, errUnverifiable) {
		delete(rf.calls, key)
	} else {
		c.expires = now().Add(refreshResultTTL)
	}
	rf.mu.Unlock()
	close(c.done)
	return c.result, c.err
}

// refreshTokens redeems the refresh token (E1) and checks what comes back
// as at sign-in: the new ID token fully but for nonce, with the same iss,
// sub and aud as the old one (E2), and the new access token (D1, D2). An
// invalid_grant or invalid_client ends the session; anything else is
// transient and keeps it (E4).
func (a *App) refreshTokens(ctx context.Context, p *idp, old *tokens) (*tokens, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.client.Timeout)
	defer cancel()
	src := p.oauth.TokenSource(a.oauthContext(ctx), &oauth2.Token{RefreshToken: old.Refresh, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		if code, _ := oauthErrorCode(err); code == "invalid_grant" || code == "invalid_client" {
			return nil, fmt.Errorf("refresh: %s: %w", code, errInvalid)
		}
		return nil, fmt.Errorf("refresh: %w: %w", errUnverifiable, err)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, fmt.Errorf("refresh: token_type %q: %w", tok.TokenType, errInvalid)
	}
	// x/oauth2 keeps the old refresh token when the answer has none (E3).
	next := &tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: old.ID}
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		_, c, err := a.verifyIDToken(ctx, p, raw, "", tok.AccessToken)
		if err != nil {
			return nil, fmt.Errorf("refresh: %w", err)
		}
		var prev idClaims
		if err := decodeSegment(strings.Split(old.ID, ".")[1], &prev); err != nil || prev.Subject != c.Subject || strings.Join(prev.Audience, " ") != strings.Join(c.Audience, " ") {
			return nil, fmt.Errorf("refresh: the new ID token is for another subject or audience: %w", errInvalid)
		}
		next.ID = raw
	}
	if _, _, err := a.verifyAccessToken(ctx, p, next.Access); err != nil {
		return nil, fmt.Errorf("refresh: new %w", err)
	}
	return next, nil
}
