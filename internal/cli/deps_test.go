package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingTransport answers every request with answer, and records it.
type recordingTransport struct {
	mu     sync.Mutex
	seen   []string
	answer func(*http.Request) (*http.Response, error)
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.seen = append(rt.seen, req.Method+" "+req.URL.String())
	rt.mu.Unlock()
	return rt.answer(req)
}

func (rt *recordingTransport) requests() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.seen...)
}

func respond(code int, body string) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
}

// TestTransportCheckConfig: check-config's requests go through
// Deps.Transport, and nowhere else.
func TestTransportCheckConfig(t *testing.T) {
	rt := &recordingTransport{answer: respond(http.StatusServiceUnavailable, "")}
	d, out, _ := testDeps()
	d.Transport = rt
	code := Run(context.Background(), []string{"check-config", "--env-file", "", "--environment-url", "https://acme.scalekit.test",
		"--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	if code != ExitError || !strings.Contains(out.String(), "https://acme.scalekit.test/.well-known/openid-configuration answered 503") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if got := rt.requests(); len(got) != 1 || got[0] != "GET https://acme.scalekit.test/.well-known/openid-configuration" {
		t.Errorf("requests through the transport: %v", got)
	}
}

// TestTransportRotateKeys: rotate-keys calls the mock through
// Deps.Transport.
func TestTransportRotateKeys(t *testing.T) {
	rt := &recordingTransport{answer: respond(http.StatusOK, `{"kid":"k2"}`)}
	d, out, _ := testDeps()
	d.Transport = rt
	if code := Run(context.Background(), []string{"mock-idp", "rotate-keys", "--overlap", "10m"}, d); code != ExitOK || !strings.Contains(out.String(), "new signing key k2") {
		t.Errorf("exit %d: %s", code, out)
	}
	if got := rt.requests(); len(got) != 1 || got[0] != "POST http://"+DefaultMockAddr+"/__mock/rotate-keys" {
		t.Errorf("requests through the transport: %v", got)
	}
}

// TestTransportServe: serve's calls to the IdP (discovery first) go
// through Deps.Transport; a transport that fails leaves serve running,
// not ready, and it stops cleanly.
func TestTransportServe(t *testing.T) {
	discovery := make(chan string, 16)
	rt := &recordingTransport{answer: func(req *http.Request) (*http.Response, error) {
		discovery <- req.URL.String()
		return nil, errors.New("no network in this test")
	}}
	d, _, errOut := testDeps()
	d.Transport = rt
	d.Listen = net.Listen
	d.Now = time.Now
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"serve", "--env-file", "", "--addr", "127.0.0.1:0", "--environment-url", "https://acme.scalekit.test",
			"--client-id", "skc_1", "--client-secret", "s3cret-value"}, d)
	}()
	select {
	case u := <-discovery:
		if u != "https://acme.scalekit.test/.well-known/openid-configuration" {
			t.Errorf("first IdP request: %s", u)
		}
	case code := <-exit:
		t.Fatalf("serve exited %d before calling the IdP: %s", code, errOut)
	}
	cancel()
	if code := <-exit; code != ExitOK {
		t.Errorf("exit %d after shutdown: %s", code, errOut)
	}
}

// TestNoColor: NO_COLOR is read through Deps.LookupEnv; set and empty
// means colour, as no-color.org says.
func TestNoColor(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if !noColor(env(map[string]string{"NO_COLOR": "1"})) || noColor(env(map[string]string{"NO_COLOR": ""})) || noColor(env(nil)) {
		t.Errorf("NO_COLOR not read through LookupEnv")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Errorf("a buffer is a terminal")
	}
}
