// Package wire holds the messages a mock environment exchanges with apps,
// field for field as Scalekit sends them (docs/scalekit-contract.md): the
// discovery document, the token response and RFC 6749 errors. The faithful
// handlers build them; the failure drills (package fault) reshape them.
package wire

import (
	"encoding/json"
	"net/http"
)

// The grant types of the token endpoint.
const (
	GrantCode        = "authorization_code"
	GrantRefresh     = "refresh_token"
	GrantClientCreds = "client_credentials"
)

// Error is an RFC 6749 §5.2 error body.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// InvalidRequest and InvalidGrant are the two errors most checks end in.
func InvalidRequest(desc string) *Error { return &Error{"invalid_request", desc} }

// InvalidGrant is the error of a code or refresh token that cannot be used.
func InvalidGrant(desc string) *Error { return &Error{"invalid_grant", desc} }

// WriteJSON answers with v as JSON, never cached (RFC 6749 §5.1).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WriteStaticJSON answers with a document that may be cached: discovery
// and keys. The headers are set as maps to keep the hot path free of
// canonicalisation.
func WriteStaticJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"public, max-age=300"}
	w.Write(body)
}

// TokenResponse is the RFC 6749 §5.1 body, with the JSON types of
// docs/scalekit-contract.md §5: expires_in is whole seconds, never a float
// or nanoseconds.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}
