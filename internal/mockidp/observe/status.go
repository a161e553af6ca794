package observe

import "net/http"

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
	sw := &statusWriter{ResponseWriter: w}
	return sw, func() {
		l.mu.Lock()
		e.Status = sw.status
		l.mu.Unlock()
	}
}

// statusWriter keeps the first status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (a reset
// hijacks it) and flush.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes a flush through, for handlers that assert http.Flusher.
func (s *statusWriter) Flush() { http.NewResponseController(s.ResponseWriter).Flush() }
