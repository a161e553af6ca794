package mockidp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
)

// helperMockEnv names the state directory of a mock that this test binary
// runs as a child process, for TestStateSurvivesKill.
const helperMockEnv = "SKCTL_TEST_HELPER_MOCK_STATE_DIR"

// TestHelperMock is not a test: run as a child process with helperMockEnv
// set, it serves a mock with that state directory on 127.0.0.1:0, prints
// its URL, and serves until it is killed. Its background save is an hour
// away, so only what the mock saves before answering survives the kill.
func TestHelperMock(t *testing.T) {
	dir := os.Getenv(helperMockEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestStateSurvivesKill")
	}
	addr := os.Getenv(helperMockEnv + "_ADDR")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockidp.New(mockidp.Options{Issuer: "http://" + ln.Addr().String(), StateDir: dir, SaveEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("serving http://" + ln.Addr().String() + "\n")
	http.Serve(ln, srv.Handler())
}

// startKillable starts the mock as a child process on addr and returns
// its URL and the process.
func startKillable(t *testing.T, dir, addr string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMock$")
	cmd.Env = append(os.Environ(), helperMockEnv+"="+dir, helperMockEnv+"_ADDR="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "serving "); ok {
				lines <- u
				return
			}
		}
		close(lines)
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	select {
	case u, ok := <-lines:
		if !ok {
			t.Fatal("the child mock exited before serving")
		}
		return u, cmd
	case <-ctx.Done():
		t.Fatal("the child mock did not serve within 60 s")
	}
	return "", nil
}

// TestStateSurvivesKill: with --state-dir, a mock killed with SIGKILL right
// after answering a refresh comes back with the rotation done: the spent
// refresh token stays spent and its successor works. It used to save on a
// one-second tick only, so a kill within that window revived the spent
// token and forgot the new one.
func TestStateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	dir := t.TempDir()
	env, child := startKillable(t, dir, "127.0.0.1:0")
	addr := strings.TrimPrefix(env, "http://")

	// Several sessions refresh at once, so that their saves are shared.
	const n = 6
	first, second := make([]string, n), make([]string, n)
	for i := range n {
		first[i] = exchangeFor(t, env).body["refresh_token"].(string)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // no t.Fatal here: a failure shows as a missing token below
			resp, body, err := rawPost(env, "/oauth/token", refreshForm(first[i], app1ID, app1Secret), 30*time.Second)
			var r struct {
				RefreshToken string `json:"refresh_token"`
			}
			if err == nil && resp.StatusCode == http.StatusOK && json.Unmarshal(body, &r) == nil {
				second[i] = r.RefreshToken
			}
		})
	}
	wg.Wait()
	child.Process.Kill() // SIGKILL: no shutdown, no final save
	child.Wait()

	env, _ = startKillable(t, dir, addr)
	for i := range n {
		if second[i] == "" {
			t.Fatalf("refresh %d before the kill failed", i)
		}
		postToken(t, env, refreshForm(first[i], app1ID, app1Secret), nil).wantError(t, http.StatusBadRequest, "invalid_grant")
		if r := postToken(t, env, refreshForm(second[i], app1ID, app1Secret), nil); r.status != http.StatusOK {
			t.Errorf("refresh token %d, issued just before the kill: %d %v", i, r.status, r.body)
		}
	}
}
