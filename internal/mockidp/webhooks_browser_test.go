package mockidp_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// TestBrowserWebhookResend: the Resend button of the delivery log works
// in a real browser. The page is served with Referrer-Policy no-referrer,
// so Chromium posts its form with Origin "null"; the mock must take it as
// its own page's form (fetch metadata says same-origin) and send the
// event again, and the page it comes back to names the new delivery.
func TestBrowserWebhookResend(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusOK))
	env := startEnv(t, mockidp.Options{Webhooks: []webhook.Endpoint{{URL: ep.URL, Secret: webhook.NewSecret()}}, WebhookPolicy: noWait})
	newMgAPI(t, env).createOrg("Resent Co", "")
	first := ep.next(t)
	awaitDeliveries(t, env, "the first delivery", allFinished(1))

	top := &consoleLog{}
	ctx := startChromium(t, 2*time.Minute, top)
	// What the click lands on: the log with its notice, or a refusal
	// (plain text, which Chromium shows in a <pre> of its own).
	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/__mock/webhooks"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Resend"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="notice"] | /html/body/pre`)),
	)
	if err != nil {
		t.Fatalf("click Resend: %v\nbrowser:\n%s", err, top)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil || !strings.Contains(body, "Queued dlv_") {
		t.Fatalf("the click on Resend was answered with this page, not the log naming a new delivery (%v):\n%.1500s", err, body)
	}
	again := ep.next(t)
	if again.id() != first.id() {
		t.Errorf("the resend delivered %s, want the event %s again", again.id(), first.id())
	}
	ds := awaitDeliveries(t, env, "the resend delivered", allFinished(2))
	if ds[0].ResentFrom != ds[1].ID {
		t.Errorf("the new delivery %s resends %q, want %s", ds[0].ID, ds[0].ResentFrom, ds[1].ID)
	}
	if !strings.Contains(body, "Queued "+ds[0].ID) {
		t.Errorf("the page after Resend does not name the new delivery %s:\n%.1500s", ds[0].ID, body)
	}
}
