package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skctl/skctl/internal/servemetrics"
)

// sharedResultTTL is how long the shared store keeps a refresh's outcome
// for replicas whose requests arrive with the rotated-out refresh token
// after the leader finished (E5). Seconds, not refreshResultTTL's minute:
// the result is a token set, sealed or not, and each replica that
// adopted it keeps it in its own memory for the minute anyway.
const sharedResultTTL = 10 * time.Second

// outcomeClass is how a refresh ended, as the replicas that adopt it
// must end it too.
type outcomeClass string

const (
	outcomeTokens    outcomeClass = "tokens"    // new tokens, to verify
	outcomeInvalid   outcomeClass = "invalid"   // invalid_grant or invalid_client: sign out (errInvalid)
	outcomeRefused   outcomeClass = "refused"   // another refusal: keep the session (errRefreshRefused)
	outcomeTransient outcomeClass = "transient" // the IdP could not answer: try again (errUnverifiable)
)

// sharedOutcome is what the leader of a refresh hands the other
// replicas, sealed with the cookie key: the tokens as the IdP returned
// them, unverified (each replica verifies them as it would its own), or
// how it was refused, with the reason for the logs (never a token).
type sharedOutcome struct {
	Class   outcomeClass `json:"c"`
	Access  string       `json:"a,omitempty"`
	Refresh string       `json:"r,omitempty"`
	NewID   string       `json:"i,omitempty"`
	// ExpiresIn is the answer's expires_in: an opaque access token's
	// only expiry (opaque.go).
	ExpiresIn float64 `json:"e,omitempty"`
	Reason    string  `json:"why,omitempty"`
}

// outcomeOf is the outcome of one redemption of old's refresh token, and
// how long the shared store keeps it: a transient failure is not kept
// (the next request tries again), nor are tokens that kept the refresh
// token (an IdP that does not rotate: the token is still good), as the
// per-process refresher does.
func outcomeOf(next *tokens, err error, oldRefresh string) (sharedOutcome, time.Duration) {
	switch {
	case err == nil && next != nil:
		keep := sharedResultTTL
		if next.Refresh == oldRefresh {
			keep = 0
		}
		return sharedOutcome{Class: outcomeTokens, Access: next.Access, Refresh: next.Refresh, NewID: next.newID, ExpiresIn: next.expiresIn}, keep
	case errors.Is(err, errInvalid):
		return sharedOutcome{Class: outcomeInvalid, Reason: safeReason(err)}, sharedResultTTL
	case errors.Is(err, errRefreshRefused):
		return sharedOutcome{Class: outcomeRefused, Reason: safeReason(err)}, sharedResultTTL
	}
	return sharedOutcome{Class: outcomeTransient, Reason: safeReason(err)}, 0
}

// adopt turns another replica's outcome back into what redeem would have
// returned here.
func (o sharedOutcome) adopt(old *tokens) (*tokens, error) {
	switch o.Class {
	case outcomeTokens:
		if o.Access == "" {
			break
		}
		// The profile from userinfo is the session's own, as redeem keeps it.
		return &tokens{Access: o.Access, Refresh: o.Refresh, ID: old.ID, Session: old.Session, Name: old.Name, Email: old.Email,
			newID: o.NewID, expiresIn: o.ExpiresIn}, nil
	case outcomeInvalid:
		return nil, fmt.Errorf("%s (on another replica): %w", o.Reason, errInvalid)
	case outcomeRefused:
		return nil, fmt.Errorf("%s (on another replica): %w", o.Reason, errRefreshRefused)
	case outcomeTransient:
		return nil, fmt.Errorf("%s (on another replica): %w", o.Reason, errUnverifiable)
	}
	return nil, fmt.Errorf("refresh: another replica's result holds no tokens: %w", errUnverifiable)
}

// redeemShared redeems old's refresh token on exactly one replica of
// all: this one, or another whose outcome it adopts. The outcome travels
// sealed with the cookie key under a name bound to the token's hash, so
// the store sees no token, and a result cannot be moved to another
// token or read as a cookie.
func (a *App) redeemShared(ctx context.Context, p *idp, old *tokens) (*tokens, error) {
	sum := sha256.Sum256([]byte(old.Refresh))
	key := hex.EncodeToString(sum[:])
	name := "skctl_refresh_result " + key
	var led bool
	var own *tokens
	var ownErr error
	sealed, err := a.shared.Refresh(ctx, key, func() ([]byte, time.Duration) {
		led = true
		own, ownErr = a.countRefresh(a.redeem(ctx, p, old))
		out, keep := outcomeOf(own, ownErr, old.Refresh)
		b, _ := json.Marshal(out)
		s, err := a.codec.Encode(name, b)
		if err != nil {
			return nil, 0 // the others take over when the lock expires
		}
		return []byte(s), keep
	})
	if led {
		// The leader keeps its own result and error, with their detail.
		return own, ownErr
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: %w: %w", errUnverifiable, err)
	}
	b, err := a.codec.Decode(name, string(sealed))
	var out sharedOutcome
	if err != nil || json.Unmarshal(b, &out) != nil {
		a.log.Warn("another replica's refresh result does not decrypt: give every replica the same SKCTL_COOKIE_SECRET",
			"request_id", requestID(ctx))
		return nil, fmt.Errorf("refresh: another replica's result does not decrypt: %w", errUnverifiable)
	}
	a.log.Debug("refresh adopted from another replica", "request_id", requestID(ctx), "outcome", string(out.Class))
	a.metrics.RefreshAdopted(servemetrics.AdoptedFromReplica)
	return out.adopt(old)
}
