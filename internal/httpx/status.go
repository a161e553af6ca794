// Package httpx holds the small net/http helpers that both of skctl's
// servers (the web app and the mock IdP) use.
package httpx

import "net/http"

// StatusRecorder remembers the status a handler wrote, for request logs.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the first status and passes it on.
func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// FlushError passes a flush through and returns its error. A flush sends
// the headers, so it records an implicit 200. Handlers that assert
// http.Flusher on their writer, as connect-go does for gRPC over HTTP/1.1
// (its trailers follow a flush), would otherwise find none: Unwrap does
// not help a type assertion.
func (s *StatusRecorder) FlushError() error {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return http.NewResponseController(s.ResponseWriter).Flush()
}

// Flush is FlushError for http.Flusher; a failed flush shows in the
// handler's next write.
func (s *StatusRecorder) Flush() { s.FlushError() }

// Unwrap lets http.ResponseController reach the connection (to hijack it,
// or set deadlines) through the recorder.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
