package conformance

import (
	"context"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/report"
)

// rpTests are the OpenID Foundation's RP certification rows that apply to
// a web app signing in with the code flow against one running mock: each
// arms the row's mode for the app's client at runtime. The rows that need
// the app restarted against another issuer (discovery's issuer mismatch,
// a random jwks_uri) are left to scenario environments.
func rpTests() []Test {
	idt := func(id, mode, bad, fix string) Test {
		// "the ID token has no sub" proves "… whose ID token has no sub";
		// "the ID token's nonce is …" proves "… whose ID token's nonce is …".
		return Test{ID: id, Group: GroupRP, Arms: []string{mode}, Expect: Refused, Bad: bad, Fix: fix,
			Proves: "the app refuses a sign-in whose " + strings.TrimPrefix(bad, "the "),
			Source: certification(id) + "; OpenID Connect Core §3.1.3.7"}
	}
	sig := "Verify the ID token's signature with the key set's key of its kid, allowing RS256 only (as Scalekit signs)."
	tests := []Test{
		{ID: "rp-response_type-code", Group: GroupRP, Expect: SignedIn,
			Proves: "a plain sign-in works: the code flow with openid in the scope, the code exchanged, the tokens accepted",
			Source: "OpenID RP certification rp-response_type-code; OpenID Connect Core §3.1",
			Fix:    "Make a plain sign-in work first: every other test builds on it.",
			run:    (*run).baselineTest},
		idt("rp-id_token-issuer-mismatch", "idt.iss_wrong", "the ID token names another issuer", "Compare the ID token's iss with the environment URL exactly."),
		idt("rp-id_token-aud", "idt.aud_wrong", "the ID token is for another client", "Check that the ID token's aud contains the client ID."),
		idt("oidcc-client-test-missing-aud", "idt.aud_missing", "the ID token has no aud", "Refuse an ID token without aud: it must contain the client ID."),
		idt("rp-id_token-sub", "idt.sub_missing", "the ID token has no sub", "Refuse an ID token without sub."),
		idt("rp-id_token-iat", "idt.iat_missing", "the ID token has no iat", "Refuse an ID token without iat."),
		idt("rp-nonce-invalid", "idt.nonce_wrong", "the ID token's nonce is not the one the app sent", "Keep the nonce sent with the login and compare it with the ID token's nonce."),
		idt("rp-id_token-sig-none", "idt.alg_none", "the ID token is unsigned (alg none)", sig),
		idt("rp-id_token-bad-sig-rs256", "idt.sig_bad_rs256", "the ID token's RS256 signature is made with another key", sig),
		idt("rp-id_token-bad-sig-hs256", "idt.alg_hs256", "the ID token is HS256, keyed with the client secret", sig),
		idt("rp-id_token-bad-sig-hs256-pubkey", "idt.alg_hs256=pubkey", "the ID token is HS256, keyed with the RSA public key (algorithm confusion)", sig),
		idt("rp-id_token-bad-sig-es256", "idt.sig_bad_es256", "the ID token is ES256 with a bad signature", sig),
		idt("rp-id_token-malformed", "idt.malformed=json", "the ID token is not a JWS (its payload is not JSON)", "Refuse an ID token that does not parse as a signed JWT."),
		{ID: "rp-id_token-kid-absent-single-jwks", Group: GroupRP, Arms: []string{"idt.kid_absent_single"}, Expect: SignedIn,
			Proves: "the app accepts an ID token without kid when the key set holds a single key",
			Source: "OpenID RP certification rp-id_token-kid-absent-single-jwks; OpenID Connect Core §10.1",
			Fix:    "With no kid in the header and one key in the set, verify with that key."},
		{ID: "rp-id_token-kid-absent-multiple-jwks", Group: GroupRP, Arms: []string{"idt.kid_absent_multi"},
			Proves: "an ID token without kid among several keys is either verified against each key or refused, never a crash",
			Source: "OpenID RP certification rp-id_token-kid-absent-multiple-jwks; OpenID Connect Core §10.1",
			Fix:    "Try each key of the set, or refuse with an error page; never answer 5xx.",
			run:    func(r *run, ctx context.Context) verdict { return r.expectEither(ctx) }},
		{ID: "rp-id_token-bad-at_hash", Group: GroupRP, Arms: []string{"idt.at_hash_wrong"},
			Proves: "an ID token whose at_hash does not match is refused, or ignored as the code flow allows, never a crash",
			Source: "OpenID RP certification rp-id_token-bad-at_hash; OpenID Connect Core §3.1.3.8 (at_hash is optional in the code flow)",
			Fix:    "Check at_hash when present, or ignore it; never answer 5xx.",
			run:    func(r *run, ctx context.Context) verdict { return r.expectEither(ctx) }},
		{ID: "rp-userinfo-bad-sub-claim", Group: GroupRP, Arms: []string{"userinfo.sub_mismatch"}, Expect: Refused,
			Bad:    "userinfo answered for another sub than the ID token's",
			Proves: "an app that calls userinfo refuses an answer for another user than the ID token's",
			Source: "OpenID RP certification rp-userinfo-bad-sub-claim; OpenID Connect Core §5.3.2",
			Fix:    "Compare userinfo's sub with the ID token's sub before using its claims.",
			run:    (*run).userinfoSubTest},
		// The rows that rotate the key run after every other test (Tests),
		// in this order: this one first, as it needs a first sign-in with
		// the key the app already knows, which an app that missed an
		// earlier rotation cannot make.
		{ID: "rp-key-rotation-op-sign-key", Group: GroupRP, Rotates: true, Arms: []string{"jwks.rotate_after_first_token"},
			Proves: "after the signing key changes, with both keys published, a second sign-in works",
			Source: "OpenID RP certification rp-key-rotation-op-sign-key; OpenID Connect Core §10.1.1",
			Fix:    "When a token's kid is not in the cached key set, fetch the key set again (once, rate-limited).",
			run:    (*run).rotationAfterFirstTokenTest},
		{ID: "rp-key-rotation-op-sign-key-native", Group: GroupRP, Rotates: true, Arms: []string{"jwks.rotate_before_sign"},
			Proves: "the app reloads the key set when a token names a key it has not seen",
			Source: "OpenID RP certification rp-key-rotation-op-sign-key-native; OpenID Connect Core §10.1.1",
			Fix:    "When a token's kid is not in the cached key set, fetch the key set again (once, rate-limited).",
			run:    (*run).rotateBeforeSignTest},
		{ID: "oidcc-client-test-ignores-unparseable-key-in-jwks", Group: GroupRP, Rotates: true, Arms: []string{"jwks.unparseable_extra_key", "rotate-keys"},
			Proves: "a key set holding a key of an unknown type still verifies tokens with its other keys",
			Source: "OpenID conformance suite oidcc-client-test-ignores-unparseable-key-in-jwks; RFC 7517 §5",
			Fix:    "Skip the keys of a set you cannot parse, rather than refusing the whole set.",
			run:    (*run).unparseableKeyTest},
		{ID: "oidcc-client-test-refresh-token", Group: GroupRP, Arms: []string{armShortAccessToken},
			Proves: "the app renews an expired access token with its refresh token, and the user stays signed in",
			Source: "OpenID conformance suite oidcc-client-test-refresh-token; OpenID Connect Core §12",
			Fix:    "When the access token expires, redeem the refresh token (grant_type=refresh_token) and keep the new tokens.",
			run:    (*run).refreshKeepsSession},
		{ID: "oidcc-client-test-refresh-token-invalid-issuer", Group: GroupRP, Arms: []string{armShortAccessToken, "then refresh.id_token_iss_changed"},
			Bad:    "the refreshed ID token names another issuer",
			Proves: "the app ends the session when a refresh returns an ID token of another issuer",
			Source: "OpenID conformance suite oidcc-client-test-refresh-token-invalid-issuer; OpenID Connect Core §12.2",
			Fix:    "Check a refreshed ID token as at sign-in: its iss must be the environment URL. (Scalekit's Node SDK's refreshAccessToken returns no ID token: redeem the refresh token at /oauth/token yourself to check it.)",
			run:    (*run).forgedRefreshRow},
		{ID: "oidcc-client-test-refresh-token-invalid-sub", Group: GroupRP, Arms: []string{armShortAccessToken, "then refresh.id_token_sub_changed"},
			Bad:    "the refreshed ID token is for another user",
			Proves: "the app ends the session when a refresh returns an ID token for another user",
			Source: "OpenID conformance suite oidcc-client-test-refresh-token-invalid-sub; OpenID Connect Core §12.2",
			Fix:    "Check that a refreshed ID token's sub is the session's sub. (Scalekit's Node SDK's refreshAccessToken returns no ID token: redeem the refresh token at /oauth/token yourself to check it.)",
			run:    (*run).forgedRefreshRow},
	}
	return tests
}

