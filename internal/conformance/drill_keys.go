package conformance

import (
	"context"
)

// keyRotationTest signs in, rotates the environment's signing key with
// no overlap (the old key leaves the key set at once, as after a
// compromise), then signs in again in a fresh browser.
func (r *run) keyRotationTest(ctx context.Context) verdict {
	if v, ok := r.signInBeforeRotation(ctx); !ok {
		return v
	}
	before := r.jwksFetches(ctx)
	if err := r.mock.rotateKeys(ctx, "0"); err != nil {
		return failed("Use a mock of the same skctl version as this runner.", "the mock would not rotate its key: %v", err)
	}
	r.note("rotated the environment's signing key; the old key left the key set at once")
	j, fetched := r.signInAfterRotation(ctx, before)
	switch {
	case j.outcome == SignedIn:
		return passed("signed in again after the signing key changed")
	case !fetched:
		return failed(r.noFetchHint(), "the app did not fetch the key set after the signing key changed, so a new sign-in was %s: %s", j.outcome, j.why)
	}
	return failed(r.test.Fix, "the app fetched the key set after the signing key changed, yet a new sign-in was %s: %s", j.outcome, j.why)
}

// jwksOutageChecks is how many times the protected path is asked while
// the key set is down.
const jwksOutageChecks = 3

// jwksOutageTest takes the key set down while a user is signed in, asks
// the protected path a few times, brings the key set back, and asks
// again: the user must still be signed in.
func (r *run) jwksOutageTest(ctx context.Context) verdict {
	const outage = "jwks.status=503"
	b := r.newBrowser()
	if j := r.signIn(ctx, b, signInOptions{}); j.outcome != SignedIn {
		return failed(r.test.Fix, "the sign-in before the outage was %s: %s", j.outcome, j.why)
	}
	before := r.jwksFetches(ctx)
	if err := r.armForAll(ctx, outage); err != nil {
		return armFailed(err)
	}
	var during answers
	for range jwksOutageChecks {
		during.add(r.askProtected(ctx, b))
	}
	fetches := r.jwksFetches(ctx) - before
	r.note("while the key set answered 503, the app asked for it %d time(s) and the protected path answered %s", fetches, during)
	if err := r.mock.clearMode(ctx, outage); err != nil {
		return failed("Check that the mock is still running.", "the mock would not end the outage: %v", err)
	}
	r.note("ended the outage: the key set answers again")
	p, after := r.awaitRecovery(ctx, b)
	if r.signedIn(p) && fetches == 0 {
		return passed("the session outlived the key set's outage: the app held the keys and did not ask for them (the protected path answered %s)", during)
	}
	if r.signedIn(p) {
		return passed("the session outlived the key set's outage (meanwhile the protected path answered %s)", during)
	}
	o, why := r.judge(p)
	if o == Broken {
		return failed(r.test.Fix, "the app still failed after the key set came back (%s): %s", after, why)
	}
	return failed(r.test.Fix, "the app signed the user out while the key set answered 503 (it asked for it %d time(s)): after the outage the protected path was %s: %s (during it: %s)", fetches, o, why, during)
}
