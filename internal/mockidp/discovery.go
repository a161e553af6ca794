package mockidp

import (
	"encoding/json"
	"net/http"
)

// discoveryDoc is the OpenID Provider metadata of contract §3, field for
// field. The struct keeps the fields in the order of the 2024 sample.
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	ClaimsSupported                   []string `json:"claims_supported"`
	// Only with discovery.iss_param_supported: Scalekit does not send it.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// discoveryDocument builds the document, with the discovery modes that are
// on applied.
func (s *Server) discoveryDocument() []byte {
	issuer := s.issuer
	auth := []string{"client_secret_post", "client_secret_basic"}
	if s.dir.hasPublicClient() {
		auth = append(auth, "none")
	}
	d := discoveryDoc{
		Issuer:                            issuer,
		AuthorizationEndpoint:             issuer + "/oauth/authorize",
		TokenEndpoint:                     issuer + "/oauth/token",
		UserinfoEndpoint:                  issuer + "/userinfo",
		JWKSURI:                           issuer + s.jwksPath,
		EndSessionEndpoint:                issuer + "/oidc/logout",
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		SubjectTypesSupported:             []string{"public"},
		GrantTypesSupported:               []string{grantCode, grantClientCreds, grantRefresh},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		TokenEndpointAuthMethodsSupported: auth,
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr",
			"c_hash", "at_hash", "act", "scopes", "client_id", "azp", "preferred_username", "name",
			"family_name", "given_name", "locale", "email", "email_verified", "phone_number",
			"phone_number_verified", "oid", "sid"},
	}
	if _, ok := s.faults.peek("discovery.issuer_mismatch"); ok {
		d.Issuer = issuer + "/other-issuer"
	}
	if _, ok := s.faults.peek("discovery.no_pkce"); ok {
		d.CodeChallengeMethodsSupported = nil
	}
	if _, ok := s.faults.peek("discovery.iss_param_supported"); ok {
		d.IssParameterSupported = true
	}
	doc, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // a fixed struct of strings always marshals
	}
	return doc
}

// handleDiscovery handles GET /.well-known/openid-configuration. The
// document never changes, so it is built once and served as bytes.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.faults.take("discovery.status", ""); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", "discovery.status"})
		return
	}
	if s.faults.any() { // runtime faults may change the document
		writeStaticJSON(w, s.discoveryDocument())
		return
	}
	writeStaticJSON(w, s.discovery)
}

// handleKeys handles GET /keys. A stray Authorization header (the Go SDK
// sends its management token everywhere) is ignored (contract §5).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.faults.take("jwks.status", ""); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", "jwks.status"})
		return
	}
	if s.faults.on("jwks.empty", "") {
		writeStaticJSON(w, []byte(`{"keys":[]}`))
		return
	}
	var extra [][]byte
	if _, ok := s.faults.peek("jwks.unparseable_extra_key"); ok {
		extra = append(extra, []byte(`{"kty":"AKP","kid":"snk_unparseable","alg":"ML-DSA-44","pub":"AAAA"}`))
	}
	if _, ok := s.faults.peek("jwks.unsupported_alg_key"); ok {
		extra = append(extra, []byte(`{"kty":"EC","kid":"snk_es256k","alg":"ES256K","crv":"secp256k1","x":"gKa0nrdkyRn8MfOhDc6QaIZ1eMzUmNzUHhOfxWmdtSg","y":"2i8ZpLgbUTGrQjDpy8whWo4Ytxh1Ka-EmKsm9anOcI4"}`))
	}
	if _, ok := s.faults.peek("idt.kid_absent_multi"); ok {
		extra = append(extra, s.decoyJWK())
	}
	body, err := s.keys.jwks(extra...)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, &oauthError{"server_error", "The environment's signing key could not be loaded."})
		return
	}
	writeStaticJSON(w, body)
}

func writeStaticJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"public, max-age=300"}
	w.Write(body)
}
