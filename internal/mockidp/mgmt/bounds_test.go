package mgmt

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	pwlpb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// Pending passwordless requests are bounded: past the bound a send is
// refused as a rate limit, until requests expire; the mock never grows
// without end for a client that sends to ever new addresses.
func TestPasswordlessRequestsAreBounded(t *testing.T) {
	p := newPasswordlessState()
	now := time.Unix(1_800_000_000, 0)
	send := func(i int, at time.Time) error {
		r := &passwordlessRequest{email: fmt.Sprintf("u%d@bound.test", i), kind: pwlpb.PasswordlessType_OTP, life: time.Minute}
		_, _, err := p.add(r, fmt.Sprintf("pwl_%d", i), at)
		return err
	}
	for i := range maxPendingRequests {
		if err := send(i, now); err != nil {
			t.Fatalf("send %d of %d: %v", i+1, maxPendingRequests, err)
		}
	}
	var cerr *connect.Error
	if err := send(maxPendingRequests, now); !errors.As(err, &cerr) || cerr.Code() != connect.CodeResourceExhausted {
		t.Fatalf("a send past the bound: %v, want ResourceExhausted", err)
	}
	if len(p.byID) != maxPendingRequests {
		t.Errorf("%d requests kept, want the bound %d", len(p.byID), maxPendingRequests)
	}
	// Once they expire, the next send sweeps them and goes through.
	later := now.Add(2 * time.Minute)
	if err := send(maxPendingRequests+1, later); err != nil {
		t.Fatalf("a send after the requests expired: %v", err)
	}
	if len(p.byID) != 1 || len(p.emailed) != 1 {
		t.Errorf("after the sweep: %d requests, %d addresses kept; want only the new one", len(p.byID), len(p.emailed))
	}
}

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
