package mockidp_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// TestSCIMWebhookSavedBeforeAnswer: a SCIM push answered 201 has its
// webhook delivery on disk, as the management API's changes do: a crash
// right after the answer loses neither the user nor its webhook.
func TestSCIMWebhookSavedBeforeAnswer(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusInternalServerError))
	hooks := []webhook.Endpoint{{URL: ep.URL, Secret: webhook.NewSecret(), Events: []string{string(events.DirUserCreated)}}}
	dir := t.TempDir()
	env := startEnv(t, mockidp.Options{StateDir: dir, Webhooks: hooks, SaveEvery: time.Hour,
		WebhookPolicy: webhook.Policy{Backoff: []time.Duration{time.Hour}}})
	idp := newSCIM(t, env, acmeDir, acmeToken)
	idp.must(http.StatusCreated, http.MethodPost, "/Users", rfcBabs())
	raw, err := os.ReadFile(filepath.Join(dir, webhook.QueueFile))
	if err != nil || !strings.Contains(string(raw), string(events.DirUserCreated)) {
		t.Fatalf("after SCIM answered 201, %s holds no directory.user_created delivery (err %v): %s — a kill -9 now loses the webhook", webhook.QueueFile, err, raw)
	}
}
