package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// TestSweepShrinkKeepsLiveState: a sweep that empties most of the store
// copies its maps into smaller ones (so the memory of a burst of sign-ins
// goes back); what is still live must come through that copy intact and
// usable.
func TestSweepShrinkKeepsLiveState(t *testing.T) {
	t.Parallel()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := New(fx, time.Now)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const idle = 24 * time.Hour
	for i := range 100 {
		seen := t0
		if i >= 70 {
			seen = t0.Add(23 * time.Hour) // still live two hours later
		}
		ses := &Session{ID: fmt.Sprintf("ses_%d", i), UserID: "usr_1", AuthTime: seen, LastSeen: seen, Expires: seen.Add(7 * 24 * time.Hour)}
		s.AddSession(fmt.Sprintf("cookie-%d", i), ses)
		s.AddRefresh(fmt.Sprintf("refresh-%d", i), &RefreshGrant{Grant{ClientID: "skc_1", SessionID: ses.ID}})
		s.AddCode(fmt.Sprintf("code-%d", i), &AuthCode{Grant: Grant{ClientID: "skc_1", SessionID: ses.ID}, Expires: seen.Add(3 * time.Hour)})
		s.AddPending(fmt.Sprintf("page-%d", i), &PendingLogin{Expires: seen.Add(10 * time.Minute)})
	}
	now := t0.Add(25 * time.Hour)
	s.Sweep(now, idle)

	if got, want := s.Stats(), (Stats{Sessions: 30, Codes: 30, RefreshTokens: 30}); got != want {
		t.Fatalf("after the sweep: %+v, want %+v", got, want)
	}
	if len(s.bySID) != 30 {
		t.Errorf("bySID holds %d, want 30", len(s.bySID))
	}
	if s.SessionByCookie("cookie-0", now, idle) != nil || s.TakeCode("code-0") != nil {
		t.Errorf("an expired Session or code survived the sweep")
	}
	for i := 70; i < 100; i++ {
		sid := fmt.Sprintf("ses_%d", i)
		if ses := s.SessionByCookie(fmt.Sprintf("cookie-%d", i), now, idle); ses == nil || ses.ID != sid {
			t.Fatalf("cookie-%d: %+v, want %s", i, ses, sid)
		}
		if ses := s.SessionByID(sid, now, idle); ses == nil {
			t.Fatalf("%s: not found by sid", sid)
		}
		if c := s.TakeCode(fmt.Sprintf("code-%d", i)); c == nil || c.SessionID != sid {
			t.Fatalf("code-%d: %+v", i, c)
		}
		ses, e := s.RotateRefresh(fmt.Sprintf("refresh-%d", i), fmt.Sprintf("next-%d", i), now, idle,
			func(*RefreshGrant, *Session) *wire.Error { return nil })
		if e != nil || ses == nil || ses.ID != sid {
			t.Fatalf("refresh-%d: %v, %+v", i, e, ses)
		}
	}
	// The shrunk maps still take new entries, and the next sweep of a
	// small store keeps them.
	s.AddSession("cookie-new", &Session{ID: "ses_new", LastSeen: now, Expires: now.Add(time.Hour)})
	s.Sweep(now, idle)
	if ses := s.SessionByCookie("cookie-new", now, idle); ses == nil || ses.ID != "ses_new" {
		t.Errorf("a Session added after the shrink: %+v", ses)
	}
	if !s.EndSession("ses_70", EndLogout) || s.SessionByCookie("cookie-70", now, idle) != nil {
		t.Errorf("ending a Session after the shrink")
	}
}
