package cli

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestServeMetricsAddrTaken: a metrics address already in use stops serve
// at once with a configuration error naming the setting, before the app
// serves anything.
func TestServeMetricsAddrTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	d, errOut := serveDeps()
	served := false
	d.Ready = func(string, net.Addr) { served = true }
	// Only a guard against a hang: the failed listen ends serve by itself.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--metrics-addr", taken.Addr().String(),
		"--environment-url", "https://acme.scalekit.test", "--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	log := errOut.String()
	if code != ExitUsage || served {
		t.Errorf("exit %d (want %d), served %v:\n%s", code, ExitUsage, served, log)
	}
	if want := "serve: listen on " + taken.Addr().String() + " for /metrics: "; !strings.Contains(log, want) || !strings.Contains(log, "--metrics-addr or SKCTL_METRICS_ADDR") {
		t.Errorf("stderr lacks %q and the setting to change:\n%s", want, log)
	}
}

// TestServeMetricsAddrChecked: a malformed metrics address is a
// configuration problem reported before serve listens.
func TestServeMetricsAddrChecked(t *testing.T) {
	t.Parallel()
	d, errOut := serveDeps()
	code := Run(context.Background(), []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--metrics-addr", "9464",
		"--environment-url", "https://acme.scalekit.test", "--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	if log := errOut.String(); code != ExitUsage || !strings.Contains(log, "SKCTL_METRICS_ADDR (--metrics-addr): is not host:port: e.g. localhost:9464, or :9464 for every interface") {
		t.Errorf("exit %d:\n%s", code, log)
	}
}
