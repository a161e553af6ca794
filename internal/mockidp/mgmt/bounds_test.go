package mgmt

import (
	"strings"
	"testing"
	"time"
)

// Portal links waiting to be opened are bounded the same way.
func TestPortalLinksAreBounded(t *testing.T) {
	p := newPortalLinks()
	now := time.Unix(1_800_000_000, 0)
	for i := range maxPortalLinks {
		if _, ok := p.issue("org_1", now); !ok {
			t.Fatalf("link %d of %d refused", i+1, maxPortalLinks)
		}
	}
	if _, ok := p.issue("org_1", now); ok {
		t.Fatal("a link past the bound was issued")
	}
	if _, ok := p.issue("org_1", now.Add(2*portalLinkLife)); !ok || len(p.links) != 1 {
		t.Errorf("after the links expired: issued %v, %d kept; want the new one alone", ok, len(p.links))
	}
}

// A HEAD (a link preview, a prefetch) does not spend a single-use link.
func TestPortalPeekDoesNotSpend(t *testing.T) {
	p := newPortalLinks()
	now := time.Unix(1_800_000_000, 0)
	l, _ := p.issue("org_1", now)
	if org, ok := p.peek(l.ID, now); !ok || org != "org_1" {
		t.Fatalf("peek of a fresh link: %q %v, want org_1", org, ok)
	}
	if _, ok := p.peek(l.ID, now); !ok {
		t.Fatal("a second peek says the link cannot be opened: the first spent it")
	}
	if org, problem := p.open(l.ID, now); org != "org_1" || problem != "" {
		t.Fatalf("open after two peeks: %q %q, want the organization", org, problem)
	}
	if _, ok := p.peek(l.ID, now); ok {
		t.Error("peek of an opened link says it can be opened again")
	}
}

// A link swept out after it was opened, or after it expired, still says
// why it cannot be opened; the links so remembered are bounded too.
func TestPortalClosedLinksSayWhy(t *testing.T) {
	p := newPortalLinks()
	now := time.Unix(1_800_000_000, 0)
	used, _ := p.issue("org_1", now)
	if _, problem := p.open(used.ID, now); problem != "" {
		t.Fatalf("first open: %s", problem)
	}
	late, _ := p.issue("org_2", now)
	now = now.Add(2 * portalLinkLife)
	p.issue("org_3", now) // sweeps both out of the waiting links
	if _, waiting := p.links[used.ID]; waiting {
		t.Fatal("the sweep kept an opened link among the waiting ones")
	}
	if org, problem := p.open(used.ID, now); org != "org_1" || !strings.Contains(problem, "already opened") {
		t.Errorf("open of a used, swept link: %q %q, want org_1 and \"already opened\"", org, problem)
	}
	if org, problem := p.open(late.ID, now); org != "org_2" || !strings.Contains(problem, "expired") {
		t.Errorf("open of an expired, swept link: %q %q, want org_2 and \"expired\"", org, problem)
	}
	for range maxPortalLinks + 10 {
		l, _ := p.issue("org_1", now) // each issue sweeps the one before
		p.open(l.ID, now)
		now = now.Add(time.Second)
	}
	p.issue("org_1", now.Add(time.Second))
	if len(p.closed) > maxPortalLinks || len(p.closedOrder) != len(p.closed) {
		t.Errorf("%d closed links kept (%d in order), want at most %d", len(p.closed), len(p.closedOrder), maxPortalLinks)
	}
	if _, problem := p.open(used.ID, now); !strings.Contains(problem, "not one this environment issued") {
		t.Errorf("the oldest closed link is still remembered past the bound: %q", problem)
	}
}
