package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a buffer that a command's goroutines write while a test
// reads it, and that a test can wait on for some text to appear.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced by every Write
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
		l.written = nil
	}
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits, on the writes themselves, until the buffer holds want;
// it gives up after timeout.
func (l *logBuffer) waitFor(want string, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		found := strings.Contains(l.b.String(), want)
		if l.written == nil {
			l.written = make(chan struct{})
		}
		written := l.written
		l.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-written:
		case <-deadline.C:
			return false
		}
	}
}

// discoveryServer serves a discovery document on loopback whose issuer is
// issuer(its own URL).
func discoveryServer(t *testing.T, issuer func(self string) string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer(srv.URL), "authorization_endpoint": srv.URL + "/oauth/authorize", "token_endpoint": srv.URL + "/oauth/token",
			"jwks_uri": srv.URL + "/keys", "end_session_endpoint": srv.URL + "/oidc/logout", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serveDeps are Deps for running serve on loopback against srv, with a
// transport of its own (no proxy from the environment).
func serveDeps() (*Deps, *logBuffer) {
	errOut := &logBuffer{}
	return &Deps{Stdout: &bytes.Buffer{}, Stderr: errOut, LookupEnv: func(string) (string, bool) { return "", false },
		Transport: &http.Transport{}, Now: time.Now, Listen: net.Listen}, errOut
}

// TestServeIssuerMismatchNeverReady: an environment whose discovery
// document names another issuer stops serve with exit code 2 and a
// message saying what to set, and serve never claims to be ready.
func TestServeIssuerMismatchNeverReady(t *testing.T) {
	idp := discoveryServer(t, func(string) string { return "http://other.example.test" })
	d, errOut := serveDeps()
	// Only a guard against a hang: the mismatch ends serve by itself.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", idp.URL,
		"--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	log := errOut.String()
	if code != ExitUsage {
		t.Errorf("exit %d, want %d:\n%s", code, ExitUsage, log)
	}
	if want := "the discovery document of " + idp.URL + " names the issuer http://other.example.test: set SCALEKIT_ENVIRONMENT_URL to exactly http://other.example.test: tokens are checked against it byte for byte"; !strings.Contains(log, want) {
		t.Errorf("stderr lacks %q:\n%s", want, log)
	}
	if !strings.Contains(log, `msg="serve listening"`) {
		t.Errorf("stderr does not say serve listened:\n%s", log)
	}
	if strings.Contains(log, `msg="serve ready"`) {
		t.Errorf("serve claimed to be ready, then stopped on the mismatch:\n%s", log)
	}
}

// TestServeReadyOnceDiscovered: serve logs "listening" when it listens
// and "ready" only after discovery, when /readyz answers 200.
func TestServeReadyOnceDiscovered(t *testing.T) {
	idp := discoveryServer(t, func(self string) string { return self })
	d, errOut := serveDeps()
	addr := make(chan net.Addr, 1)
	d.Ready = func(_ string, a net.Addr) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", idp.URL,
			"--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	}()
	var app string
	select {
	case a := <-addr:
		app = "http://" + a.String()
	case code := <-exit:
		t.Fatalf("serve exited %d before listening:\n%s", code, errOut)
	}
	if !errOut.waitFor(`msg="serve ready"`, 30*time.Second) {
		cancel()
		t.Fatalf("serve never said ready:\n%s", errOut)
	}
	log := errOut.String()
	listening, discovered, ready := strings.Index(log, `msg="serve listening"`), strings.Index(log, `msg="discovery done"`), strings.Index(log, `msg="serve ready"`)
	// Discovery runs beside the listener, so it may finish first; ready
	// comes after both.
	if listening < 0 || discovered < 0 || ready < listening || ready < discovered {
		t.Errorf("want listening and discovery done, then ready:\n%s", log)
	}
	resp, err := http.Get(app + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz after ready: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	cancel()
	if code := <-exit; code != ExitOK {
		t.Errorf("exit %d after shutdown:\n%s", code, errOut)
	}
}

// TestServeBadPortBeforeListening: an invalid port is a configuration
// problem reported with the others, before serve tries to listen.
func TestServeBadPortBeforeListening(t *testing.T) {
	for _, addr := range []string{"localhost:99999", "localhost:http-alt"} {
		d, errOut := serveDeps()
		listened := false
		d.Listen = func(string, string) (net.Listener, error) {
			listened = true
			return nil, errors.New("this test never lets serve listen")
		}
		code := Run(context.Background(), []string{"serve", "--env-file", "", "--addr", addr, "--environment-url", "https://acme.scalekit.test",
			"--client-id", "skc_1"}, d)
		log := errOut.String()
		if code != ExitUsage || listened || !strings.Contains(log, "configuration has 2 problems") ||
			!strings.Contains(log, "SKCTL_ADDR (--addr): has the port") || !strings.Contains(log, "SCALEKIT_CLIENT_SECRET (--client-secret): is not set") {
			t.Errorf("--addr %s: exit %d, listened %v:\n%s", addr, code, listened, log)
		}
	}
}

// TestServeNamesAStray: a misspelt variable, in .env or in the
// environment, is named with the setting it was probably meant to be, in a
// log warning and in the problem of the setting it left unset.
func TestServeNamesAStray(t *testing.T) {
	file := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(file, []byte("SCALEKIT_ENVIRONMENT_URL=https://acme.scalekit.test\nSCALEKIT_CLIENT_ID=skc_1\nSCALEKIT_CLIENT_SECERT=s3cret-value\n"), 0o600)
	environ := map[string]string{"SCALEKIT_ENVIRONMENT_URL": "https://acme.scalekit.test", "SCALEKIT_CLIENT_ID": "skc_1", "SCALEKIT_CLIENT_SECERT": "s3cret-value"}
	for _, tc := range []struct {
		name, in string
		deps     func(*Deps)
		args     []string
	}{
		{".env", file, func(*Deps) {}, []string{"--env-file", file}},
		{"environment", `"the environment"`, func(d *Deps) {
			d.LookupEnv = func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
			d.Environ = func() []string {
				var out []string
				for k, v := range environ {
					out = append(out, k+"="+v)
				}
				return out
			}
		}, []string{"--env-file", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, errOut := serveDeps()
			tc.deps(d)
			code := Run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), d)
			log := errOut.String()
			for _, want := range []string{
				`level=WARN msg="not a setting skctl reads" variable=SCALEKIT_CLIENT_SECERT in=` + tc.in + ` did_you_mean=SCALEKIT_CLIENT_SECRET`,
				"SCALEKIT_CLIENT_SECRET (--client-secret): is not set: SCALEKIT_CLIENT_SECERT is set in " + strings.Trim(tc.in, `"`) + ": did you mean SCALEKIT_CLIENT_SECRET?",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("stderr lacks %q:\n%s", want, log)
				}
			}
			if code != ExitUsage || strings.Contains(log, "s3cret-value") {
				t.Errorf("exit %d (want %d), or the value was shown:\n%s", code, ExitUsage, log)
			}
		})
	}
}
