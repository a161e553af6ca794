package fault

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// plainTextWriter sends JSON responses as text/plain: net.wrong_content_type.
type plainTextWriter struct {
	http.ResponseWriter
	wrote bool
}

func (p *plainTextWriter) fix() {
	if p.wrote {
		return
	}
	p.wrote = true
	h := p.ResponseWriter.Header()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		h.Set("Content-Type", "text/plain")
	}
}

func (p *plainTextWriter) WriteHeader(code int) {
	p.fix()
	p.ResponseWriter.WriteHeader(code)
}

func (p *plainTextWriter) Write(b []byte) (int, error) {
	p.fix()
	return p.ResponseWriter.Write(b)
}

func (p *plainTextWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// FlushError passes a flush through, after the content type is fixed:
// connect-go asserts a flusher on its writer, and a gRPC answer over
// HTTP/1.1 needs the flush to get its trailers.
func (p *plainTextWriter) FlushError() error {
	p.fix()
	return http.NewResponseController(p.ResponseWriter).Flush()
}

// Flush is FlushError for http.Flusher.
func (p *plainTextWriter) Flush() { p.FlushError() }

// truncatingWriter holds the handler's response back, then sends the
// status, a Content-Length for the whole body, and only the first half of
// it, and closes the connection: net.truncate.
type truncatingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (t *truncatingWriter) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
}

func (t *truncatingWriter) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return t.body.Write(b)
}

// Flush holds the body back too: the whole of it is needed for its length.
func (t *truncatingWriter) Flush() {}

func (t *truncatingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// finish sends the held-back response, cut in half.
func (t *truncatingWriter) finish() {
	if t.status == 0 { // hijacked, or nothing written: leave it alone
		if t.body.Len() == 0 {
			return
		}
		t.status = http.StatusOK
	}
	w, body := t.ResponseWriter, t.body.Bytes()
	if len(body) == 0 {
		w.WriteHeader(t.status)
		return
	}
	w.Header().Del("Transfer-Encoding")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(t.status)
	w.Write(body[:len(body)/2])
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return // net/http closes the connection itself: the body is short
	}
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
	}
}
