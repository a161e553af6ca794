package conformance

import (
	"context"
	"slices"
	"strings"
)

// rpTests are the OpenID Foundation's RP certification rows that apply to
// a web app signing in with the code flow against one running mock: each
// arms the row's mode for the app's client at runtime. The rows that need
// the app restarted against another issuer (discovery's issuer mismatch,
// a random jwks_uri) are left to scenario environments.
func rpTests() []Test {
	idt := func(id, mode, bad, fix string) Test {
		return Test{ID: id, Group: GroupRP, Arms: []string{mode}, Expect: Refused, Bad: bad, Fix: fix,
			Proves: "the app refuses a sign-in whose ID token " + strings.TrimPrefix(bad, "the ID token "),
			Source: "OpenID RP certification " + id + "; OpenID Connect Core §3.1.3.7"}
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
		{ID: "rp-key-rotation-op-sign-key-native", Group: GroupRP, Arms: []string{"jwks.rotate_before_sign"}, Expect: SignedIn,
			Proves: "the app reloads the key set when a token names a key it has not seen",
			Source: "OpenID RP certification rp-key-rotation-op-sign-key-native; OpenID Connect Core §10.1.1",
			Fix:    "When a token's kid is not in the cached key set, fetch the key set again (once, rate-limited)."},
		{ID: "rp-key-rotation-op-sign-key", Group: GroupRP, Arms: []string{"jwks.rotate_after_first_token"},
			Proves: "after the signing key changes, with both keys published, a second sign-in works",
			Source: "OpenID RP certification rp-key-rotation-op-sign-key; OpenID Connect Core §10.1.1",
			Fix:    "When a token's kid is not in the cached key set, fetch the key set again (once, rate-limited).",
			run:    (*run).rotationAfterFirstTokenTest},
		{ID: "oidcc-client-test-ignores-unparseable-key-in-jwks", Group: GroupRP, Arms: []string{"jwks.unparseable_extra_key", "rotate-keys"},
			Proves: "a key set holding a key of an unknown type still verifies tokens with its other keys",
			Source: "OpenID conformance suite oidcc-client-test-ignores-unparseable-key-in-jwks; RFC 7517 §5",
			Fix:    "Skip the keys of a set you cannot parse, rather than refusing the whole set.",
			run:    (*run).unparseableKeyTest},
	}
	return tests
}

// baselineTest is the plain sign-in; it is also the baseline that
// refusals are measured against.
func (r *run) baselineTest(ctx context.Context) verdict {
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	r.runner.baseline = j
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
		return failed("", "the mock would not arm the test's mode: %v", err)
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
	before, err := r.mock.counters(ctx)
	if err != nil {
		return failed("", "%v", err)
	}
	v := r.expectSignIn(ctx, r.test.Arms, Refused)
	after, err := r.mock.counters(ctx)
	if err != nil {
		return failed("", "%v", err)
	}
	if v.status == "fail" && after["userinfo.requests"] == before["userinfo.requests"] {
		return skipped("the app did not call userinfo during the sign-in")
	}
	return v
}

// rotationAfterFirstTokenTest signs in twice: the second sign-in's tokens
// are signed with the new key.
func (r *run) rotationAfterFirstTokenTest(ctx context.Context) verdict {
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return failed("", "the mock would not arm the test's mode: %v", err)
	}
	if j := r.signIn(ctx, r.newBrowser(), signInOptions{}); j.outcome != SignedIn {
		return failed(r.test.Fix, "the first sign-in was %s: %s", j.outcome, j.why)
	}
	if j := r.signIn(ctx, r.newBrowser(), signInOptions{}); j.outcome != SignedIn {
		return failed(r.test.Fix, "the second sign-in, with tokens of the new key, was %s: %s", j.outcome, j.why)
	}
	return passed("both sign-ins worked, the second with the rotated key")
}

// unparseableKeyTest rotates the key first, so that the app must fetch
// the key set, which then holds the unparseable key.
func (r *run) unparseableKeyTest(ctx context.Context) verdict {
	if err := r.armForAll(ctx, "jwks.unparseable_extra_key"); err != nil {
		return failed("", "the mock would not arm the test's mode: %v", err)
	}
	if err := r.mock.rotateKeys(ctx, "0"); err != nil {
		return failed("", "the mock would not rotate its key: %v", err)
	}
	r.note("rotated the environment's signing key, the old one unpublished, so the app must fetch the key set")
	before, err := r.mock.counters(ctx)
	if err != nil {
		return failed("", "%v", err)
	}
	j := r.signIn(ctx, r.newBrowser(), signInOptions{})
	after, _ := r.mock.counters(ctx)
	fetched := after["jwks.requests"] > before["jwks.requests"]
	switch {
	case j.outcome == SignedIn && fetched:
		return passed("signed in with a key set holding an unparseable key")
	case j.outcome == SignedIn:
		return skipped("the app signed in without fetching the key set, so it never met the unparseable key")
	case !fetched:
		return failed("When a token's kid is not in the cached key set, fetch the key set again.", "%s without fetching the key set after the signing key changed: %s", j.outcome, j.why)
	}
	return failed(r.test.Fix, "%s: %s", j.outcome, j.why)
}
