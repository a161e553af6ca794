package mockidp

import (
	"bytes"
	"context"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/httpx"
)

// maxHang bounds every *.hang mode: a hung request ends when the client
// goes away, when the environment closes, or after this long.
const maxHang = 10 * time.Minute

// netFault applies the net.* modes (shared/mock-idp-scenarios.md, Network)
// to a request this environment serves itself: never to the /__mock
// control endpoints, and never to a request passed on to a scenario
// environment, which has modes of its own. It returns the writer the
// handler must use, and a finish function to call once the handler has
// returned; done reports that the request is already dealt with.
func (s *Server) netFault(w http.ResponseWriter, r *http.Request) (_ http.ResponseWriter, finish func(), done bool) {
	if !s.faults.any() { // the faithful default costs nothing here
		return w, func() {}, false
	}
	client := requestClient(r)
	if p, ok := s.faults.take("net.latency", client); ok {
		sleep(r.Context(), paramDuration(p))
	}
	if s.faults.on("net.hang", client) {
		s.hang(r.Context())
		return w, nil, true
	}
	if s.faults.on("net.reset", client) {
		resetConn(w)
		return w, nil, true
	}
	if p, ok := s.faults.take("net.429", client); ok {
		if n, err := strconv.Atoi(p); err != nil || n < 0 {
			p = "1"
		}
		w.Header().Set("Retry-After", p)
		writeJSON(w, http.StatusTooManyRequests, &oauthError{"temporarily_unavailable", "net.429: too many requests, retry after " + p + " s"})
		return w, nil, true
	}
	finish = func() {}
	if s.faults.on("net.wrong_content_type", client) {
		w = &plainTextWriter{ResponseWriter: w}
	}
	if s.faults.on("net.truncate", client) {
		tw := &truncatingWriter{ResponseWriter: w}
		w, finish = tw, tw.finish
	}
	return w, finish, false
}

// requestClient is the client a request names, when it is cheap to tell:
// client_id in the query or an already parsed form, or the Basic user. It
// scopes faults armed for one client; "" matches every armed fault.
func requestClient(r *http.Request) string {
	if c := r.URL.Query().Get("client_id"); c != "" {
		return c
	}
	if r.PostForm != nil { // parsed by observe for /oauth/token
		if c := r.PostForm.Get("client_id"); c != "" {
			return c
		}
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return ""
}

// hang blocks until the client goes away or the environment closes,
// at most maxHang: the *.hang modes.
func (s *Server) hang(ctx context.Context) {
	t := time.NewTimer(maxHang)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.stop:
	case <-t.C:
	}
}

// resetConn drops the request's connection without an answer: the
// *.reset modes. On TCP the close sends an RST (SO_LINGER 0), so the client
// sees "connection reset by peer" rather than a clean EOF. When the
// connection cannot be hijacked (HTTP/2), the handler is aborted, which
// resets the stream.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := netConnOf(conn).(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// netConnOf is the connection under TLS, if any.
func netConnOf(c net.Conn) net.Conn {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		return nc.NetConn()
	}
	return c
}

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

// loggedWriter is the request log's status recorder, unwrappable so that
// http.ResponseController reaches the connection (to hijack or flush it)
// through it.
type loggedWriter struct {
	*httpx.StatusRecorder
}

func (l loggedWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }
