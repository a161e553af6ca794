package mockidp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// writeTokenError answers a token-endpoint request with a JSON error:
// invalid_client is 401, everything else 400 (docs/scalekit-contract.md §5).
func (s *Server) writeTokenError(w http.ResponseWriter, e *wire.Error, basic bool) {
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
	wire.WriteJSON(w, status, e)
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
func (s *Server) withCanary(e *wire.Error) *wire.Error {
	if s.opts.Canary == "" || e == nil {
		return e
	}
	return &wire.Error{Code: e.Code, Description: strings.TrimSpace(e.Description + " " + s.opts.Canary)}
}

// secret returns a new code or refresh token, starting with the canary
// when there is one.
func (s *Server) secret() string {
	if s.opts.Canary != "" {
		return s.opts.Canary + "." + ids.Token()
	}
	return ids.Token()
}
