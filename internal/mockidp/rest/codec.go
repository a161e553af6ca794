package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	errdetailspb "github.com/skctl/skctl/internal/scalekitpb/errdetails"
)

// jsonCodec is the JSON of Scalekit's REST API, which is protojson's:
// proto field names (display_name, create_time), enum value names, RFC
// 3339 timestamps, 64-bit integers as strings. Responses carry every
// field, those at their zero value too, as the responses in Scalekit's
// docs do ("next_page_token": "", "metadata": {}, "total_users": 0); an
// error body carries only what is set, as the one Scalekit documents. The
// output is compact (protojson's own spacing varies on purpose). It
// replaces vanguard's "json" codec, which writes camelCase names.
type jsonCodec struct {
	vanguard.JSONCodec
}

func newJSONCodec(res vanguard.TypeResolver) vanguard.Codec {
	return &jsonCodec{vanguard.JSONCodec{
		MarshalOptions: protojson.MarshalOptions{Resolver: res, UseProtoNames: true, EmitUnpopulated: true},
		// Unknown fields are ignored, as grpc-gateway does by default: a
		// misspelt field reads as absent, and a required one is then
		// reported by name.
		UnmarshalOptions: protojson.UnmarshalOptions{Resolver: res, DiscardUnknown: true},
	}}
}

// MarshalAppend writes a message; an error status gets the ErrorInfo
// detail Scalekit attaches to every error when it has none (an error
// vanguard raised itself, such as a malformed body).
func (c *jsonCodec) MarshalAppend(base []byte, msg proto.Message) ([]byte, error) {
	opts := c.MarshalOptions
	if st, ok := msg.(*statuspb.Status); ok {
		msg = withErrorInfo(st)
		opts.EmitUnpopulated = false
	}
	out, err := opts.Marshal(msg)
	if err != nil {
		return nil, err
	}
	return compactAppend(base, out)
}

// compactAppend appends JSON to base without insignificant spaces.
func compactAppend(base, js []byte) ([]byte, error) {
	buf := bytes.NewBuffer(base)
	if err := json.Compact(buf, js); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal reads a request body, saying which message it should have
// been when it is not.
func (c *jsonCodec) Unmarshal(data []byte, msg proto.Message) error {
	if err := c.UnmarshalOptions.Unmarshal(data, msg); err != nil {
		return bodyError(msg.ProtoReflect().Descriptor(), err)
	}
	return nil
}

// UnmarshalField reads a request body that fills one field of the
// request (the binding's body: "organization").
func (c *jsonCodec) UnmarshalField(data []byte, msg proto.Message, field protoreflect.FieldDescriptor) error {
	if field.Message() != nil && field.Cardinality() != protoreflect.Repeated {
		return c.Unmarshal(data, msg.ProtoReflect().Mutable(field).Message().Interface())
	}
	if err := c.JSONCodec.UnmarshalField(data, msg, field); err != nil {
		return bodyError(field.Message(), err)
	}
	return nil
}

// bodyError is InvalidArgument for a body that is not the JSON of md: the
// parser's own words (line and column, the offending token), without its
// "proto:" prefix, which means nothing to a REST client.
func bodyError(md protoreflect.MessageDescriptor, err error) error {
	what := "JSON"
	if md != nil {
		what = "the JSON of a " + string(md.FullName())
	}
	reason := strings.TrimSpace(strings.TrimPrefix(err.Error(), "proto:"))
	reason = strings.ToValidUTF8(reason, "\uFFFD") // it may quote the body
	return connect.NewError(connect.CodeInvalidArgument,
		fmt.Errorf("the request body is not %s: %s", what, reason))
}

// errorInfoURL is the type URL of Scalekit's error detail.
const errorInfoURL = "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo"

// withErrorInfo returns st with an ErrorInfo detail whose error_code is
// the status's name in capitals (what the management API's own errors
// carry), adding one if st has none.
func withErrorInfo(st *statuspb.Status) *statuspb.Status {
	for _, d := range st.GetDetails() {
		if d.GetTypeUrl() == errorInfoURL {
			return st
		}
	}
	info, err := anypb.New(&errdetailspb.ErrorInfo{ErrorCode: errorCode(connect.Code(st.GetCode()))})
	if err != nil {
		return st
	}
	out := proto.CloneOf(st)
	out.Details = append(out.Details, info)
	return out
}

// errorCode is ErrorInfo.error_code for a status: UNAUTHENTICATED,
// NOT_FOUND, INVALID_ARGUMENT, …
func errorCode(c connect.Code) string {
	return strings.ToUpper(c.String())
}
