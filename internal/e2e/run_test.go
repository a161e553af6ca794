// Package e2e_test runs skctl's real command tree in-process, on
// 127.0.0.1:0, and drives it over HTTP as a user's app and browser would.
package e2e_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/cli"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads, which a test can wait on for a line to appear.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced by every Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output holds a line for which match is true,
// and returns it; it gives up after timeout and returns "", false. It
// waits on the writes themselves, never on a clock.
func (s *syncBuffer) waitFor(timeout time.Duration, match func(line string) bool) (string, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		text := s.b.String()
		if s.written == nil {
			s.written = make(chan struct{})
		}
		written := s.written
		s.mu.Unlock()
		for _, line := range strings.Split(text, "\n") {
			if match(line) {
				return line, true
			}
		}
		select {
		case <-written:
		case <-deadline.C:
			return "", false
		}
	}
}

// Deadlines that only guard against a hang: generous, so that a busy
// machine never reaches them. A test that waits on an event waits until
// the event, not this long.
const (
	hangDeadline = 60 * time.Second
)

// running is a command started by startCmd.
type running struct {
	addr           net.Addr
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	exit           chan int
	stopOnce       sync.Once
}

// startCmd runs `skctl args…` in a goroutine and waits until it serves.
// Cleanup stops it and asserts a graceful exit with code 0.
func startCmd(t *testing.T, args ...string) *running {
	t.Helper()
	return startCmdWith(t, nil, args...)
}

// startCmdWith is startCmd with the Deps adjusted by deps first.
func startCmdWith(t testing.TB, deps func(*cli.Deps), args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, exit: make(chan int, 1)}
	ready := make(chan net.Addr, 1)
	d := cli.SystemDeps()
	d.Stdout, d.Stderr = r.stdout, r.stderr
	d.Ready = func(_ string, addr net.Addr) { ready <- addr }
	if deps != nil {
		deps(d)
	}
	go func() { r.exit <- cli.Run(ctx, args, d) }()
	select {
	case r.addr = <-ready:
	case code := <-r.exit:
		cancel()
		t.Fatalf("skctl %s exited with %d before serving:\n%s", strings.Join(args, " "), code, r.stderr)
	case <-time.After(hangDeadline):
		cancel()
		t.Fatalf("skctl %s did not become ready in %v; stderr:\n%s", strings.Join(args, " "), hangDeadline, r.stderr)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop sends the equivalent of SIGINT and checks the exit code is 0. It
// may be called more than once.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.stopOnce.Do(func() {
		r.cancel()
		select {
		case code := <-r.exit:
			if code != 0 {
				t.Errorf("exit code %d after shutdown; stderr:\n%s", code, r.stderr)
			}
		case <-time.After(hangDeadline):
			t.Errorf("no exit %v after shutdown", hangDeadline)
		}
	})
}

// run runs a command that ends by itself and returns its exit code and
// output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	d := cli.SystemDeps()
	d.Stdout, d.Stderr = &out, &errOut
	ctx, cancel := context.WithTimeout(t.Context(), hangDeadline)
	defer cancel()
	code := cli.Run(ctx, args, d)
	return code, out.String(), errOut.String()
}

// envLines parses the KEY=value lines mock-idp prints.
func envLines(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	for _, k := range []string{"SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET", "SCALEKIT_REDIRECT_URI"} {
		if m[k] == "" {
			t.Fatalf("mock-idp did not print %s; stdout:\n%s", k, out)
		}
	}
	return m
}

func httpGet(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
