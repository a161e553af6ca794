package conformance

import (
	"context"
	"time"
)

// retryEvery is how often a sign-in after a key rotation is tried again
// while the app has not fetched the key set.
const retryEvery = time.Second

// signInAfterRotation signs in with a fresh browser after the mock's
// signing key changed. An app may wait before it fetches the key set
// again (jose's createRemoteJWKSet waits 30 s after a fetch; serve
// rate-limits reloads): while the mock has counted no key-set fetch since
// fetchesBefore, a refused sign-in is tried again, until the test's
// deadline. It returns the last journey and whether the app fetched.
func (r *run) signInAfterRotation(ctx context.Context, fetchesBefore int64) (*journey, bool) {
	for tries := 1; ; tries++ {
		j := r.signIn(ctx, r.newBrowser(), signInOptions{})
		now, err := r.mock.counters(ctx)
		fetched := err == nil && now["jwks.requests"] > fetchesBefore
		if j.outcome != Refused || fetched {
			return j, fetched
		}
		select {
		case <-ctx.Done():
			r.note("the app had not fetched the key set after %d sign-ins over the test's --timeout %s", tries, r.opts.Timeout)
			return j, false
		case <-time.After(retryEvery):
		}
	}
}

// signInBeforeRotation signs in before the test changes the key. When
// that fails, it says why in the terms of this test: after an earlier
// test of the run rotated the key, a refusal without a fetch of the key
// set is the app still holding the old set, the mistake these tests are
// about.
func (r *run) signInBeforeRotation(ctx context.Context) (verdict, bool) {
	before := r.jwksFetches(ctx)
	j := r.signIn(ctx, r.newBrowser(), signInOptions{})
	if j.outcome == SignedIn {
		return verdict{}, true
	}
	if j.outcome == Refused && r.runner.keysRotated && r.jwksFetches(ctx) == before {
		return failed(r.noFetchHint(), "a sign-in was refused before this test's own rotation, without a fetch of the key set: an earlier test changed the signing key, and the app still holds the old key set (%s)", j.why), false
	}
	return failed(r.test.Fix, "the sign-in before the rotation was %s: %s", j.outcome, j.why), false
}

// noFetchHint is the hint of a rotation test whose app never fetched the
// key set: the test's own fix, and the one case in which the app is not
// wrong, a key-set client that waits between fetches.
func (r *run) noFetchHint() string {
	return r.test.Fix + " If the app's key-set client waits between fetches (jose's createRemoteJWKSet waits 30 s after one), it is not wrong: run with --timeout 40s to give it the time."
}

// rotationHint is noFetchHint when the app did not fetch, else the fix.
func (r *run) rotationHint(fetched bool) string {
	if fetched {
		return r.test.Fix
	}
	return r.noFetchHint()
}

// jwksFetches is the mock's count of key-set requests so far.
func (r *run) jwksFetches(ctx context.Context) int64 {
	c, _ := r.mock.counters(ctx)
	return c["jwks.requests"]
}
