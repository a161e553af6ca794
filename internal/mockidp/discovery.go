package mockidp

import (
	"encoding/json"
	"net/http"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// discoveryDocument builds the document of docs/scalekit-contract.md §3:
// the endpoints of the route table, and what the environment supports.
func (s *Server) discoveryDocument() wire.Discovery {
	auth := []string{"client_secret_post", "client_secret_basic"}
	if s.dir.HasPublicClient() {
		auth = append(auth, "none")
	}
	d := wire.Discovery{
		Issuer:                            s.issuer,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		SubjectTypesSupported:             []string{"public"},
		GrantTypesSupported:               []string{wire.GrantCode, wire.GrantClientCreds, wire.GrantRefresh},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ScopesSupported:                   supportedScopes,
		TokenEndpointAuthMethodsSupported: auth,
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr",
			"c_hash", "at_hash", "act", "scopes", "client_id", "azp", "preferred_username", "name",
			"family_name", "given_name", "locale", "email", "email_verified", "phone_number",
			"phone_number_verified", "oid", "sid"},
	}
	for path, rt := range s.routes {
		if rt.advertise != nil {
			rt.advertise(&d, s.issuer+path)
		}
	}
	return d
}

func (s *Server) encodeDiscovery(d wire.Discovery) []byte {
	doc, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // a fixed struct of strings always marshals
	}
	return doc
}

// handleDiscovery handles GET /.well-known/openid-configuration. The
// faithful document never changes, so it is built once and served as
// bytes; while a mode is on, it is built for each request, so that clearing
// the modes gives the faithful document back.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if !s.drills.Active() {
		wire.WriteStaticJSON(w, s.discovery)
		return
	}
	d := s.discoveryDocument()
	s.drills.Discovery(&d)
	wire.WriteStaticJSON(w, s.drills.DiscoveryBody(s.encodeDiscovery(d)))
}

// handleKeys handles GET /keys. A stray Authorization header (the Go SDK
// sends its management token everywhere) is ignored
// (docs/scalekit-contract.md §6).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	extra, cut, answered := s.drills.KeySet(w)
	if answered {
		return
	}
	body, err := s.keys.JWKS(extra...)
	if err != nil {
		wire.WriteJSON(w, http.StatusInternalServerError, &wire.Error{Code: "server_error", Description: "The environment's signing key could not be loaded."})
		return
	}
	if cut {
		body = body[:len(body)/2] // 200, application/json, cut off mid-key
	}
	wire.WriteStaticJSON(w, body)
}
