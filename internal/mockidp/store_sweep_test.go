package mockidp

import (
	"fmt"
	"testing"
	"time"
)

// TestSweepShrinkKeepsLiveState: a sweep that empties most of the store
// copies its maps into smaller ones (so the memory of a burst of sign-ins
// goes back); what is still live must come through that copy intact and
// usable.
func TestSweepShrinkKeepsLiveState(t *testing.T) {
	t.Parallel()
	s := newStore()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const idle = 24 * time.Hour
	for i := range 100 {
		seen := t0
		if i >= 70 {
			seen = t0.Add(23 * time.Hour) // still live two hours later
		}
		ses := &session{ID: fmt.Sprintf("ses_%d", i), UserID: "usr_1", AuthTime: seen, LastSeen: seen, Expires: seen.Add(7 * 24 * time.Hour)}
		s.addSession(fmt.Sprintf("cookie-%d", i), ses)
		s.addRefresh(fmt.Sprintf("refresh-%d", i), &refreshGrant{grant{ClientID: "skc_1", SessionID: ses.ID}})
		s.addCode(fmt.Sprintf("code-%d", i), &authCode{grant: grant{ClientID: "skc_1", SessionID: ses.ID}, Expires: seen.Add(3 * time.Hour)})
		s.addPending(fmt.Sprintf("page-%d", i), &pendingLogin{Expires: seen.Add(10 * time.Minute)})
	}
	now := t0.Add(25 * time.Hour)
	s.sweep(now, idle)

	if got, want := s.stats(), (Stats{Sessions: 30, Codes: 30, RefreshTokens: 30}); got != want {
		t.Fatalf("after the sweep: %+v, want %+v", got, want)
	}
	if len(s.bySID) != 30 {
		t.Errorf("bySID holds %d, want 30", len(s.bySID))
	}
	if s.sessionByCookie("cookie-0", now, idle) != nil || s.takeCode("code-0") != nil {
		t.Errorf("an expired session or code survived the sweep")
	}
	for i := 70; i < 100; i++ {
		sid := fmt.Sprintf("ses_%d", i)
		if ses := s.sessionByCookie(fmt.Sprintf("cookie-%d", i), now, idle); ses == nil || ses.ID != sid {
			t.Fatalf("cookie-%d: %+v, want %s", i, ses, sid)
		}
		if ses := s.sessionByID(sid, now, idle); ses == nil {
			t.Fatalf("%s: not found by sid", sid)
		}
		if c := s.takeCode(fmt.Sprintf("code-%d", i)); c == nil || c.SessionID != sid {
			t.Fatalf("code-%d: %+v", i, c)
		}
		ses, e := s.rotateRefresh(fmt.Sprintf("refresh-%d", i), fmt.Sprintf("next-%d", i), now, idle,
			func(*refreshGrant, *session) *oauthError { return nil })
		if e != nil || ses == nil || ses.ID != sid {
			t.Fatalf("refresh-%d: %v, %+v", i, e, ses)
		}
	}
	// The shrunk maps still take new entries, and the next sweep of a
	// small store keeps them.
	s.addSession("cookie-new", &session{ID: "ses_new", LastSeen: now, Expires: now.Add(time.Hour)})
	s.sweep(now, idle)
	if ses := s.sessionByCookie("cookie-new", now, idle); ses == nil || ses.ID != "ses_new" {
		t.Errorf("a session added after the shrink: %+v", ses)
	}
	if !s.endSession("ses_70") || s.sessionByCookie("cookie-70", now, idle) != nil {
		t.Errorf("ending a session after the shrink")
	}
}
