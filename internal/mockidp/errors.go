package mockidp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// oauthError is an RFC 6749 §5.2 error body.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(desc string) *oauthError { return &oauthError{"invalid_request", desc} }
func errInvalidGrant(desc string) *oauthError   { return &oauthError{"invalid_grant", desc} }

// writeTokenError answers a token-endpoint request with a JSON error:
// invalid_client is 401, everything else 400 (contract §5).
func (s *Server) writeTokenError(w http.ResponseWriter, e *oauthError, basic bool) {
	e = s.withCanary(e)
	status := http.StatusBadRequest
	if e.Code == "server_error" {
		status = http.StatusInternalServerError
	}
	if e.Code == "invalid_client" {
		status = http.StatusUnauthorized
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		}
	}
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// redirectWithParams sends the browser to target with params added to its
// query, keeping any query the registered URI already has.
func redirectWithParams(w http.ResponseWriter, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // registered URIs were checked at load time
		http.Error(w, "bad redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		replaced := false
		for _, v := range vs {
			if v == "" {
				continue
			}
			if !replaced { // a parameter the registered URI has is replaced, not doubled
				q.Del(k)
				replaced = true
			}
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// withCanary appends the canary to an error's description, so a test can
// prove the app never shows or logs the IdP's error text (J2, B1).
func (s *Server) withCanary(e *oauthError) *oauthError {
	if s.opts.Canary == "" || e == nil {
		return e
	}
	return &oauthError{e.Code, strings.TrimSpace(e.Description + " " + s.opts.Canary)}
}

// secret returns a new code or refresh token, starting with the canary
// when there is one.
func (s *Server) secret() string {
	if s.opts.Canary != "" {
		return s.opts.Canary + "." + randomToken()
	}
	return randomToken()
}
