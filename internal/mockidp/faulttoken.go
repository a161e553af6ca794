package mockidp

import (
	"net/http"
	"time"
)

// tokenFault answers a token request as a token.* or refresh.* mode says,
// and reports whether it did. token.* modes apply to the code exchange,
// refresh.* to the refresh grant.
func (s *Server) tokenFault(w http.ResponseWriter, r *http.Request, client, grant string, basic bool) bool {
	on := func(m string) bool { return s.faults.on(m, client) }
	if !basic && on("token.require_basic") {
		writeTokenError(w, &oauthError{"invalid_client", "This environment accepts client_secret_basic only."}, false)
		return true
	}
	if on("token.invalid_client") {
		writeTokenError(w, &oauthError{"invalid_client", "token.invalid_client"}, basic)
		return true
	}
	prefix := "token."
	switch grant {
	case grantRefresh:
		prefix = "refresh."
		if p, ok := s.faults.take("refresh.delay", client); ok {
			sleep(r.Context(), paramDuration(p))
		}
		if on("refresh.invalid_grant") {
			writeTokenError(w, errInvalidGrant("refresh.invalid_grant"), basic)
			return true
		}
	case grantCode:
		if on("token.invalid_grant") {
			writeTokenError(w, errInvalidGrant("token.invalid_grant"), basic)
			return true
		}
		if p, ok := s.faults.take("token.slow", client); ok {
			sleep(r.Context(), paramDuration(p))
		}
		if on("token.hang") {
			sleep(r.Context(), 10*time.Minute)
			return true
		}
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
	default:
		return false
	}
	if p, ok := s.faults.take(prefix+"status", client); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", prefix + "status"})
		return true
	}
	return false
}

// shapeTokenResponse applies the modes that change a successful answer.
func (s *Server) shapeTokenResponse(resp *tokenResponse, client, grant string) {
	switch grant {
	case grantCode:
		if s.faults.on("token.missing_id_token", client) {
			resp.IDToken = ""
		}
		if p, ok := s.faults.take("token.token_type", client); ok {
			resp.TokenType = p
		}
	case grantRefresh:
		if s.faults.on("refresh.id_token_absent", client) {
			resp.IDToken = ""
		}
	}
}
