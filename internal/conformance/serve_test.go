package conformance_test

import (
	"os"
	"testing"

	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
)

// TestServePasses runs every test against skctl serve: each passes (or
// is skipped, with its reason, where it does not apply to serve).
func TestServePasses(t *testing.T) {
	t.Parallel()
	ln, appURL := listen(t)
	env := startMock(t, appURL)
	startServe(t, ln, appURL, env.URL)
	rn, err := conformance.NewRunner(t.Context(), conformance.Options{IdPURL: env.URL, AppURL: appURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := rn.Run(t.Context(), conformance.Tests())
	rep.Write(os.Stderr, "text", false)
	for _, res := range rep.Results {
		if res.Status == report.Fail {
			t.Errorf("%s failed against serve: %s", res.ID, res.Message)
		}
	}
}
