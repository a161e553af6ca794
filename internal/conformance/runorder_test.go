package conformance_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/conformance"
)

// TestKeyMovingTestsRunLast: a test that rotates the mock's keys runs
// after the others, since a rotation is for good, and the report still
// lists the results in the order given.
func TestKeyMovingTestsRunLast(t *testing.T) {
	t.Parallel()
	ln, appURL := listen(t)
	env := startMock(t, appURL)
	// An app that answers 500 ends each test at once.
	serveOn(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }))
	var log bytes.Buffer
	rn, err := conformance.NewRunner(t.Context(), conformance.Options{IdPURL: env.URL, AppURL: appURL, Timeout: 5 * time.Second,
		Log: slog.New(slog.NewTextHandler(&log, nil))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catalog := conformance.Tests()
	var given []conformance.Test
	for _, id := range []string{"rp-key-rotation-op-sign-key", "rp-response_type-code", "oidcc-client-test-ignores-unparseable-key-in-jwks", "authorize.state"} {
		i := slices.IndexFunc(catalog, func(tc conformance.Test) bool { return tc.ID == id })
		if i < 0 {
			t.Fatalf("%s is not in the catalog", id)
		}
		given = append(given, catalog[i])
	}
	rep := rn.Run(t.Context(), given)

	var ran []string
	for _, m := range regexp.MustCompile(`msg=test id=(\S+)`).FindAllStringSubmatch(log.String(), -1) {
		ran = append(ran, m[1])
	}
	if want := []string{"rp-response_type-code", "authorize.state", "rp-key-rotation-op-sign-key", "oidcc-client-test-ignores-unparseable-key-in-jwks"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v: the key-moving tests last, each part in the order given", ran, want)
	}
	var reported []string
	for _, res := range rep.Results {
		reported = append(reported, res.ID)
	}
	if want := []string{"rp-key-rotation-op-sign-key", "rp-response_type-code", "oidcc-client-test-ignores-unparseable-key-in-jwks", "authorize.state"}; !slices.Equal(reported, want) {
		t.Errorf("reported %v, want the order given %v", reported, want)
	}
}
