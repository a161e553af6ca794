package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/cli"
)

// devShutdownBound is the shutdown timeout the dev test gives skctl dev:
// short, so the test is quick, and far below the mock's own ten-minute cap
// on a hung request, so only the bound can end one in time.
const devShutdownBound = 2 * time.Second

// TestDev: `skctl dev` serves the app and the mock: the mock is reported
// ready when it listens, the app listening at once and ready once it has
// the mock's discovery document; a user signs in through both; and Ctrl-C
// with a request hung in the mock (net.hang) still exits 0 within the
// shutdown bound, ending that request.
func TestDev(t *testing.T) {
	t.Parallel()
	var stdout, stderr syncBuffer
	ready := map[string]chan net.Addr{"dev": make(chan net.Addr, 1), "dev-idp": make(chan net.Addr, 1)}
	d := cli.SystemDeps()
	d.Stdout, d.Stderr = &stdout, &stderr
	d.ShutdownTimeout = devShutdownBound
	d.Ready = func(name string, addr net.Addr) {
		c, ok := ready[name]
		if !ok {
			t.Errorf("Ready(%q): not a server of dev", name)
			return
		}
		c <- addr
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- cli.Run(ctx, []string{"dev", "--addr", "127.0.0.1:0", "--idp-addr", "127.0.0.1:0", "--auto-login", "ada@acme.test"}, d)
	}()
	addrOf := func(name string) string {
		t.Helper()
		select {
		case a := <-ready[name]:
			return "http://" + a.String()
		case code := <-exit:
			t.Fatalf("dev exited %d before %s was ready:\n%s", code, name, stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("%s not ready after 30 s:\n%s", name, stderr.String())
		}
		return ""
	}
	idp, app := addrOf("dev-idp"), addrOf("dev")
	for _, want := range []string{`msg="dev-idp ready"`, `msg="dev listening"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, stderr.String())
		}
	}
	readyLine, ok := stderr.waitFor(30*time.Second, func(line string) bool { return strings.Contains(line, `msg="dev ready"`) })
	if !ok {
		t.Fatalf("the app never said ready:\n%s", stderr.String())
	}
	if !strings.Contains(readyLine, "open="+app+"/ ") {
		t.Errorf("the ready line does not name the URL to open, %s/: %s", app, readyLine)
	}
	if log := stderr.String(); strings.Index(log, `msg="discovery done"`) > strings.Index(log, `msg="dev ready"`) {
		t.Errorf("the app said ready before discovery was done:\n%s", log)
	}
	if !strings.Contains(stdout.String(), "open "+app+"/ and sign in") {
		t.Errorf("stdout does not name the app's URL %s:\n%s", app, stdout.String())
	}

	devSignIn(t, app, idp)

	// A request hung at the IdP, as on a dead network.
	devPostJSON(t, idp+"/__mock/faults", `{"mode":"net.hang"}`)
	before := devDiscoveryRequests(t, idp)
	written := make(chan struct{})
	hung := make(chan error, 1)
	go func() {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(written) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, idp+"/.well-known/openid-configuration", nil)
		resp, err := (&http.Client{}).Do(req) // no timeout: only the server can end it
		if err == nil {
			resp.Body.Close()
			err = &devAnsweredError{resp.StatusCode}
		}
		hung <- err
	}()
	<-written
	devWaitFor(t, "the hung request to reach the mock", func() bool { return devDiscoveryRequests(t, idp) > before })
	select {
	case err := <-hung:
		t.Fatalf("the request under net.hang ended before the shutdown: %v", err)
	default:
	}

	cancel() // what Ctrl-C does
	stopped := time.Now()
	select {
	case code := <-exit:
		if took := time.Since(stopped); code != cli.ExitOK {
			t.Errorf("exit code %d after %v; stderr:\n%s", code, took, stderr.String())
		}
	case <-time.After(devShutdownBound + 10*time.Second):
		t.Fatalf("dev still running %v after Ctrl-C, with a %v shutdown bound:\n%s", time.Since(stopped), devShutdownBound, stderr.String())
	}
	select {
	case err := <-hung:
		if _, answered := err.(*devAnsweredError); answered {
			t.Errorf("the hung request was answered: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the hung request is still in flight after dev exited")
	}
	// The reason it ended: the bound, on the mock's server.
	if log := stderr.String(); !strings.Contains(log, "requests still in flight at the shutdown timeout") || !strings.Contains(log, "cmd=dev-idp") {
		t.Errorf("the log does not say the mock's shutdown hit its bound:\n%s", log)
	}
}

// devAnsweredError is a hung request that got an answer after all.
type devAnsweredError struct{ status int }

func (e *devAnsweredError) Error() string { return "answered " + http.StatusText(e.status) }

// devSignIn signs ada in: app login → mock authorize (--auto-login) →
// callback → /dashboard, one redirect at a time with a cookie jar, and
// checks each hop goes where the flow says.
func devSignIn(t *testing.T, app, idp string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	devWaitFor(t, "the app to be ready (discovery done)", func() bool {
		resp, err := c.Get(app + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	hop := func(u, wantPrefix string) string {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if resp.StatusCode/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), wantPrefix) {
			t.Fatalf("GET %s: %d to %v, want a redirect to %s…", u, resp.StatusCode, loc, wantPrefix)
		}
		return loc.String()
	}
	authorize := hop(app+"/api/auth/login?return_to=/dashboard", idp+"/oauth/authorize?")
	callback := hop(authorize, app+"/api/auth/callback?")
	if q, _ := url.Parse(callback); q.Query().Get("code") == "" {
		t.Fatalf("the callback has no code: %s", callback)
	}
	dashboard := hop(callback, app+"/dashboard")
	resp, err := c.Get(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Welcome, Ada") || !strings.Contains(string(body), "ada@acme.test") {
		t.Fatalf("/dashboard: %d\n%s", resp.StatusCode, body)
	}
}

func devPostJSON(t *testing.T, u, body string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", u, resp.StatusCode, b)
	}
}

// devDiscoveryRequests reads the mock's discovery counter.
func devDiscoveryRequests(t *testing.T, idp string) int64 {
	t.Helper()
	resp, err := http.Get(idp + "/__mock/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var counts struct {
		Root map[string]int64 `json:"root"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		t.Fatal(err)
	}
	return counts.Root["discovery.requests"]
}

// devWaitFor polls cond, on a short tick, until it holds; 30 s is a failure.
func devWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
