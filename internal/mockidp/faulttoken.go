package mockidp

import (
	"net/http"
	"strconv"
	"strings"
)

// tokenFault answers a token request as a token.* or refresh.* mode says,
// and reports whether it did. token.* modes apply to the code exchange,
// refresh.* to the refresh grant. The outages (slow, hang, reset, status)
// come before the grant runs, so the code or refresh token the request
// carries stays usable for a retry, as with a real transient failure.
func (s *Server) tokenFault(w http.ResponseWriter, r *http.Request, client, grant string, basic bool) bool {
	on := func(m string) bool { return s.faults.on(m, client) }
	if !basic && on("token.require_basic") {
		s.writeTokenError(w, &oauthError{"invalid_client", "This environment accepts client_secret_basic only."}, false)
		return true
	}
	if on("token.invalid_client") {
		s.writeTokenError(w, &oauthError{"invalid_client", "token.invalid_client"}, basic)
		return true
	}
	prefix := "token."
	switch grant {
	case grantRefresh:
		prefix = "refresh."
		if p, ok := s.faults.take("refresh.delay", client); ok && !s.sleepFor(r, p) {
			return true
		}
		if on("refresh.invalid_client") {
			s.writeTokenError(w, &oauthError{"invalid_client", "refresh.invalid_client"}, basic)
			return true
		}
		if on("refresh.invalid_grant") {
			s.writeTokenError(w, errInvalidGrant("refresh.invalid_grant"), basic)
			return true
		}
	case grantCode:
		if on("token.invalid_grant") {
			s.writeTokenError(w, errInvalidGrant("token.invalid_grant"), basic)
			return true
		}
	default:
		return false
	}
	if p, ok := s.faults.take(prefix+"slow", client); ok && !s.sleepFor(r, p) {
		return true
	}
	if on(prefix + "hang") {
		s.hang(r.Context())
		return true
	}
	if on(prefix + "reset") {
		resetConn(w) // no answer at all: the connection drops
		return true
	}
	if grant == grantCode {
		if on("token.html_body") {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Service Unavailable</body></html>"))
			return true
		}
		if on("token.malformed") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token": "`))
			return true
		}
	}
	if p, ok := s.faults.take(prefix+"status", client); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", prefix + "status"})
		return true
	}
	return false
}

// sleepFor waits a mode's duration and reports whether the client is still
// there. A client that gave up first must find its code or refresh token
// as it left it: the grant does not run for nobody (E4: a timed-out
// refresh must not rotate the token the RP will retry with).
func (s *Server) sleepFor(r *http.Request, p string) bool {
	sleep(r.Context(), paramDuration(p))
	return r.Context().Err() == nil
}

// hugeTokenPadding makes token.huge's body larger than 2 MiB, the bound an
// RP should put on what it reads (serve-security.md I2).
const hugeTokenPadding = 2<<20 + 4<<10

// shapedTokenResponse is a token response changed by token.expires_in or
// token.huge. Its ExpiresIn shadows the embedded one (encoding/json picks
// the shallower field), so a nil pointer leaves expires_in out.
type shapedTokenResponse struct {
	*tokenResponse
	ExpiresIn *int64 `json:"expires_in,omitempty"`
	Padding   string `json:"padding,omitempty"`
}

// shapeTokenResponse applies the modes that change a successful answer and
// returns the body to send: resp itself unless a mode reshapes it.
func (s *Server) shapeTokenResponse(resp *tokenResponse, client, grant string) any {
	switch grant {
	case grantCode:
		if s.faults.on("token.missing_id_token", client) {
			resp.IDToken = ""
		}
		if p, ok := s.faults.take("token.token_type", client); ok {
			resp.TokenType = p
		}
		var shaped *shapedTokenResponse
		shape := func() *shapedTokenResponse {
			if shaped == nil {
				exp := resp.ExpiresIn
				shaped = &shapedTokenResponse{tokenResponse: resp, ExpiresIn: &exp}
			}
			return shaped
		}
		// token.expires_in=0|-1|absent (B7): an integer is sent as is;
		// "absent" (or any other word) leaves the member out.
		if p, ok := s.faults.take("token.expires_in", client); ok {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil {
				resp.ExpiresIn = n
				*shape().ExpiresIn = n
			} else {
				shape().ExpiresIn = nil
			}
		}
		// token.huge: the real tokens plus more than 2 MiB of padding, all
		// valid JSON, so only an RP that bounds what it reads refuses it.
		if s.faults.on("token.huge", client) {
			shape().Padding = strings.Repeat("0123456789abcdef", hugeTokenPadding/16)
		}
		if shaped != nil {
			return shaped
		}
	case grantRefresh:
		if s.faults.on("refresh.id_token_absent", client) {
			resp.IDToken = ""
		}
	}
	return resp
}
