package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestServeIssuerEndingInSlash: serve takes the issuer exactly as
// discovery names it. With the slash set it gets ready; without it, it
// stops with the exact value to set, and nothing says to remove a slash.
func TestServeIssuerEndingInSlash(t *testing.T) {
	t.Parallel()
	idp := discoveryServer(t, func(self string) string { return self + "/" })

	t.Run("set with the slash", func(t *testing.T) {
		d, errOut := serveDeps()
		ctx, cancel := context.WithCancel(context.Background())
		exit := make(chan int, 1)
		go func() {
			exit <- Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", idp.URL + "/",
				"--client-id", "web", "--client-secret", "s3cret-value"}, d)
		}()
		ready := make(chan bool, 1)
		go func() { ready <- errOut.waitFor(`msg="serve ready"`, 30*time.Second) }()
		select {
		case code := <-exit:
			cancel()
			t.Fatalf("serve exited %d instead of getting ready:\n%s", code, errOut)
		case ok := <-ready:
			if !ok {
				cancel()
				t.Fatalf("serve never got ready:\n%s", errOut)
			}
		}
		cancel()
		if code := <-exit; code != ExitOK || strings.Contains(errOut.String(), "slash") {
			t.Errorf("exit %d:\n%s", code, errOut)
		}
	})
	t.Run("set without it", func(t *testing.T) {
		d, errOut := serveDeps()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", idp.URL,
			"--client-id", "web", "--client-secret", "s3cret-value"}, d)
		log := errOut.String()
		want := "names the issuer " + idp.URL + "/: set SCALEKIT_ENVIRONMENT_URL to exactly " + idp.URL + "/: tokens are checked against it byte for byte"
		if code != ExitUsage || !strings.Contains(log, want) || strings.Contains(log, "no trailing slash") {
			t.Errorf("exit %d, want %d and %q:\n%s", code, ExitUsage, want, log)
		}
	})
}

// TestServeWarnsOfSlashOnScalekit: on a Scalekit host a trailing slash is
// a warning at start, with the reason and the value to use, and the
// issuer check then says the same value: no contradictory advice.
func TestServeWarnsOfSlashOnScalekit(t *testing.T) {
	t.Parallel()
	const env = "https://acme.scalekit.dev"
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": env, "authorization_endpoint": env + "/oauth/authorize", "token_endpoint": env + "/oauth/token",
			"jwks_uri": env + "/keys", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	}))
	t.Cleanup(srv.Close)
	// Every connection goes to the loopback server, whose certificate is
	// for example.com: the host name stays Scalekit's in every URL.
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs, ServerName: "example.com"}
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	d, errOut := serveDeps()
	d.Transport = tr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", env + "/",
		"--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	log := errOut.String()
	warning := `level=WARN msg="SCALEKIT_ENVIRONMENT_URL ends with a slash, and a Scalekit environment's issuer has none" hint="use ` + env + `: the tokens' iss is ` + env
	mismatch := "names the issuer " + env + ": set SCALEKIT_ENVIRONMENT_URL to exactly " + env + ": tokens are checked against it byte for byte"
	if code != ExitUsage || !strings.Contains(log, warning) || !strings.Contains(log, mismatch) {
		t.Errorf("exit %d, want %d, the warning %q and then %q:\n%s", code, ExitUsage, warning, mismatch, log)
	}
}
