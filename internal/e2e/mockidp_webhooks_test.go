package e2e_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// TestMockIDPWebhooks: `mock-idp --webhook-url` prints the signing secret
// it generated with the .env settings (never in its logs), delivers a
// sign-in's user.login signed with it, and with --state-dir prints the
// same secret after a restart, so the app's setting stays valid.
func TestMockIDPWebhooks(t *testing.T) {
	t.Parallel()
	type got struct {
		header http.Header
		body   []byte
	}
	hooks := make(chan got, 50)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hooks <- got{r.Header.Clone(), body}
	}))
	defer app.Close()
	dir := filepath.Join(t.TempDir(), "state")

	first := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--state-dir", dir, "--webhook-url", app.URL+"/api/webhooks")
	env := envLines(t, first.stdout.String())
	secret := env["SCALEKIT_WEBHOOK_SECRET"]
	if err := webhook.CheckSecret(secret); err != nil {
		t.Fatalf("SCALEKIT_WEBHOOK_SECRET=%q: %v\n%s", secret, err, first.stdout)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {env["SCALEKIT_CLIENT_ID"]}, "redirect_uri": {env["SCALEKIT_REDIRECT_URI"]},
		"scope": {"openid"}, "state": {"st-123456"}, "login_hint": {"ada@acme.test"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(env["SCALEKIT_ENVIRONMENT_URL"] + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case h := <-hooks:
		if err := webhook.Verify(secret, h.header, h.body, time.Now()); err != nil || !strings.Contains(string(h.body), `"type":"user.login"`) {
			t.Errorf("the webhook: %v: %s", err, h.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook within 30 s of a sign-in")
	}
	// The key is made in the background at start; have it written before
	// the stop, so that nothing writes to the directory after the test.
	httpGet(t, env["SCALEKIT_ENVIRONMENT_URL"]+"/keys")
	first.stop(t)
	if strings.Contains(first.stderr.String(), secret) {
		t.Errorf("the webhook secret is in the logs")
	}

	second := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--state-dir", dir, "--webhook-url", app.URL+"/api/webhooks")
	again := envLines(t, second.stdout.String())
	httpGet(t, again["SCALEKIT_ENVIRONMENT_URL"]+"/keys")
	if again := again["SCALEKIT_WEBHOOK_SECRET"]; again != secret {
		t.Errorf("after a restart on the same --state-dir the secret is %q, want %q", again, secret)
	}
}
