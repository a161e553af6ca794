package portal

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// A session lives six hours from its start, answers only with its own
// link, and ends after.
func TestSessionLife(t *testing.T) {
	t.Parallel()
	s := NewSessions()
	tok := s.Start("link-1", "org_1", t0)
	if len(tok) < 43 {
		t.Fatalf("token %q is shorter than 256 bits in base64url", tok)
	}
	ses, ok := s.Get("link-1", tok, t0.Add(SessionLife-time.Second))
	if !ok || ses.OrgID != "org_1" || ses.CSRF == "" || ses.CSRF == tok || !ses.Expires.Equal(t0.Add(6*time.Hour)) {
		t.Fatalf("a second before six hours: %+v %v, want org_1's live session with its own CSRF token", ses, ok)
	}
	if _, ok := s.Get("link-2", tok, t0); ok {
		t.Error("the token answers under another link")
	}
	if _, ok := s.Get("link-1", tok+"x", t0); ok {
		t.Error("a token with a character more answers")
	}
	if _, ok := s.Get("link-1", tok, t0.Add(SessionLife)); ok {
		t.Error("the session lives past six hours")
	}
}

// A flash is shown once; events of two actions both stay; a secret is
// gone with the flash.
func TestFlashOnce(t *testing.T) {
	t.Parallel()
	s := NewSessions()
	tok := s.Start("l", "org_1", t0)
	s.SetFlash("l", tok, Flash{Notice: "first", Events: []Event{{EventType: SSOEnabled}}}, t0)
	s.SetFlash("l", tok, Flash{Notice: "second", Secret: &Secret{Value: "scim_x"}, Events: []Event{{EventType: DirectoryEnabled}}}, t0)
	f, ok := s.TakeFlash("l", tok, t0)
	if !ok || f.Notice != "second" || f.Secret == nil || len(f.Events) != 2 || f.Events[0].EventType != SSOEnabled {
		t.Fatalf("flash %+v %v, want the second notice, the secret and both events", f, ok)
	}
	if f, ok := s.TakeFlash("l", tok, t0); ok {
		t.Errorf("the flash is shown twice: %+v", f)
	}
	s.SetFlash("l", tok, Flash{Notice: "late"}, t0.Add(SessionLife))
	if _, ok := s.TakeFlash("l", tok, t0); ok {
		t.Error("an ended session took a flash")
	}
}

// The sessions are bounded: past MaxSessions the oldest ends, and the
// sweep drops ended ones.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	s := NewSessions()
	first := s.Start("l", "org_1", t0)
	now := t0
	for range MaxSessions {
		now = now.Add(time.Millisecond)
		s.Start("l", "org_1", now)
	}
	if n := s.Len(); n != MaxSessions {
		t.Errorf("%d sessions kept, want %d", n, MaxSessions)
	}
	if _, ok := s.Get("l", first, now); ok {
		t.Error("the oldest session is still live past the bound")
	}
	s.Start("l", "org_1", now.Add(SessionLife+time.Hour))
	if n := s.Len(); n != 1 {
		t.Errorf("after every session ended: %d kept, want the new one alone", n)
	}
}

func TestSameToken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		got, want string
		ok        bool
	}{{"abc", "abc", true}, {"abd", "abc", false}, {"", "", false}, {"abc", "", false}, {strings.Repeat("a", 4), "aaa", false}} {
		if SameToken(c.got, c.want) != c.ok {
			t.Errorf("SameToken(%q, %q) = %v", c.got, c.want, !c.ok)
		}
	}
}
