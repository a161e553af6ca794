package conformance_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/conformance"
)

// runPart is some of the catalog, run against an app and a mock of its
// own. Most of a full run is waiting, not work: for 2-second access
// tokens to expire, or for a key-set fetch that never comes; parts run at
// once wait together.
type runPart struct {
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

// catalogParts splits the catalog in four: the tests that rotate the key
// (together and in order, as one run takes them, with keyTimeout), the
// tests that wait for short access tokens (in two halves), and the rest.
func catalogParts(keyTimeout, timeout time.Duration) []*runPart {
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
	parts := []*runPart{
		{tests: waits[:half], timeout: timeout},
		{tests: waits[half:], timeout: timeout},
		{tests: rest, timeout: timeout},
	}
	// The key tests in pairs, each pair on a mock and app of its own: an
	// app that never fetches the key set makes each wait its whole
	// timeout, so side by side they take two timeouts, not four; and the
	// second of each pair still meets an app whose keys an earlier test
	// changed, as in a whole run.
	for i := 0; i < len(keys); i += 2 {
		parts = append(parts, &runPart{tests: keys[i:min(i+2, len(keys))], timeout: keyTimeout, warm: true})
	}
	return parts
}

// runParts starts each part's mock and app (startApp serves the app on
// ln), runs the parts at once, logs their reports, and returns their
// results together, in the catalog's order part by part.
func runParts(t *testing.T, parts []*runPart, startApp func(t *testing.T, ln net.Listener, appURL, idpURL string)) *conformance.Report {
	t.Helper()
	for _, p := range parts { // on the test's goroutine: the helpers may end the test
		ln, appURL := listen(t)
		env := startMock(t, appURL)
		startApp(t, ln, appURL, env.URL)
		p.idpURL, p.appURL = env.URL, appURL
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Go(p.run)
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
	return rep
}

// run runs the part's tests; it may run on any goroutine.
func (p *runPart) run() {
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
