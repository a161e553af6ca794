package fault

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// RequirePKCE reports whether the environment requires PKCE S256 from
// every client (authz.require_pkce).
func (e *Env) RequirePKCE(client string) bool { return e.faults.On(AuthzRequirePKCE, client) }

// PlainRefused notes a refused code_challenge_method=plain: the mock
// always refuses it, so authz.reject_plain changes nothing but uses up its
// count here. It is kept for the scenario names.
func (e *Env) PlainRefused(client string) { e.faults.On(AuthzRejectPlain, client) }

// AuthorizeError is the error authz.error sends back instead of a code,
// with an XSS payload as its description unless the mode gives one.
func (e *Env) AuthorizeError(client string) *wire.Error {
	p, ok := e.faults.Take(AuthzError, client)
	if !ok {
		return nil
	}
	code, desc, hasDesc := strings.Cut(p, "&desc=")
	if !hasDesc {
		desc = `<script>alert("skctl")</script>`
	}
	return &wire.Error{Code: code, Description: desc}
}

// Code returns the code to send: 16 KB long under authz.huge_code.
func (e *Env) Code(code, client string) string {
	if e.faults.On(AuthzHugeCode, client) {
		return strings.Repeat(code, 16<<10/len(code))
	}
	return code
}

// InjectedLogin is the nonce and PKCE challenge to bind the code to:
// those of the login, or under authz.code_injection those of a login an
// attacker ran, whose code lands in the victim's callback: another nonce,
// and another challenge when the victim's login sent one. A login without
// PKCE gets a code without a challenge, as the attacker's own login would
// have, so that the exchange succeeds and only the app's nonce check can
// catch the swap.
func (e *Env) InjectedLogin(nonce, challenge, client string) (string, string) {
	if !e.faults.On(AuthzCodeInjection, client) {
		return nonce, challenge
	}
	nonce = "nonce-of-another-login-" + ids.Suffix()
	if challenge != "" {
		sum := sha256.Sum256([]byte(ids.Token())) // a verifier the app never saw
		challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return nonce, challenge
}

// CallbackParams changes the parameters of the redirect back to the app
// as the authz.* modes say. RFC 9207's iss is sent only when discovery
// says so (discovery.iss_param_supported): Scalekit does not send it.
func (e *Env) CallbackParams(q url.Values, client string) {
	if !e.faults.Any() {
		return
	}
	on := func(m Mode) bool { return e.faults.On(m, client) }
	code, state := q.Get("code"), q.Get("state")
	if e.faults.Has(DiscoveryIssParamSupported) && !on(AuthzIssMissing) {
		q.Set("iss", e.issuer)
	}
	if on(AuthzIssWrong) {
		q.Set("iss", "https://evil.example")
	}
	if on(AuthzNoCode) {
		q.Del("code")
	}
	if on(AuthzNoState) {
		q.Del("state")
	}
	if on(AuthzWrongState) {
		q.Set("state", "state-the-app-never-sent")
	}
	if on(AuthzDuplicateParams) {
		q["code"] = []string{code, ids.Token()}
		q["state"] = []string{state, "second-state"}
	}
}
