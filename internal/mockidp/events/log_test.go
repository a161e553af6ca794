package events_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
)

func newLog() *events.Log {
	var n atomic.Int64
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return events.NewLog(func(p string) string { return fmt.Sprintf("%s%d", p, n.Add(1)) },
		func() time.Time { return start.Add(time.Duration(n.Load()) * time.Second) })
}

// TestLogFillsTheEnvelope: Append gives an event its ID, time, spec
// version, object and display name, and tells the sinks in order.
func TestLogFillsTheEnvelope(t *testing.T) {
	l := newLog()
	var told []string
	l.OnAppend(func(e events.Event) { told = append(told, e.ID) })
	a := l.Append(events.Event{Type: events.OrgCreated, OrganizationID: "org_1"})
	b := l.Append(events.Event{Type: events.UserLogin})
	if a.ID == "" || !strings.HasPrefix(a.ID, "evt_") || a.OccurredAt.IsZero() || a.SpecVersion != "1" ||
		a.Object != events.ObjectOrganization || a.DisplayName != "Organization Created" || b.Object != events.ObjectUser {
		t.Errorf("appended: %+v %+v", a, b)
	}
	if strings.Join(told, " ") != a.ID+" "+b.ID {
		t.Errorf("sinks told %v, want %s %s", told, a.ID, b.ID)
	}
	if got := l.After(a.ID); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("After(%s) = %v", a.ID, got)
	}
	if got := l.List(events.Filter{OrganizationID: "org_1"}); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("filtered by organization: %v", got)
	}
	if got := l.List(events.Filter{Since: b.OccurredAt}); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("filtered by time: %v", got)
	}
	body, err := a.Body()
	if err != nil || !strings.HasPrefix(string(body), `{"spec_version":"1","id":"`+a.ID+`","type":"organization.created"`) || !strings.HasSuffix(string(body), `"data":{}}`) {
		t.Errorf("body %s, %v", body, err)
	}
}

// TestLogIsBounded: a long run keeps the newest Keep events.
func TestLogIsBounded(t *testing.T) {
	l := newLog()
	var last events.Event
	for range events.Keep + 10 {
		last = l.Append(events.Event{Type: events.UserLogin})
	}
	all := l.All()
	if len(all) != events.Keep || all[len(all)-1].ID != last.ID {
		t.Errorf("kept %d, the last %s; want %d ending with %s", len(all), all[len(all)-1].ID, events.Keep, last.ID)
	}
}
