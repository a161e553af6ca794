package mockidp

import (
	"net/http"
	"net/url"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// Drills is the seam between the faithful environment and its failure
// drills (package fault): the points at which the environment lets a mode
// change what it does. With no mode on, every method leaves what it is
// given as it is and reports that it did nothing, so the faithful code
// reads straight through each call.
type Drills interface {
	// Before a handler: the net.* modes (a writer that truncates or
	// mislabels, or an answer in place of the handler) and the endpoint's
	// outage (slow, hang, reset, status).
	Intercept(w http.ResponseWriter, r *http.Request, client string) (_ http.ResponseWriter, finish func(), done bool)
	Outage(w http.ResponseWriter, r *http.Request, g fault.Group, client string, fail fault.StatusWriter) bool

	// Discovery and keys.
	Discovery(d *wire.Discovery)
	DiscoveryBody(doc []byte) []byte
	KeySet(w http.ResponseWriter) (extra [][]byte, cut, answered bool)
	KeysPath() string

	// The authorize endpoint and the redirect back.
	RequirePKCE(client string) bool
	PlainRefused(client string)
	AuthorizeError(client string) *wire.Error
	Code(code, client string) string
	InjectedLogin(nonce, challenge, client string) (string, string)
	CallbackParams(q url.Values, client string)

	// The token endpoint: an answer in place of the grant, the grant's
	// own variations, the claims and signatures of the tokens, and the
	// response's shape.
	TokenRequest(w http.ResponseWriter, r *http.Request, client, grant string, basic bool) (refusal *wire.Error, answered bool)
	CodeReplay(client string, revoke func() bool)
	KeepRefreshToken(client string) bool
	ReuseDetection(client string) (grace time.Duration, use func() bool, on bool)
	AccessTokenLife(client string, life time.Duration) time.Duration
	AccessTokenClaims(c map[string]any, client string)
	IDTokenClaims(c map[string]any, client string, now time.Time, refresh bool)
	Sign(claims map[string]any, client, secret string, t fault.Token) (token string, signed bool, err error)
	IDTokenSigned()
	SameAsIDToken(client string) bool
	TokenResponse(resp *wire.TokenResponse, client, grant string) any

	// Userinfo and logout.
	RequireBearerHeader(client string) bool
	Userinfo(out map[string]any, client string) (signed bool)
	RequireIDTokenHint(client string) bool
	PostLogoutRefused(client string)
	LogoutState(state, client string) string

	// The management API: the grpc.* modes, which delay, reset or refuse
	// a call with a gRPC status code (0: none).
	GRPC(w http.ResponseWriter, r *http.Request, client string) (code int, done bool)

	// The clock, which idp.clock_offset and /__mock/clock move.
	Offset() time.Duration

	// Whether any mode is on: if not, cached documents may be served.
	Active() bool
}

// The fault package's environment is the drills.
var _ Drills = (*fault.Env)(nil)
