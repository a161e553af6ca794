package webapp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/skctl/skctl/internal/servemetrics"
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
	// errTokenTooShort: the IdP's session would end before the next page
	// (or this machine's clock is ahead of the IdP's).
	errTokenTooShort = failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service issued a session that ends at once, so you were not signed in. Check that this machine's clock is right; if it is, tell the app's operators the reference below.", nil}
)

// handleCallback handles GET /api/auth/callback. The order is the point:
// parameters, then the transaction cookie and state (B2), then the
// transaction is consumed once and for all before the code is redeemed
// (B3), then the tokens (B7, C), and only then a session.
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
	// The transaction cookie is cleared whatever happens next (B3).
	var tx transaction
	raw, txErr := a.codec.TakeTransaction(w, r, txCookie, state, a.txOptions())
	if txErr == nil && (json.Unmarshal(raw, &tx) != nil || subtle.ConstantTimeCompare([]byte(tx.State), []byte(state)) != 1) {
		txErr = errors.New("transaction does not match state")
	}
	if state == "" || txErr != nil {
		if e := q.Get("error"); e != "" { // B1: the IdP's refusal, whatever the transaction
			a.fail(w, r, callbackError(e), "IdP error "+safeCode(e))
			return
		}
		a.fail(w, r, errSignInExpiry, "no transaction for this state")
		return
	}
	// The cookie alone is not single-use: a browser that sends the
	// redirect back twice before it reads an answer carries it twice. The
	// consumed set lets one callback per transaction go on; the others
	// wait for its outcome.
	res, replay := a.consumed.once(r.Context(), state, a.now, a.txOptions().MaxAge, func() *callbackResult {
		if !a.claimTransaction(r.Context(), state) {
			return &callbackResult{fail: errSignInExpiry, reason: "transaction already used on another replica", elsewhere: true}
		}
		res := a.finishCallback(r, q, &tx)
		if res != nil {
			res.code = sha256.Sum256([]byte(q.Get("code")))
		}
		return res
	})
	switch {
	case res == nil: // a replay whose browser went away while it waited
		return
	case replay:
		a.replayedCallback(w, r, res, &tx, q.Get("code"))
		return
	case res.elsewhere && a.hasSession(r):
		// The first callback's answer, on the other replica, reached the
		// browser: it is signed in, so it goes where it was going.
		a.log.Info("callback replayed", "request_id", requestID(r.Context()), "outcome", "already signed in, on another replica")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, tx.ReturnTo, http.StatusFound)
		return
	case !res.signedIn:
		a.fail(w, r, res.fail, res.reason)
		return
	}
	// Only now, with every check passed, does the browser get a session
	// (C4), replacing any it had (A8).
	if !a.startSession(w, r, res) {
		return
	}
	// The tokens were just verified: the session works from this cache
	// until the access token is due for refresh, even if the IdP drops
	// the key meanwhile.
	a.verified.put(res.tokens.Access, res.user, res.due, a.now())
	a.log.Info("signed in", "request_id", requestID(r.Context()))
	a.metrics.SignIn(servemetrics.SignInSuccess)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, tx.ReturnTo, http.StatusFound) // B8
}

// finishCallback is the part of a callback that runs once per
// transaction: the IdP's answer, the code's redemption and the tokens'
// checks. It runs on the request's values but not its cancellation: a
// browser that drops the first answer to send the redirect again must
// find the code redeemed, not abandoned half-way, and the timeout still
// bounds it (I1).
func (a *App) finishCallback(r *http.Request, q url.Values, tx *transaction) *callbackResult {
	failed := func(f failure, reason string) *callbackResult { return &callbackResult{fail: f, reason: reason} }
	if e := q.Get("error"); e != "" {
		return failed(callbackError(e), "IdP error "+safeCode(e))
	}
	p := a.idp.Load()
	if p == nil {
		return failed(errIdPUnavailable, "discovery not done")
	}
	// RFC 9207: an iss parameter must name our issuer; it must be present
	// when the IdP says it sends one (B5).
	if iss, sent := q["iss"]; (sent && iss[0] != p.provider.Meta.Issuer) || (!sent && p.provider.Meta.IssParameterSupported) {
		return failed(errSignInReject, "iss parameter mismatch")
	}
	code := q.Get("code")
	if code == "" {
		return failed(errBadCallback, "no code")
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), a.client.Timeout)
	defer cancel()
	tok, err := p.oauth.Exchange(a.oauthContext(ctx), code, oauth2.VerifierOption(tx.Verifier))
	if err != nil {
		f := idpFailure(err)
		if c, status := oauthErrorCode(err); c == "invalid_grant" {
			f = errSignInExpiry // B6
		} else if status >= 400 && status < 500 {
			f = failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service refused this app's request. Tell the app's operators the reference below: its configuration may be wrong.", tryAgain}
		}
		return failed(f, safeReason(err))
	}
	rawID, _ := tok.Extra("id_token").(string)
	// expires_in may be absent (RFC 6749 §5.1), but 0 or less means the
	// IdP sent tokens that are already dead (B7).
	expiresIn, hasExpiry := tok.Extra("expires_in").(float64)
	if !strings.EqualFold(tok.TokenType, "bearer") || rawID == "" || (hasExpiry && expiresIn <= 0) { // B7
		return failed(failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service sent tokens this app cannot use. Please try again.", tryAgain}, "token response without Bearer type, id_token or a positive expires_in")
	}
	idt, idc, err := a.verifyIDToken(ctx, p, rawID, tx.Nonce, tok.AccessToken)
	if err != nil {
		return failed(tokenFailure(err), safeReason(err))
	}
	t := &tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: rawID, Session: randomString()}
	var opaque time.Time
	if !jwtShaped(tok.AccessToken) {
		opaque = opaqueExpiry(a.now(), expiresIn, hasExpiry, idt.Expiry)
		t.Expires = opaque.Unix()
	}
	atc, exp, err := a.verifyAccess(ctx, p, tok.AccessToken, opaque)
	if err != nil {
		return failed(tokenFailure(err), safeReason(err))
	}
	if atc != nil && atc.Subject != idc.Subject {
		err := fmt.Errorf("the access token is for another subject: %w", errInvalid)
		return failed(tokenFailure(err), safeReason(err))
	}
	// userinfo is asked when configured (C10), and when the ID token
	// names nobody (neither name nor email, as some providers keep the
	// profile in userinfo only): its answer fills the cookie's profile.
	if a.cfg.Userinfo || (idc.Name == "" && idc.Email == "" && p.provider.Meta.UserinfoEndpoint != "") {
		info, err := a.checkUserinfo(ctx, p, idt, tok)
		if err != nil {
			return failed(tokenFailure(err), safeReason(err))
		}
		if idc.Name == "" {
			t.Name = info.Name
		}
		if idc.Email == "" {
			t.Email = info.Email
		}
	}
	due := exp.Add(-refreshEarly)
	if !due.After(a.now()) && tok.RefreshToken == "" {
		// A session invalid as soon as it is made (a token within the
		// refresh margin, or a clock ahead) and nothing to renew it with:
		// the next page would end it and sign in again, and the IdP's
		// single sign-on would send the browser round for ever.
		return failed(errTokenTooShort, "access token expires within the refresh margin, and no refresh token")
	}
	return &callbackResult{signedIn: true, tokens: t, user: newUser(atc, idc, t), due: due}
}

