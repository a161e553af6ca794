package events_test

import (
	"testing"

	"github.com/skctl/skctl/internal/mockidp/events"
)

// BenchmarkLogAppendFull: an append to a log that holds Keep events, as
// a long-running environment's does: each drops the oldest.
func BenchmarkLogAppendFull(b *testing.B) {
	l := newLog()
	for range events.Keep {
		l.Append(events.Event{Type: events.UserLogin})
	}
	b.ResetTimer()
	for range b.N {
		l.Append(events.Event{Type: events.UserLogin})
	}
}
