package mockidp_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The default fixtures' redirect URIs are on these origins: the pages
// that may embed the portal.
const portalAncestors = "'self' http://localhost:4321 http://localhost:4322"

// TestPortalLinkOpensOnce: a link answers a 303 to a session's page (no
// cookie: the session is named in the path), which shows the
// organization with the portal's headers and posts PORTAL_LOAD_SUCCESS;
// the link then refuses a second opening, saying it was opened, even
// after the environment has swept it out; a HEAD does not spend a link.
func TestPortalLinkOpensOnce(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)

	b := newBrowser(t)
	opened := b.get(p.link)
	if opened.status != http.StatusNotFound || !strings.Contains(opened.body, "already opened") {
		t.Fatalf("GET of the link again: %d, want 404 \"already opened\": %.300s", opened.status, opened.body)
	}
	if evs, _ := pageEvents(t, opened.body); len(evs) != 1 || evs[0].EventType != "PORTAL_LOAD_FAILURE" || evs[0].OrganizationID != globexOrg {
		t.Errorf("the refused link's page posts %+v, want one PORTAL_LOAD_FAILURE of Globex", evs)
	}
	if strings.Contains(opened.body, "Globex") {
		t.Error("the refused link's page shows the organization")
	}

	// The first hop, again on a fresh link: a 303 with no cookie.
	link := portalLink(t, c, globexOrg)
	r := newBrowser(t).get(link)
	if r.status != http.StatusSeeOther || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("GET %s: %d, Set-Cookie %q; want a 303 and no cookie", link, r.status, r.header.Get("Set-Cookie"))
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("the link's redirect has %s %q, want %q: the session's token is in its Location", k, got, want)
		}
	}

	pg := p.get()
	if !strings.Contains(pg.body, "Globex") || !strings.Contains(pg.body, globexOrg) {
		t.Errorf("the portal page does not name Globex (%s): %.500s", globexOrg, pg.body)
	}
	nonce := portalNonce.FindStringSubmatch(pg.body)
	if nonce == nil {
		t.Fatalf("the page's script has no nonce: %.500s", pg.body)
	}
	wantCSP := "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-" + nonce[1] + "'; form-action 'self'; base-uri 'none'; frame-ancestors " + portalAncestors
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP, "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "",
	} {
		if got := pg.header.Get(k); got != want {
			t.Errorf("portal page %s = %q, want %q", k, got, want)
		}
	}
	if again := p.get(); strings.Contains(again.body, nonce[1]) {
		t.Error("two pages share a CSP nonce")
	}
	evs, targets := pageEvents(t, pg.body)
	if len(evs) != 1 || evs[0].EventType != "PORTAL_LOAD_SUCCESS" || evs[0].OrganizationID != globexOrg {
		t.Errorf("the page posts %+v, want one PORTAL_LOAD_SUCCESS of Globex", evs)
	}
	if want := []string{"http://localhost:4321", "http://localhost:4322", env.URL}; !sameSet(targets, want) {
		t.Errorf("the page posts to %q, want the registered origins and the environment's: %q", targets, want)
	}

	// Swept out by a later link a second on, a used link still says so.
	mgAdvance(t, env, "2s")
	portalLink(t, c, globexOrg)
	if r := b.get(p.link); r.status != http.StatusNotFound || !strings.Contains(r.body, "already opened") {
		t.Errorf("GET of the used link after a sweep: %d, want 404 \"already opened\": %.300s", r.status, r.body)
	}

	// A HEAD looks and leaves the link to be opened.
	fresh := portalLink(t, c, globexOrg)
	head, _ := http.NewRequest(http.MethodHead, fresh, nil)
	if r := b.do(head); r.status != http.StatusOK {
		t.Errorf("HEAD of a fresh link: %d, want 200", r.status)
	}
	if r := b.get(fresh); r.status != http.StatusSeeOther {
		t.Errorf("GET after a HEAD: %d, want the 303 of a link never opened", r.status)
	}
}

// TestPortalLinkExpiresInAMinute: a link opens within its minute, and
// not after.
func TestPortalLinkExpiresInAMinute(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	inTime, late := portalLink(t, c, acmeOrg), portalLink(t, c, acmeOrg)
	mgAdvance(t, env, "59s")
	if r := newBrowser(t).get(inTime); r.status != http.StatusSeeOther {
		t.Errorf("GET of a link 59 s old: %d, want the 303 to its session: %.300s", r.status, r.body)
	}
	mgAdvance(t, env, "2s")
	r := newBrowser(t).get(late)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "expired") || !strings.Contains(r.body, "within a minute") {
		t.Errorf("GET of a link 61 s old: %d, want 404 \"expired\" … \"within a minute\": %.300s", r.status, r.body)
	}
	if got := browserEventTypes(t, r.body); !slices.Equal(got, []string{"PORTAL_LOAD_FAILURE"}) {
		t.Errorf("the expired link's page posts %q, want PORTAL_LOAD_FAILURE", got)
	}
}

