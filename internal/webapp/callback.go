package webapp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Parameter size caps for the callback (B4): codes and states are far
// smaller in practice.
const (
	maxCodeLen  = 2048
	maxStateLen = 512
)

// callbackErrors maps the IdP's error codes to fixed messages; the IdP's
// error_description is never shown (B1).
var callbackErrors = map[string]failure{
	"access_denied":           {http.StatusForbidden, "Sign-in was cancelled", "The sign-in was cancelled or refused. You can try again.", signInAgain},
	"login_required":          {http.StatusUnauthorized, "Please sign in", "You need to sign in to continue.", signInAgain},
	"temporarily_unavailable": {http.StatusServiceUnavailable, "Sign-in is unavailable", "The sign-in service is busy. Please try again in a moment.", signInAgain},
	"server_error":            {http.StatusBadGateway, "Sign-in failed", "The sign-in service had a problem. Please try again.", signInAgain},
}

var (
	errBadCallback  = failure{http.StatusBadRequest, "Sign-in failed", "The sign-in response was malformed. Please sign in again.", signInAgain}
	errSignInExpiry = failure{http.StatusBadRequest, "Sign-in expired", "This sign-in link has expired or was already used. Please sign in again.", signInAgain}
	errSignInReject = failure{http.StatusBadRequest, "Sign-in failed", "The sign-in could not be verified, so you were not signed in. Please sign in again.", signInAgain}
)

// handleCallback handles GET /api/auth/callback. The order is the point:
// parameters, then the transaction cookie and state (B2) before the code
// is redeemed, then the tokens (B7, C), and only then a session.
func (a *App) handleCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	for _, name := range []string{"code", "state", "error", "iss"} {
		if len(q[name]) > 1 { // B4, RFC 6749 §3.1
			a.fail(w, r, errBadCallback, "repeated parameter "+name)
			return
		}
	}
	state, code := q.Get("state"), q.Get("code")
	if len(code) > maxCodeLen || len(state) > maxStateLen {
		a.fail(w, r, errBadCallback, "oversize parameter")
		return
	}
	// The transaction is single-use whatever happens next (B3).
	var tx transaction
	raw, txErr := a.codec.TakeTransaction(w, r, txCookie, state, a.txOptions())
	if txErr == nil && (json.Unmarshal(raw, &tx) != nil || subtle.ConstantTimeCompare([]byte(tx.State), []byte(state)) != 1) {
		txErr = errors.New("transaction does not match state")
	}
	if e := q.Get("error"); e != "" {
		f, ok := callbackErrors[e]
		if !ok {
			f = failure{http.StatusBadRequest, "Sign-in failed", "The sign-in service refused the sign-in. Please try again.", signInAgain}
		}
		a.fail(w, r, f, "IdP error "+safeCode(e))
		return
	}
	if state == "" || txErr != nil {
		a.fail(w, r, errSignInExpiry, "no transaction for this state")
		return
	}
	p := a.idp.Load()
	if p == nil {
		a.fail(w, r, errIdPUnavailable, "discovery not done")
		return
	}
	// RFC 9207: an iss parameter must name our issuer; it must be present
	// when the IdP says it sends one (B5).
	if iss, sent := q["iss"]; (sent && iss[0] != p.provider.Meta.Issuer) || (!sent && p.provider.Meta.IssParameterSupported) {
		a.fail(w, r, errSignInReject, "iss parameter mismatch")
		return
	}
	if code == "" {
		a.fail(w, r, errBadCallback, "no code")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), a.client.Timeout)
	defer cancel()
	tok, err := p.oauth.Exchange(a.oauthContext(ctx), code, oauth2.VerifierOption(tx.Verifier))
	if err != nil {
		f := idpFailure(err)
		if c, status := oauthErrorCode(err); c == "invalid_grant" {
			f = errSignInExpiry // B6
		} else if status >= 400 && status < 500 {
			f = failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service refused this app's request. Tell the app's operators the reference below: its configuration may be wrong.", tryAgain}
		}
		a.fail(w, r, f, safeReason(err))
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	// expires_in may be absent (RFC 6749 §5.1), but 0 or less means the
	// IdP sent tokens that are already dead (B7).
	expiresIn, hasExpiry := tok.Extra("expires_in").(float64)
	if !strings.EqualFold(tok.TokenType, "bearer") || rawID == "" || (hasExpiry && expiresIn <= 0) { // B7
		a.fail(w, r, failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service sent tokens this app cannot use. Please try again.", tryAgain}, "token response without Bearer type, id_token or a positive expires_in")
		return
	}
	idt, idc, err := a.verifyIDToken(ctx, p, rawID, tx.Nonce, tok.AccessToken)
	if err != nil {
		a.failToken(w, r, err)
		return
	}
	atc, exp, err := a.verifyAccessToken(ctx, p, tok.AccessToken)
	if err != nil {
		a.failToken(w, r, err)
		return
	}
	if atc.Subject != idc.Subject {
		a.failToken(w, r, fmt.Errorf("the access token is for another subject: %w", errInvalid))
		return
	}
	if a.cfg.Userinfo {
		if err := a.checkUserinfo(ctx, p, idt, tok); err != nil {
			a.failToken(w, r, err)
			return
		}
	}
	// Only now, with every check passed, does the browser get a session
	// (C4), replacing any it had (A8).
	if err := a.writeSession(w, r, &tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: rawID}); err != nil {
		a.fail(w, r, failure{http.StatusBadGateway, "Sign-in failed", "Your tokens are too large to keep in cookies. Tell the app's operators the reference below.", tryAgain}, safeReason(err))
		return
	}
	// The tokens were just verified: the session works from this cache
	// until the access token is due for refresh, even if the IdP drops
	// the key meanwhile.
	a.verified.put(tok.AccessToken, newUser(atc, idc), exp.Add(-refreshEarly), a.now())
	a.log.Info("signed in", "request_id", requestID(r.Context()))
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, tx.ReturnTo, http.StatusFound) // B8
}

// checkUserinfo calls the userinfo endpoint with the access token in the
// Authorization header (never the query) and requires its sub to be the ID
// token's (C10): go-oidc's UserInfo does not compare them.
func (a *App) checkUserinfo(ctx context.Context, p *idp, idt *oidc.IDToken, tok *oauth2.Token) error {
	if p.provider.Meta.UserinfoEndpoint == "" {
		return fmt.Errorf("userinfo: the IdP has no userinfo endpoint: %w", errInvalid)
	}
	info, err := p.provider.UserInfo(oidc.ClientContext(ctx, a.client), oauth2.StaticTokenSource(tok))
	switch {
	case err != nil && (isTimeout(err) || isNetwork(err)):
		return fmt.Errorf("userinfo: %w", errUnverifiable)
	case err != nil:
		return fmt.Errorf("userinfo: %w", errInvalid)
	case info.Subject != idt.Subject:
		return fmt.Errorf("userinfo sub differs from the ID token sub: %w", errInvalid)
	}
	return nil
}

// failToken renders a token that did not verify: 503 when the keys could
// not be fetched, else a refusal.
func (a *App) failToken(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnverifiable) {
		a.fail(w, r, unverifiableFailure(err), safeReason(err))
		return
	}
	a.fail(w, r, errSignInReject, safeReason(err))
}

// safeCode keeps an IdP error code fit for a log line.
func safeCode(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '_' {
			return r
		}
		return '?'
	}, s)
}
