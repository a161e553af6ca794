// Package rest is Scalekit's REST API as the mock serves it: the
// google.api.http bindings of the management API's services
// (POST /api/v1/organizations, GET /api/v1/users/{id}, …), transcoded to
// the same connect handlers the gRPC SDKs call, so that an app in a
// language without an SDK, or a curl command from Scalekit's docs, sees
// the same environment. The JSON is Scalekit's (proto field names, enum
// names, RFC 3339 times, int64 as strings) and so are the errors: a
// google.rpc.Status with an ErrorInfo detail, under the HTTP status
// grpc-gateway uses for its code.
//
// Transcoding is connectrpc.com/vanguard's. gRPC calls never pass through
// it (vanguard refuses gRPC over HTTP/1.1, which the Go SDK speaks on
// http://): only /api/v1/ paths come here.
package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
)

// Config is what the REST API needs of its environment.
type Config struct {
	// Handler serves the procedures (/scalekit.v1.users.UserService/GetUser)
	// in the Connect protocol: the management API, whose interceptor
	// authenticates REST calls as it does gRPC ones, from the same
	// Authorization header.
	Handler http.Handler
	// Services are the full names of the services to serve over REST;
	// every other /api/v1 path answers that the mock does not serve it.
	Services []string
	// Reached, when set, is told the procedure each REST call was routed
	// to, before it runs (for the request counters).
	Reached func(procedure string)
}

// Handler serves /api/v1/….
type Handler struct {
	t       *vanguard.Transcoder
	segs    *colonSegments
	next    http.Handler
	reached func(string)
}

// maxBodyBytes bounds what vanguard buffers of a request body, as the
// connect handlers bound a message.
const maxBodyBytes = 1 << 20

// New builds the transcoder for the services.
func New(c Config) (*Handler, error) {
	if c.Handler == nil {
		return nil, errors.New("rest: no handler")
	}
	h := &Handler{segs: newColonSegments(), next: c.Handler, reached: c.Reached}
	inner := http.HandlerFunc(h.serveProcedure)
	var services []*vanguard.Service
	for _, name := range c.Services {
		sd, err := serviceSchema(name, h.segs)
		if err != nil {
			return nil, err
		}
		services = append(services, vanguard.NewServiceWithSchema(sd, inner))
	}
	t, err := vanguard.NewTranscoder(services,
		vanguard.WithCodec(newJSONCodec),
		vanguard.WithUnknownHandler(http.HandlerFunc(notServed)),
		vanguard.WithDefaultServiceOptions(
			// The handlers are reached in-process in the Connect protocol
			// with protobuf bodies: vanguard then decodes and re-encodes
			// every message, so the client's JSON is ours, never the
			// handler's own (camelCase) JSON passed through.
			vanguard.WithTargetProtocols(vanguard.ProtocolConnect),
			vanguard.WithTargetCodecs(vanguard.CodecProto),
			vanguard.WithMaxMessageBufferBytes(maxBodyBytes),
			// A query parameter that names no field is ignored, as
			// grpc-gateway does (a cache buster, a misspelt option).
			vanguard.WithRESTUnmarshalOptions(vanguard.RESTUnmarshalOptions{DiscardUnknownQueryParams: true}),
		),
	)
	if err != nil {
		return nil, err
	}
	h.t = t
	return h, nil
}

// call is what one REST call's parts learn of it: the path as the client
// sent it, and the procedure vanguard routed it to ("" while none).
type call struct {
	path      string
	procedure string
	// refused reports whether vanguard has already answered the call
	// with an error (a malformed body): see serveProcedure.
	refused func() bool
}

type callKey struct{}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		c = &call{}
	}
	return c
}

// ServeHTTP answers a REST call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{path: r.URL.Path}
	// vanguard rewrites the request it is given into the procedure's
	// (URL, method, headers): it gets a copy, so that the request log
	// and the access log keep the client's.
	r = r.Clone(context.WithValue(r.Context(), callKey{}, c))
	if !jsonBody(r) {
		writeStatus(w, http.StatusUnsupportedMediaType, connect.CodeInvalidArgument,
			r.Method+" "+bounded(c.path)+": the body is "+bounded(r.Header.Get("Content-Type"))+
				", but this API takes JSON: send it with Content-Type: application/json")
		return
	}
	if !validUTF8(r.URL) {
		// The path and query fill string fields, which protobuf holds
		// to UTF-8: refused here, as the client's mistake it is.
		writeStatus(w, http.StatusBadRequest, connect.CodeInvalidArgument,
			r.Method+" "+bounded(c.path)+": the path or query string is not UTF-8 once percent-decoded")
		return
	}
	if !readBody(w, r, c) {
		return
	}
	path, ok := h.segs.path(r.URL.Path)
	if !ok {
		notServed(w, r)
		return
	}
	r.URL.Path, r.URL.RawPath = path, ""
	a := &answer{w: w, call: c}
	c.refused = func() bool { return a.held != 0 }
	h.t.ServeHTTP(a, r)
	a.finish(r)
}

