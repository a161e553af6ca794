package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	return New(fx, time.Now)
}

// TestSessionsOfUser: a user's live sessions, newest first, as copies;
// an idle or expired one, and other users', are not listed.
func TestSessionsOfUser(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const idle = time.Hour
	add := func(id, user string, at time.Time, expires time.Duration) {
		s.AddSession("cookie-"+id, &Session{ID: id, UserID: user, OrgID: "org_1", AuthTime: at, LastSeen: at, Expires: at.Add(expires),
			UserAgent: "agent/" + id, IP: "127.0.0.1", Clients: []string{"skc_1"}})
	}
	add("ses_1", "usr_a", t0, 24*time.Hour)
	add("ses_2", "usr_a", t0.Add(30*time.Minute), 24*time.Hour)
	add("ses_3", "usr_b", t0.Add(31*time.Minute), 24*time.Hour)
	add("ses_4", "usr_a", t0.Add(-2*time.Hour), 24*time.Hour)  // idle for over an hour
	add("ses_5", "usr_a", t0.Add(40*time.Minute), time.Minute) // past its absolute timeout
	now := t0.Add(45 * time.Minute)
	got := s.SessionsOfUser("usr_a", now, idle)
	var ids []string
	for _, ses := range got {
		ids = append(ids, ses.ID)
	}
	if !slices.Equal(ids, []string{"ses_2", "ses_1"}) {
		t.Fatalf("usr_a's sessions %v, want the live ones newest first", ids)
	}
	if got[0].UserAgent != "agent/ses_2" || got[0].IP != "127.0.0.1" || !slices.Equal(got[0].Clients, []string{"skc_1"}) {
		t.Errorf("device and clients: %+v", got[0])
	}
	got[0].Clients[0] = "changed"
	if again := s.SessionsOfUser("usr_a", now, idle); again[0].Clients[0] != "skc_1" {
		t.Error("a listed session shares its clients with the store")
	}
	if got := s.SessionsOfUser("usr_c", now, idle); len(got) != 0 {
		t.Errorf("a user with no session: %v", got)
	}
}

// TestUsedBy: each app that redeems a code of the session is listed once,
// in the order they came.
func TestUsedBy(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	now := time.Now()
	s.AddSession("c", &Session{ID: "ses_1", UserID: "usr_a", LastSeen: now, Expires: now.Add(time.Hour), Clients: []string{"skc_1"}})
	s.UsedBy("ses_1", "skc_2")
	s.UsedBy("ses_1", "skc_1")
	s.UsedBy("ses_1", "skc_2")
	s.UsedBy("ses_gone", "skc_3")
	if ses := s.SessionByID("ses_1", now, time.Hour); !slices.Equal(ses.Clients, []string{"skc_1", "skc_2"}) {
		t.Errorf("clients %v", ses.Clients)
	}
}

// TestEndSessions: ending a user's sessions, a member's in one
// organization, or an organization's, ends those and no others, and
// returns their IDs; their refresh tokens stop working.
func TestEndSessions(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	now := time.Now()
	for i, who := range []struct{ user, org string }{{"usr_a", "org_1"}, {"usr_a", "org_2"}, {"usr_b", "org_1"}, {"usr_b", "org_2"}, {"usr_c", "org_1"}} {
		id := fmt.Sprintf("ses_%d", i)
		s.AddSession("cookie-"+id, &Session{ID: id, UserID: who.user, OrgID: who.org, LastSeen: now, Expires: now.Add(time.Hour)})
		s.AddRefresh("refresh-"+id, &RefreshGrant{Grant{ClientID: "skc_1", SessionID: id}})
	}
	if got := s.EndSessionsOfUser("usr_a"); !slices.Equal(got, []string{"ses_0", "ses_1"}) {
		t.Errorf("EndSessionsOfUser = %v", got)
	}
	if got := s.EndSessionsOfMember("usr_b", "org_2"); !slices.Equal(got, []string{"ses_3"}) {
		t.Errorf("EndSessionsOfMember = %v", got)
	}
	if got := s.EndSessionsOfOrg("org_1"); !slices.Equal(got, []string{"ses_2", "ses_4"}) {
		t.Errorf("EndSessionsOfOrg = %v", got)
	}
	if got := s.EndSessionsOfUser("usr_a"); len(got) != 0 {
		t.Errorf("ending them again: %v", got)
	}
	if st := s.Stats(); st.Sessions != 0 {
		t.Errorf("%d sessions left", st.Sessions)
	}
	// The refresh grant finds no live session behind the token, and
	// refuses it.
	_, e := s.RotateRefresh("refresh-ses_0", "next", now, time.Hour, func(_ *RefreshGrant, ses *Session) *wire.Error {
		if ses == nil {
			return wire.InvalidGrant("ended")
		}
		return nil
	})
	if e == nil {
		t.Error("a refresh token of an ended session rotated")
	}
}
