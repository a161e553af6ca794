package mockidp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/webhook"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// noWait retries at once: the tests synchronise on the deliveries, never
// on time.
var noWait = webhook.Policy{Backoff: []time.Duration{0, 0, 0}}

// TestWebhooksVerifyWithNodeSDK: a session of an app's life (an
// organization made through the management API, a sign-up on the sign-in
// page, a membership added, a SCIM push of users and groups, actions in
// the admin portal) reaches the app's endpoint as one webhook per
// event of the log, and Scalekit's Node SDK verifies every one as
// received and as JSON.stringify(JSON.parse(body)), and refuses each
// tampered. The webhook-id is the event's ID.
func TestWebhooksVerifyWithNodeSDK(t *testing.T) {
	t.Parallel()
	node := needNodeSDK(t)
	ep := newHookEndpoint(t, answering(http.StatusOK))
	secret := webhook.NewSecret()
	env := startEnv(t, mockidp.Options{Webhooks: []webhook.Endpoint{{URL: ep.URL + "/api/webhooks", Secret: secret}}, WebhookPolicy: noWait})

	mg := newMgAPI(t, env)
	o := mg.createOrg("Initech", "INI-1")
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)
	f := a.start(oauth2.SetAuthURLParam("prompt", "create"))
	tok, err := a.exchange(f, a.callback(f, b.byEmail(env, b.get(f.authURL), "founder@startup.test")))
	if err != nil {
		t.Fatal(err)
	}
	cr, err := mg.users.CreateMembership(mgCtx(t), connect.NewRequest(&userspb.CreateMembershipRequest{
		OrganizationId: o.GetId(), Identities: &userspb.CreateMembershipRequest_Id{Id: tok.idToken.Subject}}))
	mgMust(t, "CreateMembership", cr, err)

	// A SCIM push of the fixtures' Acme directory: a user, a group with
	// the user, the user deactivated.
	idp := newSCIM(t, env, acmeDir, acmeToken)
	su := idp.must(http.StatusCreated, "POST", "/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bjensen@acme.test",
		"name": map[string]string{"givenName": "Barbara", "familyName": "Jensen"}, "active": true,
		"emails": []map[string]any{{"value": "bjensen@acme.test", "primary": true}}})
	idp.must(http.StatusCreated, "POST", "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Tour Guides",
		"members": []map[string]string{{"value": su["id"].(string)}}})
	idp.must(http.StatusOK, "PATCH", "/Users/"+su["id"].(string), map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}}})
	// Admin portal actions on Initech: a domain added and verified, an SSO
	// connection created and enabled, a SCIM directory created and enabled.
	p := openPortal(t, env, mg, o.GetId())
	p.act("domains", url.Values{"domain": {"initech.test"}})
	dom := arranged(env.Tenant().ListDomains(o.GetId(), "", tenant.Page{Size: 10})).Items[0]
	p.act("domains/verify", url.Values{"id": {dom.ID}})
	p.act("sso", url.Values{"type": {"SAML"}, "provider": {"OKTA"}})
	p.act("sso/enable", url.Values{"id": {env.Tenant().ListConnections(o.GetId(), "")[0].ID}})
	p.act("scim", url.Values{"name": {"Initech Okta"}, "provider": {"OKTA"}})
	dirs := arranged(env.Tenant().ListDirectories(o.GetId()))
	p.act("scim/enable", url.Values{"id": {dirs[0].ID}})

	logged := env.Events().All()
	ds := awaitDeliveries(t, env, "a delivery of every event", allFinished(len(logged)))
	var hooks []hook
	for range logged {
		hooks = append(hooks, ep.next(t))
	}
	var types []string
	type nodeDelivery struct {
		Name    string            `json:"name"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	var forNode []nodeDelivery
	for i, h := range hooks {
		typ := h.eventType(t)
		types = append(types, typ)
		if h.id() != logged[i].ID {
			t.Errorf("webhook %d: webhook-id %s, want the event %s, in the log's order", i, h.id(), logged[i].ID)
		}
		var body struct {
			ID string `json:"id"`
		}
		json.Unmarshal([]byte(h.body), &body)
		if body.ID != h.id() {
			t.Errorf("webhook %d: the body's id %s is not its webhook-id %s", i, body.ID, h.id())
		}
		if err := webhook.Verify(secret, h.header, []byte(h.body), time.Now()); err != nil {
			t.Errorf("webhook %d (%s): %v", i, typ, err)
		}
		headers := map[string]string{}
		for k := range h.header {
			headers[strings.ToLower(k)] = h.header.Get(k) // as Node's req.headers has them
		}
		forNode = append(forNode, nodeDelivery{Name: typ + "/" + h.id(), Headers: headers, Body: h.body})
	}
	for _, want := range []events.Type{events.OrgCreated, events.UserSignup, events.MembershipCreated, events.UserLogin,
		events.DirUserCreated, events.DirGroupCreated, events.DirUserUpdated,
		events.DomainCreated, events.DomainVerificationPassed, events.SSOCreated, events.SSOEnabled, events.DirectoryEnabled} {
		if !slices.Contains(types, string(want)) {
			t.Errorf("no %s webhook among %v", want, types)
		}
	}
	for _, d := range ds {
		if d.Status != webhook.Delivered || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusOK {
			t.Errorf("delivery %s of %s: %s after %+v", d.ID, d.EventType, d.Status, d.Attempts)
		}
	}

	file := filepath.Join(t.TempDir(), "deliveries.json")
	data, _ := json.Marshal(forNode)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := runNodeCheck(t, node, "verify-webhooks.mjs", 60*time.Second, "WEBHOOK_SECRET="+secret, "WEBHOOK_DELIVERIES="+file)
	verified := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ok ") {
			verified++
		}
	}
	if n := verified; n != len(hooks) {
		t.Errorf("node verified %d of %d webhooks:\n%s", n, len(hooks), out)
	}
	t.Logf("node verify-webhooks.mjs:\n%s", out)
}

// TestWebhookRetriesInOrder: an endpoint that answers 500 twice, then
// 200, gets the event three times, and the log shows the three attempts;
// an event made while the first was failing arrives only after it.
func TestWebhookRetriesInOrder(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	ep := newHookEndpoint(t, func(n int64, h hook) int {
		if n == 1 {
			<-release // hold the first attempt until the second event exists
		}
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	env := startEnv(t, mockidp.Options{
		Webhooks:      []webhook.Endpoint{{URL: ep.URL, Secret: webhook.NewSecret(), Events: []string{string(events.OrgCreated)}}},
		WebhookPolicy: noWait,
	})
	mg := newMgAPI(t, env)
	mg.createOrg("First", "")
	one := ep.next(t)
	// The API answers while the endpoint holds its webhook: deliveries
	// never hold up the change that makes them.
	mg.createOrg("Second", "")
	close(release)
	ids := []string{one.id()}
	for range 3 {
		ids = append(ids, ep.next(t).id())
	}
	awaitDeliveries(t, env, "both delivered", allFinished(2))
	if ids[0] != ids[1] || ids[1] != ids[2] || ids[3] == ids[0] {
		t.Fatalf("webhook-ids in arrival order %v: want the first event three times, then the second", ids)
	}
	log := getWebhookLog(t, env, "")
	if len(log.Deliveries) != 2 || log.Total != 2 {
		t.Fatalf("the log: %+v", log)
	}
	d1, d2 := ofEvent(log.Deliveries, ids[0]), ofEvent(log.Deliveries, ids[3])
	if len(d1) != 1 || d1[0].Status != webhook.Delivered || !slices.Equal(attemptStatuses(d1[0]), []int{500, 500, 200}) {
		t.Errorf("the first event's delivery: %+v, want delivered after 500, 500, 200", d1)
	}
	if len(d2) != 1 || d2[0].Status != webhook.Delivered || !slices.Equal(attemptStatuses(d2[0]), []int{200}) {
		t.Errorf("the second event's delivery: %+v", d2)
	}
	if last := d1[0].Attempts[2]; last.N != 3 || last.Response != "OK" || d1[0].Attempts[0].Response != "Internal Server Error" {
		t.Errorf("the attempts do not keep their answers: %+v", d1[0].Attempts)
	}
	if log.Deliveries[0].EventID != ids[3] {
		t.Errorf("the log is not newest first")
	}
	if log.Policy.MaxAttempts != 4 || log.Policy.Timeout != "10s" || len(log.Endpoints) != 1 || log.Endpoints[0].Events[0] != "organization.created" {
		t.Errorf("the log's endpoints and policy: %+v %+v", log.Endpoints, log.Policy)
	}
}

// TestWebhookGivesUp: an endpoint of the fixtures that always answers 500
// gets four attempts (one and three retries); the log says failed, and
// why.
func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusInternalServerError))
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Webhooks = []fixture.Webhook{{URL: ep.URL, Secret: webhook.NewSecret(), Events: []string{string(events.OrgCreated)}}}
	env := startEnv(t, mockidp.Options{Fixtures: fx, WebhookPolicy: noWait})
	newMgAPI(t, env).createOrg("Doomed", "")
	awaitDeliveries(t, env, "the delivery given up", allFinished(1))
	d := getWebhookLog(t, env, "&status=failed").Deliveries
	if len(d) != 1 || !slices.Equal(attemptStatuses(d[0]), []int{500, 500, 500, 500}) || !strings.Contains(d[0].Note, "gave up after 4 attempts") {
		t.Fatalf("the failed deliveries: %+v", d)
	}
	if n := ep.count.Load(); n != 4 {
		t.Errorf("the endpoint got %d requests, want 4", n)
	}
	if d := getWebhookLog(t, env, "&status=delivered").Deliveries; len(d) != 0 {
		t.Errorf("delivered: %+v", d)
	}
}

// TestWebhookRestartMidRetry: with --state-dir, a delivery queued by a
// management API change is on disk when the API answers (a copy of the
// directory taken then, as a crash would leave it, delivers it), and one
// that was retrying when the mock stopped is delivered by the next start
// on the same directory: the same delivery, the same webhook-id and body,
// its earlier attempt counted. Nothing is lost.
func TestWebhookRestartMidRetry(t *testing.T) {
	t.Parallel()
	var code atomic.Int64
	code.Store(http.StatusInternalServerError)
	ep := newHookEndpoint(t, func(int64, hook) int { return int(code.Load()) })
	secret := webhook.NewSecret()
	hooks := []webhook.Endpoint{{URL: ep.URL, Secret: secret, Events: []string{string(events.OrgCreated)}}}
	dir := t.TempDir()
	// Retries an hour apart, and no save tick: what is on disk was
	// written before the answer.
	env1 := startEnv(t, mockidp.Options{StateDir: dir, Webhooks: hooks, SaveEvery: time.Hour,
		WebhookPolicy: webhook.Policy{Backoff: []time.Duration{time.Hour, time.Hour, time.Hour}}})
	newMgAPI(t, env1).createOrg("Durable", "")
	crash := copyDir(t, dir)

	firstTry := ep.next(t)
	before := awaitDeliveries(t, env1, "the first attempt failed", func(ds []webhook.Delivery) bool {
		return len(ds) == 1 && ds[0].Status == webhook.Retrying
	})[0]
	env1.Stop()

	code.Store(http.StatusOK)
	env2 := startEnv(t, mockidp.Options{StateDir: dir, Webhooks: hooks, WebhookPolicy: noWait})
	again := ep.next(t)
	after := awaitDeliveries(t, env2, "delivered after the restart", allFinished(1))[0]
	if again.id() != firstTry.id() || again.body != firstTry.body || webhook.Verify(secret, again.header, []byte(again.body), time.Now()) != nil {
		t.Errorf("after the restart: webhook-id %s, body %s; before %s, %s", again.id(), again.body, firstTry.id(), firstTry.body)
	}
	if after.ID != before.ID || after.Status != webhook.Delivered || !slices.Equal(attemptStatuses(after), []int{500, 200}) {
		t.Errorf("after the restart: %+v, want %s delivered at its second attempt", after, before.ID)
	}
	env2.Stop()

	env3 := startEnv(t, mockidp.Options{StateDir: crash, Webhooks: hooks, WebhookPolicy: noWait})
	fromCrash := ep.next(t)
	if fromCrash.id() != firstTry.id() {
		t.Errorf("from the directory as the API answer left it: webhook-id %s, want %s", fromCrash.id(), firstTry.id())
	}
	got := awaitDeliveries(t, env3, "delivered from the crash image", allFinished(1))[0]
	// The image holds the delivery as the API's save found it: queued, or
	// already past its first attempt if that was quicker than the disk.
	if st := attemptStatuses(got); got.ID != before.ID || !slices.Equal(st, []int{200}) && !slices.Equal(st, []int{500, 200}) {
		t.Errorf("from the crash image: %+v", got)
	}
}

// copyDir copies a state directory's files, as they are now.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, webhook.QueueFile)); err != nil {
		t.Fatalf("the state directory has no %s after the API answered: %v", webhook.QueueFile, err)
	}
	return out
}

// TestWebhookResend: POST /__mock/webhooks/{id}/resend queues a new
// delivery of the same event (same webhook-id) with attempts of its own:
// 202 with its ID for an API caller, 303 back to the page for the page's
// own form. A form posted from another origin is refused, and resends
// nothing.
func TestWebhookResend(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusNoContent))
	env := startEnv(t, mockidp.Options{Webhooks: []webhook.Endpoint{{URL: ep.URL, Secret: webhook.NewSecret(), Events: []string{string(events.OrgCreated)}}}})
	newMgAPI(t, env).createOrg("Again", "")
	first := ep.next(t)
	orig := awaitDeliveries(t, env, "delivered", allFinished(1))[0]
	resendURL := env.URL + "/__mock/webhooks/" + orig.ID + "/resend"

	req, _ := http.NewRequest(http.MethodPost, resendURL, nil)
	req.Header.Set("Content-Type", "application/json")
	resp := do(t, req)
	var ans struct {
		DeliveryID string `json:"delivery_id"`
		ResentFrom string `json:"resent_from"`
	}
	json.Unmarshal([]byte(resp.body), &ans)
	if resp.status != http.StatusAccepted || !strings.HasPrefix(ans.DeliveryID, "dlv_") || ans.DeliveryID == orig.ID || ans.ResentFrom != orig.ID {
		t.Fatalf("API resend: %d %s", resp.status, resp.body)
	}
	if h := ep.next(t); h.id() != first.id() || h.body != first.body {
		t.Errorf("the resend sent %s %s, want the same event", h.id(), h.body)
	}
	ds := awaitDeliveries(t, env, "the resend delivered", allFinished(2))
	if ds[0].ID != ans.DeliveryID || ds[0].ResentFrom != orig.ID || len(ds[0].Attempts) != 1 || len(ds[1].Attempts) != 1 {
		t.Errorf("after the resend: %+v", ds)
	}

	form := func(origin string) page {
		req, _ := http.NewRequest(http.MethodPost, resendURL, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		return do(t, req)
	}
	if p := form("http://localhost:3000"); p.status != http.StatusForbidden {
		t.Errorf("a form from another origin: %d %s", p.status, p.body)
	}
	if p := form(""); p.status != http.StatusForbidden {
		t.Errorf("a form with no Origin: %d %s", p.status, p.body)
	}
	// Origin "null" (a no-referrer page's form, as Chromium posts it)
	// passes only with fetch metadata saying it came from the mock's own
	// page.
	nullOrigin := func(site string) page {
		req, _ := http.NewRequest(http.MethodPost, resendURL, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "null")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		return do(t, req)
	}
	for _, site := range []string{"", "cross-site", "same-site"} {
		if p := nullOrigin(site); p.status != http.StatusForbidden {
			t.Errorf("a form with Origin null and Sec-Fetch-Site %q: %d %s", site, p.status, p.body)
		}
	}
	if n := len(env.Webhooks().List(webhook.Filter{})); n != 2 {
		t.Errorf("refused forms made deliveries: %d, want 2", n)
	}
	p := form(env.URL)
	if p.status != http.StatusSeeOther || p.location == nil || p.location.Path != "/__mock/webhooks" || !strings.HasPrefix(p.location.Query().Get("resent"), "dlv_") {
		t.Fatalf("the page's form: %d %v %s", p.status, p.location, p.body)
	}
	ep.next(t)
	awaitDeliveries(t, env, "the form's resend delivered", allFinished(3))
	if p := nullOrigin("same-origin"); p.status != http.StatusSeeOther || p.location == nil || p.location.Path != "/__mock/webhooks" {
		t.Fatalf("the page's form as Chromium posts it (Origin null, same-origin): %d %v %s", p.status, p.location, p.body)
	}
	ep.next(t)
	awaitDeliveries(t, env, "the null-origin form's resend delivered", allFinished(4))

	if p := do(t, mustReq(t, http.MethodPost, env.URL+"/__mock/webhooks/dlv_404/resend", "application/json")); p.status != http.StatusNotFound {
		t.Errorf("resend of no delivery: %d %s", p.status, p.body)
	}
	if p := do(t, mustReq(t, http.MethodGet, resendURL, "")); p.status != http.StatusMethodNotAllowed {
		t.Errorf("GET of the resend path: %d", p.status)
	}
}

func mustReq(t *testing.T, method, u, contentType string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// do sends a request without following redirects.
func do(t *testing.T, req *http.Request) page {
	t.Helper()
	return newBrowser(t).do(req)
}

// TestWebhookPage: the log page renders each delivery with its event
// type, its attempts and a Resend form, for a typed URL and for the
// redirect after the form; a navigation from another site is refused.
func TestWebhookPage(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusOK))
	env := startEnv(t, mockidp.Options{Webhooks: []webhook.Endpoint{{URL: ep.URL + "/hooks?token=app-secret", Secret: webhook.NewSecret()}}})
	newMgAPI(t, env).createOrg("Paged <b>Co</b>", "")
	awaitDeliveries(t, env, "delivered", func(ds []webhook.Delivery) bool {
		return len(ds) == 1 && ds[0].Status == webhook.Delivered
	})
	id := env.Webhooks().List(webhook.Filter{})[0].ID
	for _, site := range []string{"", "none", "same-origin"} {
		req := mustReq(t, http.MethodGet, env.URL+"/__mock/webhooks", "")
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") // a browser's
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		p := do(t, req)
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Fatalf("Sec-Fetch-Site %q: %d %s", site, p.status, p.body)
		}
		for _, want := range []string{"organization.created", `action="/__mock/webhooks/` + id + `/resend"`, ">Resend</button>", "200 OK", "delivered",
			"Paged &lt;b&gt;Co", "/hooks?…"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		for _, never := range []string{"<b>Co</b>", "app-secret", "whsec_"} {
			if strings.Contains(p.body, never) {
				t.Errorf("the page shows %q", never)
			}
		}
	}
	req := mustReq(t, http.MethodGet, env.URL+"/__mock/webhooks", "")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := do(t, req); p.status != http.StatusForbidden {
		t.Errorf("a cross-site navigation: %d", p.status)
	}
	req = mustReq(t, http.MethodGet, env.URL+"/__mock/webhooks", "")
	req.Header.Set("Accept", "application/json")
	if p := do(t, req); p.status != http.StatusOK || !strings.Contains(p.body, `"deliveries":[{`) {
		t.Errorf("Accept: application/json: %d %.200s", p.status, p.body)
	}
	if p := do(t, mustReq(t, http.MethodGet, env.URL+"/__mock/webhooks?status=lost", "")); p.status != http.StatusBadRequest {
		t.Errorf("an unknown status filter: %d", p.status)
	}
}

// TestWebhookScenarioEnvironmentsSilent: a change in a scenario
// environment is not delivered (only the root delivers); the root's next
// change is, alone.
func TestWebhookScenarioEnvironmentsSilent(t *testing.T) {
	t.Parallel()
	ep := newHookEndpoint(t, answering(http.StatusOK))
	env := startEnv(t, mockidp.Options{Webhooks: []webhook.Endpoint{{URL: ep.URL, Secret: webhook.NewSecret(), Events: []string{string(events.OrgCreated)}}}})
	newMgAPI(t, env, mgBase(env.URL+"/idt.nonce_wrong")).createOrg("In a drill", "")
	newMgAPI(t, env).createOrg("At the root", "")
	h := ep.next(t)
	awaitDeliveries(t, env, "the root's delivery", allFinished(1))
	if !strings.Contains(h.body, "At the root") {
		t.Errorf("the first webhook is not the root's: %s", h.body)
	}
	if n := ep.count.Load(); n != 1 {
		t.Errorf("the endpoint got %d webhooks, want only the root's", n)
	}
}
