package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/skctl/skctl/internal/report"
)

// cleanupTimeout bounds disarming the mock after a test, whatever the
// test's own deadline did.
const cleanupTimeout = 5 * time.Second

// run is one test's state: the options, the mock, the browsers it opened
// and the notes it made, which become the evidence of a failure.
type run struct {
	opts     Options
	mock     *mock
	hc       *http.Client
	test     *Test
	browsers []*browser
	notes    []string
	armedAll []string // modes armed for every client, cleared after the test
	base     *journey // the plain sign-in before the test (baseline)
	runner   *Runner
}

// Runner runs tests against one app and one mock.
type Runner struct {
	opts Options
	mock *mock
	hc   *http.Client
	app  mockApp // the client's registration
	// keysRotated: a test of this run has changed the signing key.
	keysRotated bool
}

// NewRunner checks the options and that the mock and the app answer. An
// error wraps ErrUsage (the options are wrong) or ErrUnreachable.
func NewRunner(ctx context.Context, o Options, hc *http.Client) (*Runner, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	rn := &Runner{opts: o, hc: hc, mock: &mock{url: o.IdPURL, hc: hc}}
	if err := rn.preflight(ctx); err != nil {
		return nil, err
	}
	return rn, nil
}

// ErrUnreachable marks an app or a mock that does not answer: the command
// exits 3.
var ErrUnreachable = errors.New("unreachable")

// preflight finds the client's registration and checks that the app is
// up: that it takes a connection.
func (rn *Runner) preflight(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, rn.opts.Timeout)
	defer cancel()
	apps, err := rn.mock.apps(ctx)
	if err != nil {
		if isNetErr(err) {
			return fmt.Errorf("%w: the mock at %s: %v: start it with skctl mock-idp --addr %s", ErrUnreachable, rn.opts.IdPURL, err, strings.TrimPrefix(strings.TrimPrefix(rn.opts.IdPURL, "http://"), "https://"))
		}
		return usagef("the mock at %s: %v", rn.opts.IdPURL, err)
	}
	var ids []string
	for _, a := range apps {
		ids = append(ids, a.ClientID)
		if rn.opts.ClientID == "" && (a.Type == "" || a.Type == "web") && len(a.RedirectURIs) > 0 {
			rn.opts.ClientID = a.ClientID
		}
	}
	i := slices.IndexFunc(apps, func(a mockApp) bool { return a.ClientID == rn.opts.ClientID })
	if i < 0 {
		return usagef("the mock has no app %q: pass --client-id one of %s", rn.opts.ClientID, strings.Join(ids, ", "))
	}
	rn.app, rn.mock.client = apps[i], rn.opts.ClientID
	// An app that takes the connection is up, even if it then answers
	// nothing in time: its tests say it is broken, which is the finding.
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, rn.opts.AppURL+"/", nil)
	resp, err := rn.hc.Do(req)
	switch {
	case err == nil:
		resp.Body.Close()
	case parent.Err() != nil:
		return parent.Err()
	case connected.Load() && isTimeout(err):
		rn.opts.Log.Warn("the app took the connection but did not answer GET / properly; running the tests anyway", "app", rn.opts.AppURL, "error", describeErr(err))
	default:
		return fmt.Errorf("%w: the app at %s: %s: start it, pointed at the mock (SCALEKIT_ENVIRONMENT_URL=%s)", ErrUnreachable, rn.opts.AppURL, describeErr(err), rn.opts.IdPURL)
	}
	return rn.checkProtected(ctx)
}

// checkProtected asks the protected path as a visitor who is not signed
// in. If that answer looks signed in, every test that expects a sign-in
// would pass whatever the app did, and every refusal would fail: a
// usage error, before any test runs.
func (rn *Runner) checkProtected(ctx context.Context) error {
	r := &run{opts: rn.opts, runner: rn}
	p := r.askProtected(ctx, newBrowser(rn.hc, rn.opts.UserAgent))
	if p.err != nil || !r.signedIn(p) {
		return nil // a hang or an error is for the tests to report
	}
	hint := "give a path only signed-in users see"
	if rn.opts.SignedInText == "" {
		hint += ", or --signed-in-text with what only they are shown"
	} else {
		hint += ", or another --signed-in-text"
	}
	return usagef("--protected-path %s answers a visitor who is not signed in as it answers a signed-in user (%d%s): %s",
		rn.opts.ProtectedPath, p.status, map[bool]string{true: ", with the --signed-in-text", false: ""}[rn.opts.SignedInText != ""], hint)
}

