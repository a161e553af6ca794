package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/report"
	"github.com/skctl/skctl/internal/suggest"
)

// Group is a family of tests, named by --only and --skip like an ID.
type Group string

// The groups, in the order a run takes them.
const (
	// GroupAuthorize: observations of the app's authorization request.
	GroupAuthorize Group = "authorize"
	// GroupRP: the OpenID Foundation's RP certification rows.
	GroupRP Group = "rp"
	// GroupAccessToken: the access-token checks of a Scalekit app.
	GroupAccessToken Group = "access-token"
	// GroupDrill: what Scalekit does in production.
	GroupDrill Group = "drill"
)

// Groups returns the groups in run order.
func Groups() []Group { return []Group{GroupAuthorize, GroupRP, GroupAccessToken, GroupDrill} }

// Test is one test of the catalog.
type Test struct {
	ID     string
	Group  Group
	Proves string // what passing proves, in one sentence
	// Arms names the mock's modes the test switches on for the app's
	// client, and anything else it does to the mock ("rotate-keys").
	Arms []string
	// Source is where the requirement comes from: an RP certification
	// test ID, an RFC or OpenID section, or the Scalekit behaviour the
	// test reproduces.
	Source string
	// Expect is the outcome of a sign-in with Arms armed, for the tests
	// that are only that; run is the test's own steps otherwise.
	Expect Outcome
	// Bad says what is wrong with what the mock sends, for the message
	// of an app that signed in anyway: "the ID token's nonce is not the
	// one the app sent".
	Bad string
	// Fix says what an app that fails must change.
	Fix string
	// Rotates: the test changes the environment's signing key for good.
	// An app that never reloads its key set can sign no one in after it,
	// so these run last, where they cannot make the other tests fail (or
	// pass) for that reason.
	Rotates bool
	run     func(r *run, ctx context.Context) verdict
}

func (t *Test) bad() string {
	if t.Bad == "" {
		return "the mock sent " + strings.Join(t.Arms, " and ")
	}
	return t.Bad
}

func (t *Test) fix() string { return t.Fix }

// armShortAccessToken makes the mock's access tokens short-lived, so that
// the app refreshes within a test. Two seconds, not one: exp is in whole
// seconds, rounded down, so a token of one second minted late in a second
// may expire a few milliseconds after it was issued, before the app that
// received it has checked it (seen on a loaded two-core machine, failing
// the refresh tests of apps that check exp with no leeway); one of two
// seconds lives more than one.
const armShortAccessToken = "at.exp_short=2s"

// verdict is a test's result before the runner adds the evidence it
// gathered.
type verdict struct {
	status  report.Status
	message string
	hint    string
}

func passed(format string, args ...any) verdict {
	return verdict{status: report.Pass, message: fmt.Sprintf(format, args...)}
}

func failed(hint, format string, args ...any) verdict {
	return verdict{status: report.Fail, message: fmt.Sprintf(format, args...), hint: hint}
}

func skipped(format string, args ...any) verdict {
	return verdict{status: report.Skipped, message: fmt.Sprintf(format, args...)}
}

// Tests returns the catalog in run order: by group, except that the
// tests that rotate the signing key come last.
func Tests() []Test {
	all := slices.Concat(authorizeTests(), rpTests(), accessTokenTests(), drillTests())
	slices.SortStableFunc(all, func(a, b Test) int {
		switch {
		case a.Rotates == b.Rotates:
			return 0
		case b.Rotates:
			return -1
		}
		return 1
	})
	return all
}

// Select returns the tests only and skip leave (only empty: all). Each
// name is a test ID or a group; an unknown one is a usage error that
// suggests the nearest name.
func Select(tests []Test, only, skip []string) ([]Test, error) {
	names := map[string]bool{}
	var known []string
	for _, g := range Groups() {
		names[string(g)] = true
		known = append(known, string(g))
	}
	for _, t := range tests {
		names[t.ID] = true
		known = append(known, t.ID)
	}
	for _, n := range slices.Concat(only, skip) {
		if names[n] {
			continue
		}
		msg := fmt.Sprintf("no test or group %q", n)
		if near, d := suggest.Nearest(n, known); d >= 0 && d <= 4 {
			msg += fmt.Sprintf(": did you mean %q?", near)
		}
		return nil, usagef("%s (skctl conformance --list lists them)", msg)
	}
	matches := func(t Test, list []string) bool {
		return slices.Contains(list, t.ID) || slices.Contains(list, string(t.Group))
	}
	var out []Test
	for _, t := range tests {
		if (len(only) == 0 || matches(t, only)) && !matches(t, skip) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, usagef("--only %s with --skip %s leaves no test to run", strings.Join(only, ","), strings.Join(skip, ","))
	}
	return out, nil
}
