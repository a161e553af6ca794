// Package redistest runs a real redis-server (Debian's package; Valkey's
// valkey-server speaks the same protocol) on a loopback port for one
// test, and can stop, restart, freeze and thaw it there, for outage
// tests.
package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds a start: redis-server is ready in milliseconds, but
// a loaded CI machine may take longer.
const startTimeout = 20 * time.Second

// Server is a redis-server for one test, stopped when the test ends.
type Server struct {
	t   testing.TB
	exe string
	dir string
	// Port is the loopback port it listens on, the same across restarts.
	Port int
	// URL is redis://127.0.0.1:Port.
	URL string

	mu   sync.Mutex
	proc *exec.Cmd
	done chan struct{} // closed when proc exits
}

// Start starts a redis-server on a free loopback port, with no
// persistence (--save ” --appendonly no). Without redis-server on PATH
// the test is skipped with how to install it, or fails when CI=true: CI
// must run these tests.
func Start(t testing.TB) *Server {
	t.Helper()
	exe := find()
	if exe == "" {
		const hint = "no redis-server (or valkey-server) on PATH; to run this test: apt-get install redis-server"
		if os.Getenv("CI") == "true" {
			t.Fatal(hint + " (CI must run it)")
		}
		t.Skip(hint)
	}
	s := &Server{t: t, exe: exe, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	// A port picked by the kernel and freed again may be taken by
	// someone else before redis-server binds it: try a few.
	var last string
	for range 5 {
		port := freePort(t)
		out, ok := s.start(port)
		if ok {
			s.Port, s.URL = port, "redis://127.0.0.1:"+strconv.Itoa(port)
			return s
		}
		last = out
	}
	t.Fatalf("redis-server did not start:\n%s", last)
	return nil
}

func find() string {
	for _, name := range []string{"redis-server", "valkey-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs the server on port and waits for it to say it is ready. It
// returns the server's output and whether it became ready.
func (s *Server) start(port int) (string, bool) {
	s.t.Helper()
	cmd := exec.Command(s.exe, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--dir", s.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", s.exe, err)
	}
	done := make(chan struct{})
	ready := make(chan struct{})
	var mu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			mu.Lock()
			fmt.Fprintln(&log, sc.Text())
			mu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(done)
	}()
	output := func() string { mu.Lock(); defer mu.Unlock(); return log.String() }
	select {
	case <-ready:
		s.mu.Lock()
		s.proc, s.done = cmd, done
		s.mu.Unlock()
		return output(), true
	case <-done:
		return output(), false
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		<-done
		return output(), false
	}
}

// Stop stops the server (SIGTERM, which closes every client connection)
// and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	proc, done := s.proc, s.done
	s.proc = nil
	s.mu.Unlock()
	if proc == nil {
		return
	}
	proc.Process.Signal(syscall.SIGCONT) // a frozen server cannot exit
	proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(startTimeout):
		proc.Process.Kill()
		<-done
	}
}

// Restart starts the server again on the same port, empty (it keeps
// nothing on disk).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if out, ok := s.start(s.Port); !ok {
		s.t.Fatalf("redis-server did not restart on port %d:\n%s", s.Port, out)
	}
}

// Freeze stops the server's process without closing its connections
// (SIGSTOP): every command then hangs, as on an overloaded server, until
// Thaw.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		s.t.Fatal("redistest: the server is not running")
	}
	if err := s.proc.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}
