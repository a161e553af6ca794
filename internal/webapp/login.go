package webapp

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// routingHints are Scalekit's authorize parameters that /api/auth/login
// passes through from its own query (scalekit-contract.md §4).
var routingHints = []string{"organization_id", "connection_id", "login_hint", "domain_hint", "provider"}

// handleLogin handles GET /api/auth/login: a fresh state, nonce and PKCE
// verifier in an encrypted one-time transaction cookie, then a redirect
// to Scalekit's authorize endpoint.
func (a *App) handleLogin(w http.ResponseWriter, r *http.Request) {
	p := a.idp.Load()
	if p == nil {
		a.fail(w, r, errIdPUnavailable, "discovery not done")
		return
	}
	tx := transaction{
		State:    randomString(), // 256 bits (A1)
		Nonce:    randomString(), // A2
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: safeReturnTo(returnTo(r)), // H1, kept in the cookie (H2)
	}
	b, _ := json.Marshal(tx)
	// A new login replaces whatever session the browser had (A8). Only a
	// login started from the app itself clears it at once: another site
	// could otherwise sign the user out by linking here (G1). Any login
	// still replaces the session at the callback.
	if a.sameOrigin(r) {
		a.clearSession(w, r)
	}
	if err := a.codec.StartTransaction(w, r, txCookie, tx.State, a.txOptions(), maxParallelTx, b); err != nil {
		a.fail(w, r, failure{http.StatusInternalServerError, "Sign-in failed", "The sign-in could not start. Please try again.", tryAgain}, safeReason(err))
		return
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(tx.Nonce), oauth2.S256ChallengeOption(tx.Verifier)} // A3: S256 only
	q := r.URL.Query()
	for _, name := range routingHints {
		if v := q[name]; len(v) == 1 && v[0] != "" && len(v[0]) <= 256 {
			opts = append(opts, oauth2.SetAuthURLParam(name, v[0]))
			if name == "domain_hint" {
				// The SDKs send both names with one value (contract §4).
				opts = append(opts, oauth2.SetAuthURLParam("domain", v[0]))
			}
		}
	}
	// The redirect URI comes from configuration only, never from Host or
	// X-Forwarded-* (A6); p.oauth holds it.
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(tx.State, opts...), http.StatusFound)
}

// defaultReturnTo is where a sign-in lands when it names no return_to:
// the dashboard, as the README promises (and the guide does).
const defaultReturnTo = "/dashboard"

// returnTo is the login's return_to, or the dashboard when it has none.
// A return_to that safeReturnTo refuses still falls back to "/" (H1).
func returnTo(r *http.Request) string {
	if rt := r.URL.Query().Get("return_to"); rt != "" {
		return rt
	}
	return defaultReturnTo
}

func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
