package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// asksOffline reports whether a journey's authorization request asked for
// a refresh token; a journey that never reached the mock counts as
// asking, so that the test goes on to say why it broke.
func asksOffline(j *journey) bool {
	return j.authorize == nil || slices.Contains(strings.Fields(j.authorize.Query().Get("scope")), "offline_access")
}

// refreshRotationTest signs in with 2-second access tokens and waits for
// two refreshes, the user signed in after each: the mock rotates the
// refresh token at each, so an app that keeps the first is refused at
// the second.
func (r *run) refreshRotationTest(ctx context.Context) verdict {
	if err := r.arm(ctx, r.test.Arms...); err != nil {
		return armFailed(err)
	}
	before := r.refreshes(ctx)
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if !asksOffline(j) {
		return skipped("the app does not ask for offline_access, so it has no refresh token to rotate")
	}
	// An app that refreshes ahead of expiry (serve does, 10 s early) has
	// refreshed on the page the callback sent the browser to.
	n := r.refreshes(ctx) - before
	if j.outcome != SignedIn {
		if n > 0 {
			return r.refreshFailure(ctx, n, fmt.Sprintf("and the sign-in ended on the way from the callback (%s)", j.why))
		}
		return failed(r.test.Fix, "the sign-in before the refreshes was %s: %s", j.outcome, j.why)
	}
	if v, bad := r.checkRefreshes(ctx, n, j.protected); bad {
		return v
	}
	for n < 2 {
		got, p, err := r.awaitRefreshes(ctx, b, 1)
		if err != nil {
			return failed("Check that the mock is still running.", "%v", err)
		}
		n += got
		if got < 1 {
			if r.signedIn(p) {
				return failed(r.test.Fix, "the app refreshed %d time(s), then not again within --timeout %s of a 2-second access token's expiry", n, r.opts.Timeout)
			}
			o, why := r.judge(p)
			return failed(r.test.Fix, "after %d refresh(es), the session ended at the access token's expiry without another: %s: %s", n, o, why)
		}
		if v, bad := r.checkRefreshes(ctx, n, p); bad {
			return v
		}
	}
	r.note("the mock answered the refreshes: %s", joinStatuses(r.refreshStatuses(ctx, n)))
	return passed("refreshed %d times, each with the refresh token the one before returned, and still signed in", n)
}

// checkRefreshes looks at the n refreshes so far and the protected path's
// answer after them: bad when the mock refused one, or the user is no
// longer signed in.
func (r *run) checkRefreshes(ctx context.Context, n int64, p page) (verdict, bool) {
	if n < 1 {
		return verdict{}, false
	}
	statuses := r.refreshStatuses(ctx, n)
	refused := slices.IndexFunc(statuses, func(s int) bool { return s/100 != 2 })
	if refused < 0 && r.signedIn(p) {
		return verdict{}, false
	}
	o, why := r.judge(p)
	where := "and the user was signed out: " + why
	switch o {
	case SignedIn:
		where = "though the app still showed the user signed in"
	case Broken:
		where = "and the app broke: " + why
	}
	return r.refreshFailure(ctx, n, where), true
}

// refreshFailure says what went wrong at the refreshes, from the statuses
// the mock's request log holds for them.
func (r *run) refreshFailure(ctx context.Context, n int64, after string) verdict {
	statuses := r.refreshStatuses(ctx, n)
	r.note("the mock answered the refreshes: %s", joinStatuses(statuses))
	refused := slices.IndexFunc(statuses, func(s int) bool { return s/100 != 2 })
	switch k := spentRefresh(statuses); {
	case len(statuses) == 0:
		return failed(r.test.Fix, "the app refreshed %d time(s) %s (the mock's request log does not say how it answered)", n, after)
	case k > 0:
		return failed(r.test.Fix, "the %s refresh was answered %d, %s. The app sent a refresh token that an earlier refresh had already replaced: Scalekit's refresh tokens are single-use (each refresh returns a new one, and the old one is refused with invalid_grant)",
			ordinal(k+1), statuses[k], after)
	case refused >= 0:
		return failed(r.test.Fix, "the %s refresh was answered %d, %s", ordinal(refused+1), statuses[refused], after)
	}
	return failed(r.test.Fix, "the mock answered %s, %s", pluralRefreshes(len(statuses)), after)
}

func pluralRefreshes(n int) string {
	if n == 1 {
		return "the refresh 200"
	}
	return fmt.Sprintf("all %d refreshes 200", n)
}

// refreshStatuses returns what the mock answered the client's last n
// refresh grants, oldest first, from its request log.
func (r *run) refreshStatuses(ctx context.Context, n int64) []int {
	log, err := r.mock.log(ctx)
	if err != nil {
		r.note("the mock's request log could not be read: %v", err)
		return nil
	}
	var statuses []int
	for _, e := range log {
		if strings.HasSuffix(e.Path, "/oauth/token") && e.Grant == "refresh_token" && e.Client == r.opts.ClientID {
			statuses = append(statuses, e.Status)
		}
	}
	if int64(len(statuses)) > n {
		statuses = statuses[int64(len(statuses))-n:]
	}
	return statuses
}

