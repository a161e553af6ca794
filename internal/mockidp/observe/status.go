package observe

import (
	"net/http"

	"github.com/skctl/skctl/internal/httpx"
)

// Answered wraps w so that the request's log entry, if it has one, gets
// the status the mock answered with: a test runner reads "the second
// refresh was answered 400" from the log, not only that it was made. The
// returned finish records it; 0 stays when the mock never answered (a
// reset or a hang).
func (l *Log) Answered(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	e, _ := r.Context().Value(entryKey{}).(*Entry)
	if e == nil {
		return w, func() {}
	}
	rec := &httpx.StatusRecorder{ResponseWriter: w}
	return rec, func() {
		l.mu.Lock()
		e.Status = rec.Status
		l.mu.Unlock()
	}
}
