package fault

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// TokenRequest applies the token.* modes (code exchange) and refresh.*
// modes (refresh grant) that answer in place of the grant, once the client
// has authenticated. It returns the error to answer with, or answered when
// the request is already dealt with (an outage, a broken body). The
// outages come before the grant runs, so the code or refresh token the
// request carries stays usable for a retry, as with a real transient
// failure.
func (e *Env) TokenRequest(w http.ResponseWriter, r *http.Request, client, grant string, basic bool) (refusal *wire.Error, answered bool) {
	if !e.faults.Any() {
		return nil, false
	}
	on := func(m Mode) bool { return e.faults.On(m, client) }
	if !basic && on(TokenRequireBasic) {
		return &wire.Error{Code: "invalid_client", Description: "This environment accepts client_secret_basic only."}, false
	}
	if on(TokenInvalidClient) {
		return &wire.Error{Code: "invalid_client", Description: string(TokenInvalidClient)}, false
	}
	group := TokenOutage
	switch grant {
	case wire.GrantRefresh:
		group = RefreshOutage
		if p, ok := e.faults.Take(RefreshDelay, client); ok {
			sleep(r.Context(), Duration(p))
			if r.Context().Err() != nil {
				return nil, true
			}
		}
		if on(RefreshInvalidClient) {
			return &wire.Error{Code: "invalid_client", Description: string(RefreshInvalidClient)}, false
		}
		if on(RefreshInvalidGrant) {
			return wire.InvalidGrant(string(RefreshInvalidGrant)), false
		}
	case wire.GrantCode:
		if on(TokenInvalidGrant) {
			return wire.InvalidGrant(string(TokenInvalidGrant)), false
		}
	default:
		return nil, false
	}
	m := group.modes()
	if p, ok := e.faults.Take(m.slow, client); ok {
		sleep(r.Context(), Duration(p))
		if r.Context().Err() != nil {
			return nil, true
		}
	}
	if on(m.hang) {
		e.hang(r.Context())
		return nil, true
	}
	if on(m.reset) {
		resetConn(w, r) // no answer at all: the connection drops
		return nil, true
	}
	if grant == wire.GrantCode {
		if on(TokenHTMLBody) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Service Unavailable</body></html>"))
			return nil, true
		}
		if on(TokenMalformed) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token": "`))
			return nil, true
		}
	}
	if p, ok := e.faults.Take(m.status, client); ok {
		JSONStatus(w, Status(p), m.status)
		return nil, true
	}
	return nil, false
}

// hugeTokenPadding makes token.huge's body larger than 2 MiB, the bound an
// app should put on what it reads (I2).
const hugeTokenPadding = 2<<20 + 4<<10

// shapedTokenResponse is a token response changed by token.expires_in or
// token.huge. Its ExpiresIn shadows the embedded one (encoding/json picks
// the shallower field), so a nil pointer leaves expires_in out.
type shapedTokenResponse struct {
	*wire.TokenResponse
	ExpiresIn *int64 `json:"expires_in,omitempty"`
	Padding   string `json:"padding,omitempty"`
}

// TokenResponse applies the modes that change a successful answer and
// returns the body to send: resp itself unless a mode reshapes it.
func (e *Env) TokenResponse(resp *wire.TokenResponse, client, grant string) any {
	if !e.faults.Any() {
		return resp
	}
	switch grant {
	case wire.GrantCode:
		if e.faults.On(TokenMissingIDToken, client) {
			resp.IDToken = ""
		}
		if p, ok := e.faults.Take(TokenTokenType, client); ok {
			resp.TokenType = p
		}
		var shaped *shapedTokenResponse
		shape := func() *shapedTokenResponse {
			if shaped == nil {
				exp := resp.ExpiresIn
				shaped = &shapedTokenResponse{TokenResponse: resp, ExpiresIn: &exp}
			}
			return shaped
		}
		// token.expires_in=0|-1|absent: an integer is sent as is; "absent"
		// (or any other word) leaves the member out.
		if p, ok := e.faults.Take(TokenExpiresIn, client); ok {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil {
				resp.ExpiresIn = n
				*shape().ExpiresIn = n
			} else {
				shape().ExpiresIn = nil
			}
		}
		// token.huge: the real tokens plus more than 2 MiB of padding, all
		// valid JSON, so only an app that bounds what it reads refuses it.
		if e.faults.On(TokenHuge, client) {
			shape().Padding = strings.Repeat("0123456789abcdef", hugeTokenPadding/16)
		}
		if shaped != nil {
			return shaped
		}
	case wire.GrantRefresh:
		if e.faults.On(RefreshIDTokenAbsent, client) {
			resp.IDToken = ""
		}
	}
	return resp
}

// KeepRefreshToken reports whether a refresh keeps the old token and
// answers without a new one (refresh.no_new_refresh_token). Rotation is
// the default; refresh.rotate names it for scenario sets, and only uses up
// its count here.
func (e *Env) KeepRefreshToken(client string) bool {
	if !e.faults.Any() {
		return false
	}
	if e.faults.On(RefreshNoNewRefreshToken, client) {
		return true
	}
	e.faults.On(RefreshRotate, client)
	return false
}

// ReuseDetection reports whether a replayed refresh token revokes its
// family (refresh.reuse_detection), with the grace within which a replay
// of the last rotated-out token is forgiven. use uses up one of the
// mode's counted uses; the store calls it only for a replay it would
// revoke, so a counted mode is used up by replays alone.
func (e *Env) ReuseDetection(client string) (grace time.Duration, use func() bool, on bool) {
	p, on := e.faults.Peek(RefreshReuseDetection)
	if !on {
		return 0, nil, false
	}
	return Duration(p), func() bool { return e.faults.On(RefreshReuseDetection, client) }, true
}

// CodeReplay reports whether a second redemption of a code revokes what
// the first one issued (code.single_use). revoke does the revocation and
// reports whether the code had been redeemed; only then is a counted use
// taken.
func (e *Env) CodeReplay(client string, revoke func() bool) {
	if e.faults.Has(CodeSingleUse) && revoke() {
		e.faults.On(CodeSingleUse, client)
	}
}