// TestPortalSessionLastsSixHours: a session answers until six hours after
// its link was opened; then its page says it has ended, with
// PORTAL_SESSION_EXPIRY, and its forms change nothing.
func TestPortalSessionLastsSixHours(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)
	mgAdvance(t, env, "5h59m")
	p.get()
	mgAdvance(t, env, "2m")
	r := p.b.get(p.page)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "session has ended") || !strings.Contains(r.body, "six hours") {
		t.Fatalf("the page 6 h 1 min on: %d, want 404 \"session has ended\" … \"six hours\": %.300s", r.status, r.body)
	}
	if got := browserEventTypes(t, r.body); !slices.Equal(got, []string{"PORTAL_SESSION_EXPIRY"}) {
		t.Errorf("the ended session's page posts %q, want PORTAL_SESSION_EXPIRY", got)
	}
	if r := p.post("domains", url.Values{"domain": {"late.test"}}); r.status != http.StatusNotFound {
		t.Errorf("POST of an ended session: %d, want 404", r.status)
	}
	if domainNamed(t, env, globexOrg, "late.test") {
		t.Error("an ended session added a domain")
	}
}

// TestPortalRefusesForeignForms: a form without the session's CSRF token,
// or with another session's, changes nothing; the methods of each path
// are checked.
func TestPortalRefusesForeignForms(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p, other := openPortal(t, env, c, globexOrg), openPortal(t, env, c, globexOrg)
	for name, csrf := range map[string][]string{"no token": {""}, "another session's token": {other.csrf}} {
		r := p.post("domains", url.Values{"domain": {"forged.test"}, "csrf": csrf})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "CSRF token") {
			t.Errorf("POST with %s: %d, want 403 naming the CSRF token: %.300s", name, r.status, r.body)
		}
	}
	if domainNamed(t, env, globexOrg, "forged.test") || len(loggedTypes(env, globexOrg, events.DomainCreated)) != 0 {
		t.Error("a forged form added a domain")
	}
	if r := p.post("domains", url.Values{"domain": {"real.test"}}); r.status != http.StatusSeeOther || !domainNamed(t, env, globexOrg, "real.test") {
		t.Errorf("POST with the session's token: %d, want the 303 and the domain added", r.status)
	}
	for _, m := range []struct{ method, url, allow string }{
		{http.MethodGet, p.page + "/domains", "POST"},
		{http.MethodPost, p.page, "GET, HEAD"},
		{http.MethodDelete, p.link, "GET, HEAD"},
	} {
		req, _ := http.NewRequest(m.method, m.url, nil)
		if r := p.b.do(req); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != m.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", m.method, strings.TrimPrefix(m.url, env.URL), r.status, r.header.Get("Allow"), m.allow)
		}
	}
	if r := p.b.get(p.page + "/drop-tables"); r.status != http.StatusNotFound {
		t.Errorf("GET of an action that is not one: %d, want 404", r.status)
	}
}

// TestPortalLogsNoToken: the request log and /__mock/requests show a
// portal session's path with its token redacted: it is the session's only
// credential.
func TestPortalLogsNoToken(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	env := startEnv(t, mockidp.Options{Logger: log})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)
	p.act("domains", url.Values{"domain": {"logged.test"}})
	token := p.page[strings.LastIndex(p.page, "/")+1:]
	_, requests := mgControl(t, env, http.MethodGet, "/__mock/requests?log=1", nil)
	logged := buf.String()
	for name, text := range map[string]string{"the request log": logged, "/__mock/requests": string(requests)} {
		if strings.Contains(text, token) {
			t.Errorf("%s holds the session's token", name)
		}
		if !strings.Contains(text, "/s/[redacted]/domains") {
			t.Errorf("%s does not show the action's path redacted:\n%.2000s", name, text)
		}
	}
}

// TestPortalUnderNetFaults: the net.* drills apply to the portal as to
// every endpoint.
func TestPortalUnderNetFaults(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)
	if status, body := mgControl(t, env, http.MethodPost, "/__mock/faults", map[string]any{"mode": "net.429", "count": 1}); status != http.StatusOK {
		t.Fatalf("arm net.429: %d %s", status, body)
	}
	if r := p.b.get(p.page); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("the portal page under net.429: %d Retry-After %q, want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	p.get() // the one armed use is spent
}

// domainNamed reports whether an organization has a domain of that name.
func domainNamed(t testing.TB, env interface{ Tenant() *tenant.Tenant }, orgID, name string) bool {
	t.Helper()
	l, err := env.Tenant().ListDomains(orgID, "", tenant.Page{Size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(l.Items, func(d tenant.Domain) bool { return d.Name == name })
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestPortalInScenarioEnvironment: a scenario environment's portal links
// open under its own URL, its actions change its own tenant, and the
// root's request log does not show its sessions' tokens either.
func TestPortalInScenarioEnvironment(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	env := startEnv(t, mockidp.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	base := env.URL + "/idt.nonce_wrong"
	scen := newMgAPI(t, env, mgBase(base))
	p := openPortal(t, env, scen, globexOrg)
	if !strings.HasPrefix(p.page, base+"/magicLink/") {
		t.Fatalf("the scenario's portal session is at %s, want under %s", stripToken(p.page), base)
	}
	pg := p.act("domains", url.Values{"domain": {"scenario.test"}})
	if !strings.Contains(pg.body, `action="`+base+`/magicLink/`) || !strings.Contains(pg.body, "scenario.test added") {
		t.Errorf("the scenario's portal page after an action: forms or notice wrong: %.2000s", pg.body)
	}
	if names := mgDomainNames(t, scen, globexOrg, 0); !slices.Contains(names, "scenario.test") {
		t.Errorf("the scenario's domains %q lack the one its portal added", names)
	}
	if domainNamed(t, env, globexOrg, "scenario.test") {
		t.Error("the scenario's portal changed the root environment")
	}
	if token := p.page[strings.LastIndex(p.page, "/")+1:]; strings.Contains(logs.String(), token) {
		t.Errorf("the request log holds the scenario's session token:\n%s", logs.String())
	}
}
