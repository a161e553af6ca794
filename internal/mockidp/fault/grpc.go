package fault

import (
	"net/http"
)

// GRPC status codes the management API's modes answer with; the values
// are gRPC's (google.golang.org/grpc/codes), kept here so that the drills
// need no RPC library.
const (
	GRPCCodeResourceExhausted = 8
	GRPCCodeUnavailable       = 14
)

// GRPC applies the grpc.* modes to a management API call, in the order an
// outage shows: the delay, then a reset or a refusal. It returns the gRPC
// status code to refuse the call with (0: none), and whether the call was
// already answered or abandoned, so that the handler must do nothing.
func (e *Env) GRPC(w http.ResponseWriter, r *http.Request, client string) (code int, done bool) {
	if !e.faults.Any() {
		return 0, false
	}
	if p, ok := e.faults.Take(GRPCSlow, client); ok {
		sleep(r.Context(), Duration(p))
		if r.Context().Err() != nil {
			return 0, true
		}
	}
	if e.on(GRPCReset, client) {
		resetConn(w, r)
		return 0, true
	}
	if e.on(GRPCUnavailable, client) {
		return GRPCCodeUnavailable, false
	}
	if e.on(GRPCResourceExhausted, client) {
		return GRPCCodeResourceExhausted, false
	}
	return 0, false
}