// forgedRefreshRow proves that a refresh whose new ID token is forged
// (Arms' second mode) ends the session. A sign-out proves that only after
// a plain refresh kept the session, and only if the mock answered the
// forged refresh: an app that signs out at every refresh, or whose
// refresh the mock refused, is skipped here (the other refresh tests
// report it).
func (r *run) forgedRefreshRow(ctx context.Context) verdict {
	if err := r.arm(ctx, armShortAccessToken); err != nil {
		return armFailed(err)
	}
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if j.authorize != nil && !slices.Contains(strings.Fields(j.authorize.Query().Get("scope")), "offline_access") {
		return skipped("the app does not ask for offline_access, so it has no refresh token")
	}
	if j.outcome != SignedIn {
		return skipped("a plain sign-in with short access tokens was %s (%s), so a sign-out here would prove nothing", j.outcome, j.why)
	}
	if n, p, err := r.awaitRefreshes(ctx, b, 1); err != nil || n < 1 || !r.signedIn(p) {
		o, why := r.judge(p)
		return skipped("a plain refresh did not keep the session (%d refreshes, then %s: %s), so a sign-out after a forged one would prove nothing (oidcc-client-test-refresh-token reports it)", n, o, why)
	}
	forged := strings.TrimPrefix(r.test.Arms[1], "then ")
	if err := r.arm(ctx, forged); err != nil {
		return armFailed(err)
	}
	n, p, err := r.awaitRefreshes(ctx, b, 1)
	switch {
	case err != nil:
		return failed("", "%v", err)
	case n < 1:
		return failed(r.test.Fix, "the app did not refresh again within --timeout %s of a short-lived access token's expiry", r.opts.Timeout)
	}
	if st := r.refreshStatuses(ctx, 1); len(st) == 1 && st[0] != 200 && st[0] != 0 { // 0: the log not yet told
		return skipped("the mock answered the refresh %d, so the app never saw the forged ID token", st[0])
	}
	o, why := r.judge(p)
	switch o {
	case Refused:
		return passed("a plain refresh kept the session; the forged one ended it (%s)", why)
	case Broken:
		return failed(r.test.Fix, "after the forged refresh: broken: %s", why)
	}
	return failed(r.test.Fix, "still signed in after the refresh, though %s", r.test.bad())
}

