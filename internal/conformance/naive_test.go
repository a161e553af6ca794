package conformance_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
)

// naiveFailures are the tests the naive app must fail (its mistakes are
// numbered as naiveApp's comment numbers them), each with words its
// failure's message must hold, so that a failure for another reason (a
// broken page, a timeout) does not count. Every ID here must be in the
// catalog.
func naiveFailures() map[string]string {
	const noRefetch = "the app fetched the key set: false"
	m := map[string]string{
		// 2: no nonce sent.
		"authorize.nonce": "the authorization request carries no nonce",
		// 5: the key set cached for the app's life.
		"rp-key-rotation-op-sign-key-native":                noRefetch,
		"rp-key-rotation-op-sign-key":                       noRefetch,
		"oidcc-client-test-ignores-unparseable-key-in-jwks": "without fetching the key set after the signing key changed",
		"drill.key-rotation":                                "the app still holds the old key set",
		// 4: the rotated refresh token dropped.
		"drill.refresh-rotation": "a refresh token that an earlier refresh",
		// 1: tokens in plain cookies.
		"drill.session-cookie": "holds the ID token as is",
	}
	// 2 and 3: no nonce check, no signature check: the app signs in,
	// though the mock sent what the test's Bad says.
	for _, id := range []string{"rp-nonce-invalid", "rp-id_token-sig-none", "rp-id_token-bad-sig-rs256",
		"rp-id_token-bad-sig-hs256", "rp-id_token-bad-sig-hs256-pubkey", "rp-id_token-bad-sig-es256"} {
		m[id] = "signed in, though "
	}
	return m
}

// naiveSkips are the tests that do not apply to the naive app, with the
// reason their message gives: it calls no userinfo and takes no
// return_to.
func naiveSkips() map[string]string {
	return map[string]string{
		"rp-userinfo-bad-sub-claim": "did not call userinfo",
		"drill.return-to":           "the app takes no return_to parameter",
	}
}

// Timeouts of the naive app's runs. The tests that move the mock's keys
// wait their whole timeout for a key-set fetch the naive app never makes,
// so a short one keeps them short; the others end as soon as they decide,
// and theirs is generous: two refreshes in a row of access tokens that
// live up to two seconds take up to four.
const (
	naiveKeyTimeout   = 2 * time.Second
	naiveOtherTimeout = 10 * time.Second
)

