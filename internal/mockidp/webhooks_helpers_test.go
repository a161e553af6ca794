package mockidp_test

// Helpers of the webhook tests (webhooks_test.go): an app's webhook
// endpoint on loopback that records what it receives, and readers of the
// delivery log.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/testenv"
	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// hook is one request the endpoint received.
type hook struct {
	header http.Header
	body   string
}

// id is the request's webhook-id.
func (h hook) id() string { return h.header.Get(webhook.HeaderID) }

// eventType is the type in the body.
func (h hook) eventType(t testing.TB) string {
	t.Helper()
	var e struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(h.body), &e); err != nil {
		t.Fatalf("a webhook body is not JSON: %v: %s", err, h.body)
	}
	return e.Type
}

// hookEndpoint is an app's webhook endpoint: it records each request and
// answers as answer says for the request's number (1-based).
type hookEndpoint struct {
	*httptest.Server
	got    chan hook
	count  atomic.Int64
	answer func(n int64, h hook) int
}

func newHookEndpoint(t *testing.T, answer func(n int64, h hook) int) *hookEndpoint {
	t.Helper()
	e := &hookEndpoint{got: make(chan hook, 200), answer: answer}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := hook{header: r.Header.Clone(), body: string(body)}
		n := e.count.Add(1)
		e.got <- h
		code := e.answer(n, h)
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(e.Close)
	return e
}

// answering answers every request with code.
func answering(code int) func(int64, hook) int { return func(int64, hook) int { return code } }

// next returns the next request, failing if none comes in time.
func (e *hookEndpoint) next(t *testing.T) hook {
	t.Helper()
	select {
	case h := <-e.got:
		return h
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook endpoint got no request within 30 s")
		return hook{}
	}
}

// webhookLog is GET /__mock/webhooks?format=json.
type webhookLog struct {
	Endpoints []struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	} `json:"endpoints"`
	Policy struct {
		Timeout     string   `json:"timeout"`
		MaxAttempts int      `json:"max_attempts"`
		Backoff     []string `json:"backoff"`
	} `json:"policy"`
	Total      int                `json:"total"`
	Deliveries []webhook.Delivery `json:"deliveries"`
}

func getWebhookLog(t *testing.T, env *testenv.Env, query string) webhookLog {
	t.Helper()
	resp, err := http.Get(env.URL + "/__mock/webhooks?format=json" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /__mock/webhooks: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var log webhookLog
	if err := json.Unmarshal(body, &log); err != nil {
		t.Fatalf("the log is not JSON: %v: %s", err, body)
	}
	return log
}

// awaitDeliveries waits until cond holds of the environment's deliveries,
// woken by each change of them.
func awaitDeliveries(t *testing.T, env *testenv.Env, what string, cond func([]webhook.Delivery) bool) []webhook.Delivery {
	t.Helper()
	d := env.Webhooks()
	timeout := time.After(30 * time.Second)
	for {
		ch := d.Changed()
		if ds := d.List(webhook.Filter{}); cond(ds) {
			return ds
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("waiting for %s; the deliveries: %+v", what, d.List(webhook.Filter{}))
		}
	}
}

// allFinished holds when there are n deliveries and none will be
// attempted again.
func allFinished(n int) func([]webhook.Delivery) bool {
	return func(ds []webhook.Delivery) bool {
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if !d.Status.Finished() {
				return false
			}
		}
		return true
	}
}

func ofEvent(ds []webhook.Delivery, eventID string) []webhook.Delivery {
	var out []webhook.Delivery
	for _, d := range ds {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

func attemptStatuses(d webhook.Delivery) []int {
	var out []int
	for _, a := range d.Attempts {
		out = append(out, a.Status)
	}
	return out
}