// isTimeout reports whether err is a deadline, not a refusal or a reset.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe)
}

// ClientID is the client the run arms its modes for.
func (rn *Runner) ClientID() string { return rn.opts.ClientID }

// Run runs tests one at a time: several of them move the mock's keys,
// which every client of the environment shares. Those run last, in the
// order given: a rotation is for good, so an app that does not fetch the
// key set again cannot verify the mock's tokens after it, and every test
// run later would fail for that one mistake, or pass a refusal for it
// alone. The report lists the results in the order given.
func (rn *Runner) Run(ctx context.Context, tests []Test) *Report {
	start := time.Now()
	rep := &Report{IdPURL: rn.opts.IdPURL, AppURL: rn.opts.AppURL, ClientID: rn.opts.ClientID}
	results := make([]*Result, len(tests))
	for _, i := range runOrder(tests) {
		if ctx.Err() != nil {
			break
		}
		res := rn.runOne(ctx, &tests[i])
		rn.opts.Log.Info("test", "id", res.ID, "status", res.Status, "seconds", math.Round(res.Seconds*100)/100)
		results[i] = &res
	}
	for _, res := range results {
		if res != nil {
			rep.Results = append(rep.Results, *res)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep
}

// runOrder is the order Run takes tests in: the indexes of those that
// leave the mock's keys alone, then of those that rotate them. Tests
// already returns the catalog so; a caller's own list may not be.
func runOrder(tests []Test) []int {
	var first, last []int
	for i := range tests {
		if tests[i].Rotates {
			last = append(last, i)
		} else {
			first = append(first, i)
		}
	}
	return append(first, last...)
}

func (rn *Runner) runOne(parent context.Context, t *Test) Result {
	start := time.Now()
	r := &run{opts: rn.opts, mock: rn.mock, hc: rn.hc, test: t, runner: rn}
	ctx, cancel := context.WithTimeout(parent, rn.opts.Timeout)
	before, _ := rn.mock.counters(ctx)
	v := r.runTest(ctx)
	if ctx.Err() == context.DeadlineExceeded && v.status == report.Pass {
		v = failed("", "the test did not finish within --timeout %s", rn.opts.Timeout)
	}
	cancel()
	// Disarming first, on a budget of its own: the counters are evidence,
	// the cleanup is what keeps the next test honest.
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(parent), cleanupTimeout)
	err := r.cleanup(cctx)
	ccancel()
	if err != nil {
		rn.opts.Log.Warn("the mock could not be reset after a test: the next tests may meet its faults", "test", t.ID, "error", err)
		r.note("the mock could not be reset after the test: %v", err)
		if v.status != report.Fail {
			v = failed("Check that the mock is still running.", "the mock could not be reset after the test: %v", err)
		}
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(parent), cleanupTimeout)
	defer acancel()
	after, _ := rn.mock.counters(actx)
	if t.Rotates {
		rn.keysRotated = true
	}
	res := Result{ID: t.ID, Group: t.Group, Proves: t.Proves, Arms: t.Arms, Source: t.Source,
		Status: v.status, Message: v.message, Hint: v.hint, Seconds: time.Since(start).Seconds()}
	res.Evidence = r.evidence(before, after)
	return res
}

// runTest runs the test's steps, turning a panic of a step into a failed
// test rather than a crashed run.
func (r *run) runTest(ctx context.Context) (v verdict) {
	defer func() {
		if p := recover(); p != nil {
			v = failed("This is a bug of skctl conformance: please report it.", "the test stopped: %v", p)
		}
	}()
	if r.test.run != nil {
		return r.test.run(r, ctx)
	}
	return r.expectSignIn(ctx, r.test.Arms, r.test.Expect)
}

// cleanup disarms what the test armed.
func (r *run) cleanup(ctx context.Context) error {
	err := r.mock.clear(ctx)
	for _, m := range r.armedAll {
		err = errors.Join(err, r.mock.clearMode(ctx, m))
	}
	return err
}

// newBrowser opens a browser with a fresh cookie jar.
func (r *run) newBrowser() *browser {
	b := newBrowser(r.hc, r.opts.UserAgent)
	r.browsers = append(r.browsers, b)
	return b
}

// note adds a line to the evidence.
func (r *run) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// arm switches each mode on for the app's client until the test ends.
func (r *run) arm(ctx context.Context, modes ...string) error {
	for _, m := range modes {
		if err := r.mock.arm(ctx, m, 0); err != nil {
			return err
		}
		r.note("armed %s for %s", m, r.opts.ClientID)
	}
	return nil
}

// armForAll switches a mode on for every client until the test ends: for
// the requests that carry no client (the key set).
func (r *run) armForAll(ctx context.Context, mode string) error {
	if err := r.mock.armAll(ctx, mode, 0); err != nil {
		return err
	}
	r.armedAll = append(r.armedAll, mode)
	r.note("armed %s for every client (the key set's requests name none)", mode)
	return nil
}

// baseline is a plain sign-in walked before the test arms anything, once
// per test: a test that expects a refusal proves nothing unless a sign-in
// works now (an earlier test may have left the app unable to sign anyone
// in, such as one that caches a key set the mock has since replaced).
func (r *run) baseline(ctx context.Context) *journey {
	if r.base == nil {
		r.base = r.signIn(ctx, newBrowser(r.hc, r.opts.UserAgent), signInOptions{})
		if r.base.outcome == SignedIn {
			r.note("a plain sign-in, before arming anything: signed in")
		}
	}
	return r.base
}

// needBaseline is the skip of a test that expects a refusal when a plain
// sign-in does not work now (baseline); ok when it does.
func (r *run) needBaseline(ctx context.Context) (verdict, bool) {
	if b := r.baseline(ctx); b.outcome != SignedIn {
		return skipped("a plain sign-in does not work (%s: %s), so a refusal here would prove nothing", b.outcome, b.why), false
	}
	return verdict{}, true
}

// expectSignIn arms the modes, signs in, and compares the outcome with
// want. A refusal counts only when a plain sign-in works: otherwise the
// app refuses everything, and the refusal proves nothing.
func (r *run) expectSignIn(ctx context.Context, modes []string, want Outcome) verdict {
	if want == Refused {
		if v, ok := r.needBaseline(ctx); !ok {
			return v
		}
	}
	if err := r.arm(ctx, modes...); err != nil {
		return armFailed(err)
	}
	j := r.signIn(ctx, r.newBrowser(), signInOptions{})
	return r.expect(want, j)
}

// expect turns a journey into a verdict.
func (r *run) expect(want Outcome, j *journey) verdict {
	t := r.test
	switch {
	case j.outcome == want && want == SignedIn:
		return passed("signed in")
	case j.outcome == want:
		return passed("refused (%s)", j.why)
	case j.outcome == Broken:
		return failed(t.fix(), "broken: %s", j.why)
	case want == Refused:
		return failed(t.fix(), "signed in, though %s", t.bad())
	}
	return failed(t.fix(), "refused, though the sign-in should have worked: %s", j.why)
}

// evidence is what the report shows under a test: the notes, every
// request of every browser, and what the mock counted meanwhile.
func (r *run) evidence(before, after map[string]int64) []string {
	ev := slices.Clone(r.notes)
	for i, b := range r.browsers {
		prefix := ""
		if len(r.browsers) > 1 {
			prefix = fmt.Sprintf("browser %d: ", i+1)
		}
		// A poll asks one page again and again: one line, with a count.
		for k := 0; k < len(b.hops); {
			n := 1
			for k+n < len(b.hops) && b.hops[k+n] == b.hops[k] {
				n++
			}
			line := prefix + b.hops[k].String()
			if n > 1 {
				line += fmt.Sprintf(" (×%d)", n)
			}
			ev = append(ev, line)
			k += n
		}
	}
	if d := counterDelta(before, after); d != "" {
		ev = append(ev, "the mock counted: "+d)
	}
	return ev
}

// counterDelta says how the sign-in counters moved: "authorize +1,
// token +1, refresh +0, …".
func counterDelta(before, after map[string]int64) string {
	if before == nil || after == nil {
		return ""
	}
	var parts []string
	for _, c := range []string{"authorize", "token", "refresh", "userinfo", "jwks", "logout"} {
		k := c + ".requests"
		parts = append(parts, fmt.Sprintf("%s %+d", c, after[k]-before[k]))
	}
	return strings.Join(parts, ", ")
}

// armFailed is the verdict of a test whose mode the mock would not arm:
// most likely a mock of another skctl version, without that mode.
func armFailed(err error) verdict {
	return failed("Use a mock of the same skctl version as this runner.", "the mock would not arm the test's mode: %v", err)
}
