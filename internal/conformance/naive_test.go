package conformance_test

import (
	"net"
	"slices"
	"sort"
	"strings"
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
		// 4 again: its second refresh sends the refresh token the first
		// replaced, so the mock refuses it and the forged ID token is
		// never seen.
		"oidcc-client-test-refresh-token-invalid-issuer": "the mock answered the refresh 400",
		"oidcc-client-test-refresh-token-invalid-sub":    "the mock answered the refresh 400",
	}
}

// Timeouts of the naive app's runs. The tests that move the mock's keys
// wait their whole timeout for a key-set fetch the naive app never makes,
// so a short one keeps them short; the others end as soon as they decide,
// and theirs is generous: two refreshes in a row of access tokens that
// live up to two seconds take up to four. The key timeout also bounds
// each request of those tests, and a loaded two-core machine has taken
// more than 5 s to answer one callback ("broken", not the app's
// mistake), so it is 10 s; catalogParts runs those tests two by two, side
// by side, so they take about twice that.
const (
	naiveKeyTimeout   = 10 * time.Second
	naiveOtherTimeout = 10 * time.Second
)

// TestNaiveAppFailures runs every test against the naive app: exactly the
// tests its five mistakes fail, fail, each for that mistake; every other
// test passes, or is skipped where it does not apply.
func TestNaiveAppFailures(t *testing.T) {
	t.Parallel()
	parts := catalogParts(naiveKeyTimeout, naiveOtherTimeout)
	rep := runParts(t, parts, func(t *testing.T, ln net.Listener, appURL, idpURL string) {
		serveOn(t, ln, newNaiveApp(idpURL, appURL).handler())
	})

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