// serveProcedure is where vanguard sends a routed call, now a Connect
// request for the procedure.
func (h *Handler) serveProcedure(w http.ResponseWriter, r *http.Request) {
	c := callOf(r.Context())
	c.procedure = r.URL.Path
	if h.reached != nil {
		h.reached(r.URL.Path)
	}
	if c.refused != nil {
		r.Body = &refusableBody{ReadCloser: r.Body, refused: c.refused}
	}
	h.next.ServeHTTP(w, r)
}

// errRefused is what the procedure reads of a body vanguard could not
// decode.
var errRefused = errors.New("rest: the request was refused before it reached the procedure")

// refusableBody is the body a procedure reads. vanguard decodes the
// client's JSON as the handler reads it; when that fails it answers the
// client with the error and hands the handler an empty body, on which
// the procedure would run with an empty request. Reading fails instead,
// so that a refused call never runs.
type refusableBody struct {
	io.ReadCloser
	refused func() bool
}

func (b *refusableBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.refused() {
		return n, errRefused
	}
	return n, err
}

// validUTF8 reports whether a URL's path and query decode to UTF-8.
func validUTF8(u *url.URL) bool {
	if !utf8.ValidString(u.Path) {
		return false
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return true // vanguard reports a malformed query itself
	}
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// readBody reads a request's body (bounded) so that an empty JSON object
// reads as no body at all: clients send {} with a POST that has nothing
// to say (axios.post(url, {}), fetch with JSON.stringify({})), and a
// route without a body field, such as POST /api/v1/sessions/{id}/revoke,
// would otherwise refuse it. Either way the request has no fields from
// the body. It answers the call itself and reports false for a body too
// large or unreadable.
func readBody(w http.ResponseWriter, r *http.Request, c *call) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body.Close()
	switch {
	case err != nil:
		writeStatus(w, http.StatusBadRequest, connect.CodeInvalidArgument,
			r.Method+" "+bounded(c.path)+": reading the request body: "+err.Error())
		return false
	case len(body) > maxBodyBytes:
		writeStatus(w, http.StatusRequestEntityTooLarge, connect.CodeResourceExhausted,
			r.Method+" "+bounded(c.path)+": the request body is larger than "+strconv.Itoa(maxBodyBytes>>20)+" MiB")
		return false
	}
	if emptyObject(body) {
		body = nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

// emptyObject reports whether a body is nothing, or {} with spaces.
func emptyObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return true
	}
	return len(b) >= 2 && b[0] == '{' && b[len(b)-1] == '}' && len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// jsonBody reports whether a request's body can be read as JSON, and
// makes its Content-Type the one vanguard expects: application/json with
// any parameters, none (a GET), or application/x-www-form-urlencoded,
// which curl sends with -d unless told otherwise (grpc-gateway reads
// that body as JSON too).
func jsonBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/x-www-form-urlencoded":
		r.Header.Set("Content-Type", "application/json")
		return true
	}
	return false
}

// notServed answers an /api/v1 path the mock has no route for: one of
// Scalekit's the mock does not emulate (roles, permissions, M2M clients,
// API tokens, …), or none of Scalekit's. It is Unimplemented, as a gRPC
// call of a procedure the mock lacks is, naming the request.
func notServed(w http.ResponseWriter, r *http.Request) {
	c := callOf(r.Context())
	path := c.path
	if path == "" {
		path = r.URL.Path
	}
	writeStatus(w, http.StatusNotImplemented, connect.CodeUnimplemented,
		r.Method+" "+bounded(path)+" is not served by skctl mock-idp, whose REST API serves organizations, users and memberships, sessions, domains, connections, directories, passwordless email and events (docs/rest-api.md lists the paths)")
}
