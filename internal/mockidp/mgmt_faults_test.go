package mockidp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
)

// mgArm switches a mode on in env, failing the test if it is refused.
func mgArm(t *testing.T, c *mgAPI, mode string, count int) {
	t.Helper()
	if err := c.env.Arm(mode, count, ""); err != nil {
		t.Fatalf("Arm %s: %v", mode, err)
	}
}

// TestMgmtFaultRefusals: grpc.unavailable and grpc.resource_exhausted
// answer a call with their status, in whichever protocol the caller
// speaks, for as many calls as armed; the next call is served.
func TestMgmtFaultRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode      string
		code      connect.Code
		errorCode string
	}{
		{"grpc.unavailable", connect.CodeUnavailable, "UNAVAILABLE"},
		{"grpc.resource_exhausted", connect.CodeResourceExhausted, "RESOURCE_EXHAUSTED"},
	} {
		for _, p := range []mgProto{mgHTTP1, mgH2C} {
			t.Run(tc.mode+"/"+p.String(), func(t *testing.T) {
				t.Parallel()
				env := startEnv(t, mockidp.Options{})
				c := newMgAPI(t, env, mgOver(p))
				mgArm(t, c, tc.mode, 1)
				mgWantErr(t, "GetOrganization with "+tc.mode, mgGetAcme(c), tc.code, tc.errorCode, tc.mode)
				if err := mgGetAcme(c); err != nil {
					t.Fatalf("GetOrganization after the one armed call: %v%s", err, mgDescribe(err))
				}
			})
		}
	}
}

// TestMgmtFaultRefusalBeforeAuth: a drill refuses the call before its
// token is looked at, as an outage in front of Scalekit would.
func TestMgmtFaultRefusalBeforeAuth(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env, mgNoToken())
	mgArm(t, c, "grpc.unavailable", 0)
	mgWantErr(t, "GetOrganization without a token in an outage", mgGetAcme(c), connect.CodeUnavailable, "UNAVAILABLE", "")
	env.ClearFaults()
	mgWantErr(t, "GetOrganization without a token after the outage", mgGetAcme(c), connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token empty")
}

// TestMgmtFaultReset: grpc.reset drops the call's connection (HTTP/1.1)
// or stream (h2c): the client sees a transport error, not a status of the
// mock, though the mock counted the call; the next call is served.
func TestMgmtFaultReset(t *testing.T) {
	t.Parallel()
	for _, p := range []mgProto{mgHTTP1, mgH2C} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			env := startEnv(t, mockidp.Options{})
			c := newMgAPI(t, env, mgOver(p))
			if err := mgGetAcme(c); err != nil { // a connection to reuse
				t.Fatal(err)
			}
			counter := mgCounter(mgOrgService + "GetOrganization")
			before := mgCounters(env)[counter]
			mgArm(t, c, "grpc.reset", 1)
			err := mgGetAcme(c)
			if err == nil {
				t.Fatalf("GetOrganization with grpc.reset succeeded")
			}
			if info := mgInfo(err); info != nil {
				t.Errorf("GetOrganization with grpc.reset: an answer of the mock %v, want a transport error", info)
			}
			// How the drop shows: an RST on the connection (SO_LINGER 0),
			// or RST_STREAM on the h2c stream.
			switch p {
			case mgHTTP1:
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("GetOrganization with grpc.reset over HTTP/1.1: %v, want connection reset by peer", err)
				}
			case mgH2C:
				if msg := err.Error(); !strings.Contains(msg, "stream error") || !strings.Contains(msg, "INTERNAL_ERROR") {
					t.Errorf("GetOrganization with grpc.reset over h2c: %v, want the stream reset (INTERNAL_ERROR)", err)
				}
			}
			if got := mgCounters(env)[counter] - before; got != 1 {
				t.Errorf("counter %s grew by %d, want 1: the mock must have received the call (and the client must not have retried)", counter, got)
			}
			if err := mgGetAcme(c); err != nil {
				t.Fatalf("GetOrganization after the reset: %v%s", err, mgDescribe(err))
			}
		})
	}
}

// TestMgmtFaultSlow: grpc.slow holds the answer: a client with a short
// deadline gives up (DeadlineExceeded), though the mock received the
// call; once the faults are cleared the same call is answered at once.
func TestMgmtFaultSlow(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	counter := mgCounter(mgOrgService + "GetOrganization")
	mgArm(t, c, "grpc.slow=2s", 0)
	before := mgCounters(env)[counter]

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	_, err := c.orgs.GetOrganization(ctx, connect.NewRequest(mgOrgID(acmeOrg)))
	cancel()
	mgWantErr(t, "GetOrganization with grpc.slow=2s and a 200 ms deadline", err, connect.CodeDeadlineExceeded, "", "")
	if got := mgCounters(env)[counter] - before; got != 1 {
		t.Errorf("counter %s grew by %d, want 1: the call must have reached the mock", counter, got)
	}

	env.ClearFaults()
	start := time.Now()
	if err := mgGetAcme(c); err != nil {
		t.Fatalf("GetOrganization after ClearFaults: %v%s", err, mgDescribe(err))
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Errorf("GetOrganization after ClearFaults took %v: still held by grpc.slow=2s", d)
	}
}

// TestMgmtFaultScenarioPath: a scenario environment at /grpc.unavailable
// is a separate environment (its own issuer, tokens and counters) whose
// management API is down, while the root environment's is up.
func TestMgmtFaultScenarioPath(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	base := env.URL + "/grpc.unavailable"
	scen := newMgAPI(t, env, mgBase(base)) // its token comes from the scenario's /oauth/token
	root := newMgAPI(t, env)
	counter := mgCounter(mgOrgService + "GetOrganization")
	before := mgCounters(env)[counter]

	mgWantErr(t, "GetOrganization at /grpc.unavailable", mgGetAcme(scen), connect.CodeUnavailable, "UNAVAILABLE", "grpc.unavailable")
	mgWantErr(t, "GetOrganization at /grpc.unavailable again", mgGetAcme(scen), connect.CodeUnavailable, "UNAVAILABLE", "")
	if err := mgGetAcme(root); err != nil {
		t.Fatalf("GetOrganization at the root: %v%s", err, mgDescribe(err))
	}
	if got := mgCounters(env)[counter] - before; got != 1 {
		t.Errorf("the root's counter %s grew by %d, want 1 (the scenario counts its own)", counter, got)
	}

	// /__mock/requests shows the scenario's own counter.
	status, body := mgControl(t, env, http.MethodGet, "/__mock/requests", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/requests: %d %s", status, body)
	}
	var all map[string]map[string]int64
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("GET /__mock/requests: %v: %s", err, body)
	}
	if got := all["grpc.unavailable"][counter]; got != 2 {
		t.Errorf("the scenario's counter %s = %d, want 2", counter, got)
	}
}

// TestMgmtNetModesKeepGRPC: the net.* modes that change how an answer is
// written, not whether it is, leave a management call working over both
// transports: net.wrong_content_type touches JSON answers only, and its
// writer passes connect-go's flush through, which gRPC over HTTP/1.1 needs
// for its trailers.
func TestMgmtNetModesKeepGRPC(t *testing.T) {
	t.Parallel()
	for _, p := range []mgProto{mgHTTP1, mgH2C} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			env := startEnv(t, mockidp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			c := newMgAPI(t, env, mgOver(p))
			mgArm(t, c, "net.wrong_content_type", 0)
			if err := mgGetAcme(c); err != nil {
				t.Errorf("GetOrganization under net.wrong_content_type: %s", mgDescribe(err))
			}
		})
	}
}
