package mgmt

import (
	"crypto/rand"
	"fmt"
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
	// closed are the links a sweep took out of links, opened or expired,
	// kept so that opening one again says why it cannot be rather than
	// that it is unknown. The oldest go first past maxPortalLinks.
	closed      map[string]portalLink
	closedOrder []string
	swept       time.Time // the last sweep: at most one a second
}

func newPortalLinks() *portalLinks {
	return &portalLinks{links: map[string]*portalLink{}, closed: map[string]portalLink{}}
}

// issue makes a link, or refuses when maxPortalLinks are waiting to be
// opened (they expire within a minute).
func (p *portalLinks) issue(orgID string, now time.Time) (portalLink, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if dueSweep(p.swept, now) {
		p.swept = now
		p.sweep(now)
	}
	if len(p.links) >= maxPortalLinks {
		return portalLink{}, false
	}
	l := &portalLink{ID: uuid4(), OrgID: orgID, Expires: now.Add(portalLinkLife)}
	p.links[l.ID] = l
	return *l, true
}

// sweep moves the links opened or expired to closed. The caller holds
// the lock.
func (p *portalLinks) sweep(now time.Time) {
	for id, l := range p.links {
		if l.opened || !now.Before(l.Expires) {
			delete(p.links, id)
			p.closed[id] = *l
			p.closedOrder = append(p.closedOrder, id)
		}
	}
	for len(p.closedOrder) > maxPortalLinks {
		delete(p.closed, p.closedOrder[0])
		p.closedOrder = p.closedOrder[1:]
	}
}

// peek reports whether a link can still be opened, and for which
// organization, without spending it.
func (p *portalLinks) peek(id string, now time.Time) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[id]
	if l == nil || l.opened || !now.Before(l.Expires) {
		return "", false
	}
	return l.OrgID, true
}

// open spends a link, reporting the organization it is for; or why it
// cannot be opened, with its organization when the link is known.
func (p *portalLinks) open(id string, now time.Time) (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[id]
	if c, ok := p.closed[id]; l == nil && ok {
		l = &c // opened or expired: a copy, never spent below
	}
	switch {
	case l == nil:
		return "", "This admin portal link is not one this environment issued (a restart of the mock forgets its links). Ask the app for a new one: apps make them with generatePortalLink."
	case l.opened:
		return l.OrgID, "This admin portal link was already opened: each link opens once. Ask the app for a new one: apps make them with generatePortalLink."
	case !now.Before(l.Expires):
		return l.OrgID, "This admin portal link has expired: a link must be opened within a minute of being made. Ask the app for a new one: apps make them with generatePortalLink."
	}
	l.opened = true
	return l.OrgID, ""
}

// PortalVisit is what opening an admin portal link found: its
// organization, or why it cannot be opened. OrgID is set with a Problem
// too when the link is known (opened before, expired), for the page's
// browser event; OrgName only when the link opened.
type PortalVisit struct {
	OrgID, OrgName string
	Problem        string // "" when the link opened
}

// OpenPortal opens an admin portal link, spending it; peek only looks,
// for a HEAD (a link preview or prefetch must not spend it).
func (a *API) OpenPortal(path string, peek bool) PortalVisit {
	id := strings.TrimPrefix(path, PortalPath)
	now := a.d.Now()
	if peek {
		if org, ok := a.portal.peek(id, now); ok {
			if _, err := a.d.Tenant.Org(org); err == nil {
				return PortalVisit{OrgID: org}
			}
		}
		return PortalVisit{Problem: "This admin portal link cannot be opened."}
	}
	org, problem := a.portal.open(id, now)
	if problem != "" {
		return PortalVisit{OrgID: org, Problem: problem}
	}
	o, err := a.d.Tenant.Org(org)
	if err != nil {
		return PortalVisit{Problem: "The organization of this link no longer exists."}
	}
	return PortalVisit{OrgID: o.ID, OrgName: o.DisplayName}
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

// dueSweep reports whether a second has passed since the last sweep (or
// the clock went back, or none was made).
func dueSweep(last, now time.Time) bool {
	d := now.Sub(last)
	return last.IsZero() || d < 0 || d >= time.Second
}
