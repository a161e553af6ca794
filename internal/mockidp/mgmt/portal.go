package mgmt

import (
	"crypto/rand"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// PortalPath is where admin portal links point: {env}/magicLink/<id>.
const PortalPath = "/magicLink/"

// Portal links are single-use and must be opened within a minute, as
// Scalekit's links for embedding are.
const (
	portalLinkLife = time.Minute
	maxPortalLinks = 10000
)

type portalLink struct {
	ID, OrgID string
	Expires   time.Time
	opened    bool
}

type portalLinks struct {
	mu    sync.Mutex
	links map[string]*portalLink
	swept time.Time // the last sweep: at most one a second
}

func newPortalLinks() *portalLinks { return &portalLinks{links: map[string]*portalLink{}} }

// issue makes a link, or refuses when maxPortalLinks are waiting to be
// opened (they expire within a minute).
func (p *portalLinks) issue(orgID string, now time.Time) (portalLink, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if dueSweep(p.swept, now) {
		p.swept = now
		for id, l := range p.links {
			if l.opened || !now.Before(l.Expires) {
				delete(p.links, id)
			}
		}
	}
	if len(p.links) >= maxPortalLinks {
		return portalLink{}, false
	}
	l := &portalLink{ID: uuid4(), OrgID: orgID, Expires: now.Add(portalLinkLife)}
	p.links[l.ID] = l
	return *l, true
}

// peek reports whether a link can still be opened, without spending it.
func (p *portalLinks) peek(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[id]
	return l != nil && !l.opened && now.Before(l.Expires)
}

// open spends a link, reporting the organization it is for.
func (p *portalLinks) open(id string, now time.Time) (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[id]
	switch {
	case l == nil:
		return "", "This admin portal link is not one this environment issued."
	case l.opened:
		return "", "This admin portal link was already opened: links are single-use. Generate a new one with generatePortalLink."
	case !now.Before(l.Expires):
		return "", "This admin portal link has expired: links must be opened within a minute. Generate a new one with generatePortalLink."
	}
	l.opened = true
	return l.OrgID, ""
}

var portalPage = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Admin portal · {{.Name}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:0 .25rem}</style>
</head><body>
{{if .Problem}}<h1>Admin portal</h1><p>{{.Problem}}</p>{{else}}
<h1>Admin portal · {{.Name}}</h1>
<p>Organization <code>{{.ID}}</code>. This is skctl mock-idp's stand-in for Scalekit's admin portal,
where a customer's IT admin sets up SSO, directory sync and domains for their organization.</p>
{{end}}
</body></html>`))

// ServePortal answers an admin portal link with a plain page for its
// organization, once.
func (a *API) ServePortal(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, PortalPath)
	if r.Method == http.MethodHead {
		// A link preview or prefetch must not spend a single-use link.
		status := http.StatusNotFound
		if a.portal.peek(id, a.d.Now()) {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		return
	}
	org, problem := a.portal.open(id, a.d.Now())
	data := struct{ ID, Name, Problem string }{ID: org, Problem: problem}
	status := http.StatusOK
	if problem == "" {
		o, err := a.d.Tenant.Org(org)
		if err != nil {
			data.Problem = "The organization of this link no longer exists."
		} else {
			data.Name = o.DisplayName
		}
	}
	if data.Problem != "" {
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	portalPage.Execute(w, data)
}

// uuid4 is a random RFC 9562 version 4 UUID, the form of Scalekit's
// portal link IDs.
func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
