package conformance_test

import (
	"net"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
)

// TestServePasses runs every test against skctl serve: each passes, or is
// skipped where it does not apply to serve (it calls no userinfo by
// default). The catalog runs in parts at once (runParts); the e2e test
// TestConformanceCommand runs it whole, through the command.
func TestServePasses(t *testing.T) {
	t.Parallel()
	rep := runParts(t, catalogParts(10*time.Second, 10*time.Second), func(t *testing.T, ln net.Listener, appURL, idpURL string) {
		startServe(t, ln, appURL, idpURL)
	})
	if n := len(rep.Results); n != len(conformance.Tests()) {
		t.Errorf("%d results, want one per test of the catalog (%d)", n, len(conformance.Tests()))
	}
	for _, res := range rep.Results {
		switch {
		case res.Status == report.Fail:
			t.Errorf("%s failed against serve: %s", res.ID, res.Message)
		case res.Status == report.Skipped && res.ID != "rp-userinfo-bad-sub-claim":
			t.Errorf("%s was skipped against serve: %s", res.ID, res.Message)
		}
	}
}