// refreshKeepsSession signs in with short access tokens, waits for the
// app's first refresh, and checks the user is still signed in after it.
// An app that never asks for a refresh token is skipped.
func (r *run) refreshKeepsSession(ctx context.Context) verdict {
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if j.authorize != nil && !slices.Contains(strings.Fields(j.authorize.Query().Get("scope")), "offline_access") {
		return skipped("the app does not ask for offline_access, so it has no refresh token")
	}
	if j.outcome != SignedIn {
		return failed(r.test.Fix, "the sign-in before the refresh was %s: %s", j.outcome, j.why)
	}
	n, p, err := r.awaitRefreshes(ctx, b, 1)
	switch {
	case err != nil:
		return failed("", "%v", err)
	case n < 1 && r.signedIn(p):
		return failed(r.test.Fix, "the app did not refresh within --timeout %s of a short-lived access token's expiry", r.opts.Timeout)
	case n < 1:
		o, why := r.judge(p)
		return failed(r.test.Fix, "the session ended at the access token's expiry without a refresh: %s: %s", o, why)
	}
	switch o, why := r.judge(p); o {
	case SignedIn:
		return passed("refreshed, and still signed in")
	case Broken:
		return failed(r.test.Fix, "after the refresh: broken: %s", why)
	default:
		return failed(r.test.Fix, "the refresh ended the session: %s", why)
	}
}

// baselineTest is the plain sign-in; it is also the baseline that
// refusals are measured against.
func (r *run) baselineTest(ctx context.Context) verdict {
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if j.outcome != SignedIn {
		return r.expect(SignedIn, j)
	}
	q := j.authorize.Query()
	switch {
	case q.Get("response_type") != "code":
		return failed("Send response_type=code: the authorization code flow.", "signed in, but response_type is %q, not code", q.Get("response_type"))
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		return failed("Put openid in the scope: without it there is no ID token.", "signed in, but the scope %q has no openid", q.Get("scope"))
	}
	return passed("signed in with the code flow, scope %q", q.Get("scope"))
}

