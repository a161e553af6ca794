package rest

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// writeStatus answers an error the way every REST error is answered: a
// google.rpc.Status in JSON with an ErrorInfo detail, as Scalekit
// documents ({"code":16,"message":"Token empty","details":[{"@type":
// "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":
// "UNAUTHENTICATED"}]}), under the given HTTP status.
func writeStatus(w http.ResponseWriter, status int, code connect.Code, msg string) {
	// JSON strings must be UTF-8; a path or header may not be.
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	st := withErrorInfo(&statuspb.Status{Code: int32(code), Message: msg})
	body, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(st)
	if err == nil {
		body, err = compactAppend(nil, body)
	}
	if err != nil { // a Status with an ErrorInfo always marshals
		body = []byte(`{"code":13,"message":"skctl mock-idp could not encode an error"}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// maxNamedPath bounds the path an error repeats: a path is the client's
// to choose.
const maxNamedPath = 200

func bounded(path string) string {
	path = strings.ToValidUTF8(path, "\uFFFD")
	if len(path) <= maxNamedPath {
		return path
	}
	cut := maxNamedPath
	for cut > 0 && !utf8.RuneStart(path[cut]) {
		cut--
	}
	return path[:cut] + "…"
}