// TestNaiveAppFailures runs every test against the naive app: exactly the
// tests its five mistakes fail, fail, each for that mistake; every other
// test passes, or is skipped where it does not apply.
func TestNaiveAppFailures(t *testing.T) {
	t.Parallel()
	// The catalog in four parts, each run against a naive app and a mock
	// of its own, at once: most of a run is waiting out 2-second access
	// tokens, or a key-set fetch that never comes, not work. The tests
	// that rotate the key stay together and in order, as one run takes
	// them.
	var keys, waits, rest []conformance.Test
	for _, tc := range conformance.Tests() {
		switch {
		case tc.Rotates:
			keys = append(keys, tc)
		case slices.ContainsFunc(tc.Arms, func(a string) bool { return strings.HasPrefix(a, "at.exp_short=") }):
			waits = append(waits, tc)
		default:
			rest = append(rest, tc)
		}
	}
	half := len(waits) / 2
	parts := []naivePart{{tests: keys, timeout: naiveKeyTimeout, warm: true}, {tests: waits[:half], timeout: naiveOtherTimeout}, {tests: waits[half:], timeout: naiveOtherTimeout}, {tests: rest, timeout: naiveOtherTimeout}}
	for i := range parts {
		parts[i].start(t)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(parts[i].run)
	}
	wg.Wait()
	t.Logf("the runs took %s", time.Since(start).Round(time.Millisecond))
	rep := &conformance.Report{}
	for _, p := range parts {
		if p.err != nil {
			t.Fatal(p.err)
		}
		t.Logf("%d tests with --timeout %s, in %.1fs:\n%s", len(p.tests), p.timeout, p.rep.Seconds, p.text)
		rep.Results = append(rep.Results, p.rep.Results...)
	}

	want, skips := naiveFailures(), naiveSkips()
	catalog := map[string]bool{}
	for _, tc := range conformance.Tests() {
		catalog[tc.ID] = true
		res, ok := rep.Find(tc.ID)
		if !ok {
			t.Errorf("%s: no result", tc.ID)
			continue
		}
		words, mistake := want[tc.ID]
		switch {
		case mistake && res.Status != report.Fail:
			t.Errorf("%s: %s (%s), want a failure: the naive app makes the mistake it tests", tc.ID, res.Status, res.Message)
		case mistake && strings.HasPrefix(res.Message, "broken"):
			t.Errorf("%s failed as broken, not for the app's mistake: %s", tc.ID, res.Message)
		case mistake && !strings.Contains(res.Message, words):
			t.Errorf("%s failed, but its message does not name the mistake (want %q in it): %s", tc.ID, words, res.Message)
		case mistake && words == "signed in, though " && !strings.Contains(res.Message, tc.Bad):
			t.Errorf("%s failed, but not because the app accepted what the mock sent (%s): %s", tc.ID, tc.Bad, res.Message)
		case mistake:
		case res.Status == report.Fail:
			t.Errorf("%s failed, though the naive app does it right: %s\n%s", tc.ID, res.Message, strings.Join(res.Evidence, "\n"))
		case res.Status == report.Skipped:
			if why, ok := skips[tc.ID]; !ok || !strings.Contains(res.Message, why) {
				t.Errorf("%s skipped, though it applies to the naive app: %s", tc.ID, res.Message)
			}
		}
	}
	var missing, wantFailed []string
	for id := range want {
		if catalog[id] {
			wantFailed = append(wantFailed, id)
		} else {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(wantFailed)
	gotFailed := rep.Failed()
	sort.Strings(gotFailed)
	if !slices.Equal(gotFailed, wantFailed) {
		t.Errorf("failed tests:\n got %s\nwant %s", strings.Join(gotFailed, ", "), strings.Join(wantFailed, ", "))
	}
	for _, id := range missing {
		t.Errorf("%s is not in the catalog: was it renamed?", id)
	}
}

// naivePart is some of the catalog, run against a naive app and a mock
// of its own.
type naivePart struct {
	tests   []conformance.Test
	timeout time.Duration
	// warm: sign in once before the run, unreported, so that the app
	// holds the key set when the run rotates it, as an app in use would.
	warm bool

	idpURL, appURL string
	rep            *conformance.Report
	text           string
	err            error
}

// start starts the part's mock and app, on the test's goroutine (their
// helpers may end the test).
func (p *naivePart) start(t *testing.T) {
	ln, appURL := listen(t)
	env := startMock(t, appURL)
	serveOn(t, ln, newNaiveApp(env.URL, appURL).handler())
	p.idpURL, p.appURL = env.URL, appURL
}

// run runs the part's tests; it may run on any goroutine.
func (p *naivePart) run() {
	ctx := context.Background()
	rn, err := conformance.NewRunner(ctx, conformance.Options{IdPURL: p.idpURL, AppURL: p.appURL, Timeout: p.timeout}, nil)
	if err != nil {
		p.err = err
		return
	}
	if p.warm {
		if w := rn.Run(ctx, catalogTests("rp-response_type-code")); len(w.Failed()) > 0 {
			p.err = errors.New("the warm-up sign-in failed")
			return
		}
	}
	p.rep = rn.Run(ctx, p.tests)
	var text strings.Builder
	p.rep.Write(&text, "text", false)
	p.text = text.String()
}

// catalogTests returns the catalog's tests of the given IDs.
func catalogTests(ids ...string) []conformance.Test {
	var out []conformance.Test
	for _, tc := range conformance.Tests() {
		if slices.Contains(ids, tc.ID) {
			out = append(out, tc)
		}
	}
	return out
}
