package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"connectrpc.com/connect"
)

// answer is the response writer of one REST call, between vanguard and
// the client. It turns vanguard's 200 into the status the procedure
// documents (201 for creates), and holds every error back until the call
// ends, so that finish can make each one the JSON google.rpc.Status
// Scalekit sends: vanguard answers some in plain text (405 for a method
// the path does not take, a bad header) and one client fault as a 500.
type answer struct {
	w    http.ResponseWriter
	call *call

	wrote bool
	// held is the status of an error being held back; 0 while none.
	held int
	body bytes.Buffer
}

// maxHeldError bounds the error body kept; a Status is far smaller.
const maxHeldError = 64 << 10

func (a *answer) Header() http.Header { return a.w.Header() }

func (a *answer) WriteHeader(code int) {
	if a.wrote {
		return
	}
	a.wrote = true
	if code >= 400 {
		a.held = code
		return
	}
	if code == http.StatusOK && a.call.procedure != "" {
		code = SuccessStatus(a.call.procedure)
	}
	// Every body vanguard writes here is JSON, whatever content type the
	// procedure's own answer had (application/proto).
	a.w.Header().Set("Content-Type", "application/json")
	a.w.WriteHeader(code)
}

func (a *answer) Write(b []byte) (int, error) {
	if !a.wrote {
		a.WriteHeader(http.StatusOK)
	}
	if a.held != 0 {
		if room := maxHeldError - a.body.Len(); room > 0 {
			a.body.Write(b[:min(len(b), room)])
		}
		return len(b), nil
	}
	return a.w.Write(b)
}

// Flush passes flushes through; vanguard needs a Flusher.
func (a *answer) Flush() {
	if a.held == 0 {
		http.NewResponseController(a.w).Flush()
	}
}

func (a *answer) Unwrap() http.ResponseWriter { return a.w }

// finish writes a held error.
func (a *answer) finish(r *http.Request) {
	if a.held == 0 {
		return
	}
	h := a.w.Header()
	named := r.Method + " " + bounded(a.call.path)
	// vanguard's bodies are JSON, whatever the Content-Type left from the
	// procedure's own answer (application/proto) says, except the plain
	// text of http.Error.
	if strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		a.finishPlain(named)
		return
	}
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(a.body.Bytes(), &st) == nil && connect.Code(st.Code) == connect.CodeUnknown &&
		strings.HasPrefix(st.Message, "request should have no body") {
		// vanguard's word for a body sent to a route without one, which
		// it answers 500 as if it were the server's fault.
		writeStatus(a.w, http.StatusBadRequest, connect.CodeInvalidArgument,
			named+" takes no request body (its fields are in the path and the query string): send none, or {}")
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(a.body.Len()))
	a.w.WriteHeader(a.held)
	a.w.Write(a.body.Bytes())
}

// finishPlain rewrites a plain-text error of vanguard as JSON, with a gRPC
// code for its HTTP status and a message naming the request.
func (a *answer) finishPlain(named string) {
	h := a.w.Header()
	msg := named + ": " + strings.TrimSpace(a.body.String())
	if allow := h.Get("Allow"); allow != "" {
		// vanguard lists them in map order: sorted, an answer is stable.
		methods := strings.Split(allow, ",")
		slices.Sort(methods)
		allow = strings.Join(methods, ", ")
		h.Set("Allow", allow)
		msg += "; this path takes " + allow
	}
	h.Del("X-Content-Type-Options")
	writeStatus(a.w, a.held, codeForStatus(a.held), msg)
}

// codeForStatus is the gRPC code of an HTTP error vanguard answered
// before any procedure ran.
func codeForStatus(status int) connect.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return connect.CodeInvalidArgument
	case http.StatusNotFound:
		return connect.CodeNotFound
	case http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return connect.CodeUnimplemented
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return connect.CodeResourceExhausted
	case http.StatusServiceUnavailable:
		return connect.CodeUnavailable
	}
	if status >= 500 {
		return connect.CodeInternal
	}
	return connect.CodeUnknown
}
