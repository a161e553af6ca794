package mockidp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// discoveryDoc is the OpenID Provider metadata of contract §3, field for
// field. The struct keeps the fields in the order of the 2024 sample.
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint,omitempty"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri,omitempty"`
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
	if s.faults.on("discovery.http_endpoints", "") {
		base := insecureBase(issuer)
		d.AuthorizationEndpoint = base + "/oauth/authorize"
		d.TokenEndpoint = base + "/oauth/token"
		d.UserinfoEndpoint = base + "/userinfo"
		d.JWKSURI = base + s.jwksPath
		d.EndSessionEndpoint = base + "/oidc/logout"
	}
	if s.faults.on("discovery.missing_fields", "") {
		d.JWKSURI, d.TokenEndpoint = "", ""
	}
	if p, ok := s.faults.take("discovery.algs", ""); ok {
		d.IDTokenSigningAlgValuesSupported = []string{}
		for a := range strings.SplitSeq(p, ",") {
			if a = strings.TrimSpace(a); a != "" {
				d.IDTokenSigningAlgValuesSupported = append(d.IDTokenSigningAlgValuesSupported, a)
			}
		}
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
	if p, ok := s.faults.take("discovery.slow", ""); ok {
		sleep(r.Context(), paramDuration(p))
	}
	if s.faults.on("discovery.hang", "") {
		s.hang(r.Context())
		return
	}
	if s.faults.on("discovery.reset", "") {
		resetConn(w)
		return
	}
	if p, ok := s.faults.take("discovery.status", ""); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", "discovery.status"})
		return
	}
	if !s.faults.any() {
		writeStaticJSON(w, s.discovery)
		return
	}
	// Runtime faults may change the document.
	malformed, huge := s.faults.on("discovery.malformed", ""), s.faults.on("discovery.huge", "")
	doc := s.discoveryDocument()
	switch {
	case malformed:
		doc = doc[:len(doc)/2] // 200, application/json, cut off mid-document
	case huge:
		doc = padJSONObject(doc, "x_skctl_padding", hugeSize)
	}
	writeStaticJSON(w, doc)
}

// hugeSize is the size past which the *.huge modes' documents grow: an
// RP should bound what it reads from the IdP (I2).
const hugeSize = 2 << 20

// padJSONObject adds a string member of n bytes to the JSON object doc, so
// that it stays valid JSON but grows past n bytes.
func padJSONObject(doc []byte, name string, n int) []byte {
	end := bytes.LastIndexByte(doc, '}')
	if end < 0 {
		return doc
	}
	out := make([]byte, 0, len(doc)+n+len(name)+16)
	out = append(out, bytes.TrimRight(doc[:end], " \n")...)
	out = append(out, ",\n  \""+name+"\": \""...)
	out = append(out, bytes.Repeat([]byte("x"), n)...)
	out = append(out, "\"\n}"...)
	return out
}

// insecureBase is the issuer moved to plain http on another host that
// still reaches the mock where it can (127.0.0.1 and localhost swap), for
// discovery.http_endpoints: an RP that does not check the endpoints it
// discovers still signs in, so the test sees that it did not (I4).
func insecureBase(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return "http://insecure.invalid"
	}
	host := u.Hostname()
	switch host {
	case "127.0.0.1", "::1":
		host = "localhost"
	case "localhost":
		host = "127.0.0.1"
	default:
		host = "insecure." + host
	}
	if port := u.Port(); port != "" {
		host = net.JoinHostPort(host, port)
	}
	u.Scheme, u.Host = "http", host
	return u.String()
}

// handleKeys handles GET /keys. A stray Authorization header (the Go SDK
// sends its management token everywhere) is ignored (contract §5).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.faults.take("jwks.slow", ""); ok {
		sleep(r.Context(), paramDuration(p))
	}
	if s.faults.on("jwks.hang", "") {
		s.hang(r.Context())
		return
	}
	if !s.faults.on("jwks.flap", "") {
		s.keys.flaps.Store(0) // so that the next flapping starts with a failure
	} else if s.keys.flaps.Add(1)%2 == 1 {
		// Every other request fails, the first one included.
		writeJSON(w, http.StatusServiceUnavailable, &oauthError{"server_error", "jwks.flap"})
		return
	}
	if p, ok := s.faults.take("jwks.status", ""); ok {
		writeJSON(w, paramStatus(p), &oauthError{"server_error", "jwks.status"})
		return
	}
	if s.faults.on("jwks.empty", "") {
		writeStaticJSON(w, []byte(`{"keys":[]}`))
		return
	}
	malformed := s.faults.on("jwks.malformed", "")
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
	if s.faults.on("jwks.duplicate_kid", "") {
		// After the real key: go-jose's JSONWebKeySet.Key lists it first,
		// and go-oidc tries every key with the kid, so tokens still verify.
		if k := s.keys.signer(); k.wait() == nil {
			extra = append(extra, decoyJWKAs(k.kid))
		}
	}
	if s.faults.on("jwks.huge", "") {
		extra = append(extra, hugeJWKSPadding())
	}
	body, err := s.keys.jwks(extra...)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, &oauthError{"server_error", "The environment's signing key could not be loaded."})
		return
	}
	if malformed {
		body = body[:len(body)/2] // 200, application/json, cut off mid-key
	}
	writeStaticJSON(w, body)
}

// decoyJWKAs is the public JWK of the decoy key (faultclaims.go) under
// kid: jwks.duplicate_kid.
func decoyJWKAs(kid string) []byte {
	b, _ := json.Marshal(jose.JSONWebKey{Key: &decoy().PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	return b
}

// hugeJWKSPadding is the comma-separated JWKs that jwks.huge adds after
// the real keys: copies of the decoy public key under kids of no signing
// key, more than hugeSize bytes in all, so that /keys stays a valid key
// set an RP can use, if it reads that much.
var hugeJWKSPadding = sync.OnceValue(func() []byte {
	before, after, _ := bytes.Cut(decoyJWKAs("KID"), []byte(`"KID"`))
	var b bytes.Buffer
	for i := 0; b.Len() <= hugeSize; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s"snk_padding_%05d"%s`, before, i, after)
	}
	return b.Bytes()
})

func writeStaticJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"public, max-age=300"}
	w.Write(body)
}