// expectEither passes a sign-in that signed in or was refused, and fails
// one that broke.
func (r *run) expectEither(ctx context.Context) verdict {
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	j := r.signIn(ctx, r.newBrowser(), signInOptions{})
	if j.outcome == Broken {
		return failed(r.test.Fix, "broken: %s", j.why)
	}
	if j.outcome == Refused {
		return passed("refused (%s)", j.why)
	}
	return passed("signed in")
}

// userinfoSubTest applies to apps that call userinfo at sign-in; one that
// never does is skipped.
func (r *run) userinfoSubTest(ctx context.Context) verdict {
	// The plain sign-in first, so that its own userinfo call is not
	// counted as the armed sign-in's.
	if v, ok := r.needBaseline(ctx); !ok {
		return v
	}
	before, err := r.mock.counters(ctx)
	if err != nil {
		return failed("", "%v", err)
	}
	v := r.expectSignIn(ctx, r.test.Arms, Refused)
	after, err := r.mock.counters(ctx)
	if err != nil {
		return failed("", "%v", err)
	}
	if v.status == report.Fail && after["userinfo.requests"] == before["userinfo.requests"] {
		return skipped("the app did not call userinfo during the sign-in")
	}
	return v
}

// rotationAfterFirstTokenTest signs in twice: the second sign-in's tokens
// are signed with the new key.
func (r *run) rotationAfterFirstTokenTest(ctx context.Context) verdict {
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	if v, ok := r.signInBeforeRotation(ctx); !ok {
		return v
	}
	if j, fetched := r.signInAfterRotation(ctx, r.jwksFetches(ctx)); j.outcome != SignedIn {
		return failed(r.rotationHint(fetched), "the second sign-in, with tokens of the new key, was %s (the app fetched the key set: %v): %s", j.outcome, fetched, j.why)
	}
	return passed("both sign-ins worked, the second with the rotated key")
}

// rotateBeforeSignTest signs in with tokens of a key the app has not
// seen yet.
func (r *run) rotateBeforeSignTest(ctx context.Context) verdict {
	before := r.jwksFetches(ctx)
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	if j, fetched := r.signInAfterRotation(ctx, before); j.outcome != SignedIn {
		return failed(r.rotationHint(fetched), "%s, with tokens of a key the app had not seen (the app fetched the key set: %v): %s", j.outcome, fetched, j.why)
	}
	return passed("signed in with tokens of a new key")
}

// unparseableKeyTest rotates the key first, so that the app must fetch
// the key set, which then holds the unparseable key.
func (r *run) unparseableKeyTest(ctx context.Context) verdict {
	if err := r.armForAll(ctx, "jwks.unparseable_extra_key"); err != nil {
		return armFailed(err)
	}
	if err := r.mock.rotateKeys(ctx, "0"); err != nil {
		return failed("", "the mock would not rotate its key: %v", err)
	}
	r.note("rotated the environment's signing key, the old one unpublished, so the app must fetch the key set")
	j, fetched := r.signInAfterRotation(ctx, r.jwksFetches(ctx))
	switch {
	case j.outcome == SignedIn && fetched:
		return passed("signed in with a key set holding an unparseable key")
	case j.outcome == SignedIn:
		return skipped("the app signed in without fetching the key set, so it never met the unparseable key")
	case !fetched:
		return failed(r.noFetchHint(), "%s without fetching the key set after the signing key changed: %s", j.outcome, j.why)
	}
	return failed(r.test.Fix, "%s: %s", j.outcome, j.why)
}

// refreshes is the mock's count of refresh grants so far.
func (r *run) refreshes(ctx context.Context) int64 {
	c, _ := r.mock.counters(ctx)
	return c["refresh.requests"]
}

// certification names the suite a test ID comes from: the OpenID
// conformance suite's IDs start with oidcc-, the older RP certification's
// with rp-; rp-id_token-malformed is neither's, and says so.
func certification(id string) string {
	switch {
	case strings.HasPrefix(id, "oidcc-"):
		return "OpenID conformance suite " + id
	case id == "rp-id_token-malformed":
		return "after the OpenID RP certification's ID token tests (no row of its own)"
	}
	return "OpenID RP certification " + id
}