func joinStatuses(statuses []int) string {
	if len(statuses) == 0 {
		return "(none logged)"
	}
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		if s == 0 {
			parts[i] = "no answer"
			continue
		}
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, ", ")
}

// ordinal is "first", "second", … for the small numbers a test counts.
func ordinal(n int) string {
	words := []string{"first", "second", "third", "fourth", "fifth"}
	if n >= 1 && n <= len(words) {
		return words[n-1]
	}
	return fmt.Sprintf("#%d", n)
}

// tokenOutageTest signs in with 2-second access tokens, takes the token
// endpoint down until the app has tried to refresh, brings it back, and
// asks again: the user must still be signed in.
func (r *run) tokenOutageTest(ctx context.Context) verdict {
	const outage = "refresh.status=503"
	if err := r.arm(ctx, armShortAccessToken); err != nil {
		return armFailed(err)
	}
	start := r.refreshes(ctx)
	b := r.newBrowser()
	j := r.signIn(ctx, b, signInOptions{})
	if !asksOffline(j) {
		return skipped("the app does not ask for offline_access, so it never calls the token endpoint once signed in")
	}
	if j.outcome != SignedIn {
		return failed(r.test.Fix, "the sign-in before the outage was %s: %s", j.outcome, j.why)
	}
	if err := r.arm(ctx, outage); err != nil {
		return armFailed(err)
	}
	before := r.refreshes(ctx)
	var during answers
	for {
		p := r.askProtected(ctx, b)
		during.add(p)
		if r.refreshes(ctx) > before {
			break
		}
		if !r.signedIn(p) && r.appBroken(p) == "" {
			o, why := r.judge(p)
			return failed(r.test.Fix, "the session ended at the access token's expiry before any refresh was tried: %s: %s", o, why)
		}
		select {
		case <-ctx.Done():
			return failed(r.test.Fix, "the app did not try to refresh within --timeout %s of a 2-second access token's expiry (the protected path answered %s)", r.opts.Timeout, during)
		case <-time.After(pollEvery):
		}
	}
	r.note("while the refresh grant answered 503, the protected path answered %s", during)
	if err := r.mock.clearMode(ctx, outage); err != nil {
		return failed("Check that the mock is still running.", "the mock would not end the outage: %v", err)
	}
	r.note("ended the outage: the refresh grant answers again")
	p, after := r.awaitRecovery(ctx, b)
	if r.signedIn(p) {
		return passed("the session outlived the token endpoint's outage (meanwhile the protected path answered %s)", during)
	}
	o, why := r.judge(p)
	if o == Broken {
		return failed(r.test.Fix, "the app still failed after the token endpoint recovered (%s): %s", after, why)
	}
	// A refresh before the outage rotated the refresh token: an app that
	// kept the old one is refused after the outage for that alone.
	statuses := r.refreshStatuses(ctx, r.refreshes(ctx)-start)
	r.note("the mock answered the refreshes: %s", joinStatuses(statuses))
	if k := spentRefresh(statuses); k > 0 {
		return skipped("the outage cannot be judged: after it the %s refresh was answered %d, after an earlier one had succeeded, so the app sent a refresh token already replaced (drill.refresh-rotation shows that)", ordinal(k+1), statuses[k])
	}
	return failed(r.test.Fix, "the app signed the user out when a refresh met a 503: after the outage the protected path was %s: %s (during it: %s)", o, why, during)
}

// spentRefresh is the index of the first refresh refused with a 4xx after
// an earlier one succeeded, or -1: the sign of a rotated refresh token
// used again.
func spentRefresh(statuses []int) int {
	ok := false
	for i, s := range statuses {
		switch {
		case s/100 == 2:
			ok = true
		case s/100 == 4 && ok:
			return i
		}
	}
	return -1
}

// awaitRecovery asks the protected path after an outage ended until it
// answers anything but a 5xx (an app may wait before it tries again), or
// the test's deadline; it returns the last answer and what it saw.
func (r *run) awaitRecovery(ctx context.Context, b *browser) (page, answers) {
	var seen answers
	for {
		p := r.askProtected(ctx, b)
		seen.add(p)
		if r.appBroken(p) == "" || ctx.Err() != nil {
			return p, seen
		}
		select {
		case <-ctx.Done():
			return p, seen
		case <-time.After(pollEvery):
		}
	}
}

// answers sums up what a path answered over several requests, for the
// evidence: "503 ×4, 200".
type answers []string

func (a *answers) add(p page) {
	s := fmt.Sprint(p.status)
	switch {
	case p.err != nil:
		s = describeErr(p.err)
	case p.location != nil:
		s = fmt.Sprintf("%d to %s", p.status, pathOf(p.location))
	}
	*a = append(*a, s)
}

func (a answers) String() string {
	if len(a) == 0 {
		return "nothing (not asked)"
	}
	var parts []string
	for i := 0; i < len(a); {
		j := i
		for j < len(a) && a[j] == a[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", a[i], j-i))
		} else {
			parts = append(parts, a[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}
