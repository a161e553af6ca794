package mockidp_test

import (
	"os"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// TestWebhookDocsListEveryType: docs/webhooks.md has a row for every
// event type the mock sends, with its object and display name, and no
// row for a type it does not send.
func TestWebhookDocsListEveryType(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if typ, _, ok := strings.Cut(rest, "` |"); ok && strings.Contains(typ, ".") {
				rows[typ] = line
			}
		}
	}
	for _, i := range events.Types() {
		row, ok := rows[string(i.Type)]
		if !ok {
			t.Errorf("docs/webhooks.md has no row for %s", i.Type)
			continue
		}
		if !strings.Contains(row, "| "+string(i.Object)+" |") || !strings.Contains(row, "| "+i.DisplayName+" |") {
			t.Errorf("docs/webhooks.md's row for %s lacks %s or %q: %s", i.Type, i.Object, i.DisplayName, row)
		}
		delete(rows, string(i.Type))
	}
	for typ := range rows {
		t.Errorf("docs/webhooks.md lists %s, which the mock does not send", typ)
	}
}
