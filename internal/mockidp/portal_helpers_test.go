package mockidp_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// Helpers of the admin portal tests (portal_*_test.go): a link from the
// API, its session driven over HTTP one hop at a time, and the browser
// events a page's script would post.

var (
	portalCSRF   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	portalEvents = regexp.MustCompile(`var events = (\[.*?\]), registered = (\[.*?\]);`)
	portalNonce  = regexp.MustCompile(`<script nonce="([^"]+)">`)
)

// portalLink makes an admin portal link of an organization through the
// management API, as an app does.
func portalLink(t testing.TB, c *mgAPI, orgID string) string {
	t.Helper()
	r, err := c.orgs.GeneratePortalLink(mgCtx(t), connect.NewRequest(&organizationspb.GeneratePortalLinkRequest{Id: orgID}))
	return mgMust(t, "GeneratePortalLink", r, err).GetLink().GetLocation()
}

// portalSession is an admin portal session opened over HTTP.
type portalSession struct {
	t    testing.TB
	env  *testenv.Env
	b    *browser
	link string // the link opened
	page string // the session's page, /magicLink/<id>/s/<token>
	csrf string
}

// openPortal opens a new link of an organization: the link answers a 303
// to the session's page, which shows the organization.
func openPortal(t testing.TB, env *testenv.Env, c *mgAPI, orgID string) *portalSession {
	t.Helper()
	p := &portalSession{t: t, env: env, b: newBrowser(t), link: portalLink(t, c, orgID)}
	r := p.b.get(p.link)
	if r.status != http.StatusSeeOther || r.location == nil {
		t.Fatalf("GET %s: %d, want a 303 to the session's page: %.300s", p.link, r.status, r.body)
	}
	p.page = r.location.String()
	if !strings.HasPrefix(p.page, p.link+"/s/") {
		t.Fatalf("the link sends the browser to %s, want %s/s/<token>", p.page, p.link)
	}
	pg := p.get()
	m := portalCSRF.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("the portal page has no CSRF token: %.500s", pg.body)
	}
	p.csrf = m[1]
	return p
}

// get loads the session's page and wants it shown.
func (p *portalSession) get() page {
	p.t.Helper()
	r := p.b.get(p.page)
	if r.status != http.StatusOK {
		p.t.Fatalf("GET the portal page: %d, want 200: %.500s", r.status, r.body)
	}
	return r
}

// post posts an action's form, with the session's CSRF token unless the
// form has one.
func (p *portalSession) post(action string, form url.Values) page {
	p.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["csrf"]; !set {
		form.Set("csrf", p.csrf)
	}
	return p.b.postForm(p.page+"/"+action, form)
}

// act posts an action, wants the 303 back to the page (POST-redirect-GET)
// and returns the page that follows.
func (p *portalSession) act(action string, form url.Values) page {
	p.t.Helper()
	r := p.post(action, form)
	if r.status != http.StatusSeeOther || r.location == nil || r.location.String() != p.page {
		p.t.Fatalf("POST %s: %d to %v, want a 303 to the page: %.300s", action, r.status, r.location, r.body)
	}
	return p.get()
}

// browserEvent is one event a portal page's script posts to its parent.
type browserEvent struct {
	EventType      string         `json:"event_type"`
	Object         string         `json:"object"`
	OrganizationID string         `json:"organization_id"`
	Message        string         `json:"message"`
	Data           map[string]any `json:"data"`
}

// pageEvents reads the browser events a page's script would post, and the
// origins it may post them to.
func pageEvents(t testing.TB, body string) ([]browserEvent, []string) {
	t.Helper()
	m := portalEvents.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no browser events script: %.500s", body)
	}
	var evs []browserEvent
	var targets []string
	if err := json.Unmarshal([]byte(m[1]), &evs); err != nil {
		t.Fatalf("the page's events %s: %v", m[1], err)
	}
	if err := json.Unmarshal([]byte(m[2]), &targets); err != nil {
		t.Fatalf("the page's targets %s: %v", m[2], err)
	}
	return evs, targets
}

// eventTypes lists the browser event types of a page. A page with none has no script.
func browserEventTypes(t testing.TB, body string) []string {
	t.Helper()
	if !portalEvents.MatchString(body) {
		return nil
	}
	evs, _ := pageEvents(t, body)
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType)
	}
	return out
}

// loggedTypes lists the types of an organization's events in the
// environment's event log, oldest first.
func loggedTypes(env *testenv.Env, orgID string, types ...events.Type) []events.Type {
	var out []events.Type
	for _, e := range env.Events().List(events.Filter{OrganizationID: orgID, Types: types}) {
		out = append(out, e.Type)
	}
	return out
}
