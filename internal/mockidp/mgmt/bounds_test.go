package mgmt

import (
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
