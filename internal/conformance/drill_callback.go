package conformance

import (
	"context"
)

// fromMock is the page a callback comes from: the mock's, cross-site to
// the app, as when the mock redirects a browser back.
func (r *run) fromMock() string { return r.opts.IdPURL + "/oauth/authorize" }

// visitCallback sends b to a callback URL as a redirect from the mock
// would, and walks the rest of a sign-in from there.
func (r *run) visitCallback(ctx context.Context, b *browser, j *journey) *journey {
	v := &journey{authorize: j.authorize, callback: j.callback}
	r.finish(ctx, b, v, b.navigate(ctx, j.callback.String(), r.fromMock()))
	return v
}

// loginCSRFTest: browser A walks a sign-in to the mock's redirect back
// and stops; browser B, with a login of its own pending as a victim's
// would be, is sent A's callback. B must not be signed in.
func (r *run) loginCSRFTest(ctx context.Context) verdict {
	if v, ok := r.needBaseline(ctx); !ok {
		return v
	}
	attacker := r.newBrowser()
	ja := r.signIn(ctx, attacker, signInOptions{toCallback: true})
	if ja.callback == nil {
		return failed("", "the first browser's sign-in did not reach the callback: %s", ja.why)
	}
	victim := r.newBrowser()
	if jv := r.signIn(ctx, victim, signInOptions{stopAtAuthorize: true}); jv.authorize == nil {
		return failed("", "the second browser's login did not reach the mock: %s", jv.why)
	}
	r.note("browser 1 walked a sign-in to the mock's redirect back and stopped; browser 2 started a login of its own, then was sent browser 1's callback (its code and state), as a login-CSRF attacker does")
	j := r.visitCallback(ctx, victim, ja)
	switch j.outcome {
	case SignedIn:
		return failed(r.test.Fix, "a browser was signed in with another browser's code and state: the app does not check that a callback's state is one this browser sent, so an attacker can sign a victim into the attacker's account")
	case Broken:
		return failed(r.test.Fix, "another browser's callback broke the app: %s", j.why)
	}
	return passed("refused another browser's callback (%s)", j.why)
}

// callbackReplayTest signs in, sends the same browser to its callback URL
// again, then a fresh browser: the first may stay signed in, or not, but
// must not break; the second must be refused.
func (r *run) callbackReplayTest(ctx context.Context) verdict {
	a := r.newBrowser()
	j := r.signIn(ctx, a, signInOptions{toCallback: true})
	if j.callback == nil {
		return failed("", "the sign-in did not reach the callback: %s", j.why)
	}
	if first := r.visitCallback(ctx, a, j); first.outcome != SignedIn {
		return failed(r.test.Fix, "the first use of the callback was %s, so a replay would prove nothing: %s", first.outcome, first.why)
	}
	again := r.visitCallback(ctx, a, j)
	r.note("browser 1 visited its callback URL a second time: afterwards it was %s", again.outcome)
	if again.outcome == Broken {
		return failed(r.test.Fix, "visiting the callback URL a second time broke the app: %s", again.why)
	}
	c := r.newBrowser()
	replay := r.visitCallback(ctx, c, j)
	r.note("browser 2, which never signed in, was sent browser 1's callback URL")
	switch replay.outcome {
	case SignedIn:
		return failed(r.test.Fix, "a browser that never signed in was signed in by replaying another browser's used callback URL")
	case Broken:
		return failed(r.test.Fix, "a replayed callback broke the app: %s", replay.why)
	}
	return passed("a used callback URL signs no one in (a second visit left the browser %s; another browser was refused: %s)", again.outcome, replay.why)
}