// claimTransaction claims the transaction of state across the replicas
// before its code is redeemed: false when another replica claimed it
// first. Without a shared store (or while it is down) it is true, and
// the consumed set alone keeps the transaction single-use (B3).
func (a *App) claimTransaction(ctx context.Context, state string) bool {
	if a.shared == nil {
		return true
	}
	sum := sha256.Sum256([]byte("transaction " + state))
	return a.shared.Claim(ctx, hex.EncodeToString(sum[:]), a.txOptions().MaxAge)
}

// startSession writes the session cookie of a sign-in; on failure it
// answers the error page and returns false.
func (a *App) startSession(w http.ResponseWriter, r *http.Request, res *callbackResult) bool {
	if err := a.writeSession(w, r, res.tokens); err != nil {
		a.fail(w, r, failure{http.StatusBadGateway, "Sign-in failed", "Your tokens are too large to keep in cookies. Tell the app's operators the reference below.", tryAgain}, safeReason(err))
		return false
	}
	return true
}

// replayedCallback answers a callback whose transaction another request
// already used. Within callbackShareTTL of a sign-in, a replay carrying the
// same code gets that sign-in's session: the browser may have dropped the
// first answer, cookie and all.
// Later, a browser that is signed in goes where it was going; any other
// replay is refused, and never redeems the code again.
func (a *App) replayedCallback(w http.ResponseWriter, r *http.Request, res *callbackResult, tx *transaction, code string) {
	id := requestID(r.Context())
	sum := sha256.Sum256([]byte(code))
	sameCode := subtle.ConstantTimeCompare(sum[:], res.code[:]) == 1
	switch {
	case res.signedIn && res.tokens != nil && sameCode:
		if !a.startSession(w, r, res) {
			return
		}
		a.log.Info("callback replayed", "request_id", id, "outcome", "the session of its first use")
	case res.signedIn && a.hasSession(r):
		a.log.Info("callback replayed", "request_id", id, "outcome", "already signed in")
	default:
		a.fail(w, r, errSignInExpiry, "transaction already used")
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, tx.ReturnTo, http.StatusFound)
}

// callbackError is the page of an error the IdP sent back (B1).
func callbackError(code string) failure {
	if f, ok := callbackErrors[code]; ok {
		return f
	}
	return failure{http.StatusBadRequest, "Sign-in failed", "The sign-in service refused the sign-in. Please try again.", signInAgain}
}

// profile is what serve shows of userinfo's answer.
type profile struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// checkUserinfo calls the userinfo endpoint with the access token in the
// Authorization header (never the query) and requires its sub to be the ID
// token's (C10): go-oidc's UserInfo does not compare them. It returns the
// profile the answer holds.
func (a *App) checkUserinfo(ctx context.Context, p *idp, idt *oidc.IDToken, tok *oauth2.Token) (*profile, error) {
	if p.provider.Meta.UserinfoEndpoint == "" {
		return nil, fmt.Errorf("userinfo: the IdP has no userinfo endpoint: %w", errInvalid)
	}
	info, err := p.provider.UserInfo(oidc.ClientContext(ctx, a.client), oauth2.StaticTokenSource(tok))
	var pr profile
	switch {
	case err != nil && (isTimeout(err) || isNetwork(err)):
		return nil, fmt.Errorf("userinfo: %w", errUnverifiable)
	case err != nil:
		return nil, fmt.Errorf("userinfo: %w", errInvalid)
	case info.Subject != idt.Subject:
		return nil, fmt.Errorf("userinfo sub differs from the ID token sub: %w", errInvalid)
	case info.Claims(&pr) != nil:
		return nil, fmt.Errorf("userinfo claims: %w", errInvalid)
	}
	return &pr, nil
}

// tokenFailure is the page of a token that did not verify: 503 when the
// keys could not be fetched, else a refusal.
func tokenFailure(err error) failure {
	if errors.Is(err, errUnverifiable) {
		return unverifiableFailure(err)
	}
	return errSignInReject
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
