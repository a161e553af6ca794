package mockidp

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A mode is one named misbehaviour of the mock (shared/mock-idp-scenarios.md),
// such as idt.nonce_wrong or token.slow=3s. By default the mock behaves
// exactly as the contract says; modes are switched on with --scenario, by a
// scenario environment at /<name>, or at runtime through /__mock/faults.

// paramKind says what follows "=" in a mode.
type paramKind int

const (
	noParam       paramKind = iota
	durationParam           // e.g. token.slow=3s
	statusParam             // e.g. token.status=503
	wordParam               // e.g. authz.error=access_denied
)

// modeInfo describes one mode for the registry and `mock-idp scenarios`.
type modeInfo struct {
	Name    string
	Param   paramKind
	Summary string
}

// optionalParam are the modes whose parameter may be left out
// (mode[=param] in the design).
var optionalParam = map[string]bool{"refresh.reuse_detection": true, "net.429": true, "idt.alg_hs256": true, "idt.malformed": true}

// paramValues are the fixed words some modes take.
var paramValues = map[string][]string{"idt.alg_hs256": {"secret", "pubkey"}, "idt.malformed": {"segments", "base64", "json"}}

// modeList is every mode the mock implements, by group.
var modeList = []modeInfo{
	{"discovery.issuer_mismatch", noParam, "the discovery issuer differs from the URL it was fetched from (C9)"},
	{"discovery.jwks_uri_random", noParam, "jwks_uri has a random path, different on every start"},
	{"discovery.no_pkce", noParam, "discovery omits code_challenge_methods_supported (A4)"},
	{"discovery.iss_param_supported", noParam, "discovery advertises authorization_response_iss_parameter_supported (B5)"},
	{"discovery.status", statusParam, "discovery answers with this HTTP status"},
	{"discovery.slow", durationParam, "discovery answers after this delay (I1, I3)"},
	{"discovery.hang", noParam, "discovery never answers (I1, I3)"},
	{"discovery.reset", noParam, "discovery resets the connection (I3)"},
	{"discovery.malformed", noParam, "discovery answers 200 with broken JSON (I3)"},
	{"discovery.huge", noParam, "discovery answers with a 2 MiB document (I2)"},
	{"discovery.missing_fields", noParam, "discovery has no jwks_uri and no token_endpoint"},
	{"discovery.http_endpoints", noParam, "discovery advertises plain-http endpoints on another host (I4)"},
	{"discovery.algs", wordParam, "id_token_signing_alg_values_supported is this comma-separated list, e.g. none,HS256 (C1)"},

	{"authz.error", wordParam, "authorize redirects back with this error and an XSS payload in error_description, or =<code>&desc=<payload> (B1)"},
	{"authz.no_code", noParam, "the redirect back carries no code (B4)"},
	{"authz.no_state", noParam, "the redirect back carries no state (B2)"},
	{"authz.wrong_state", noParam, "the redirect back carries another state (B2)"},
	{"authz.duplicate_params", noParam, "the redirect back repeats code and state (B4)"},
	{"authz.huge_code", noParam, "the code is 16 KB long (B4)"},
	{"authz.iss_wrong", noParam, "the redirect back carries iss of another issuer (B5)"},
	{"authz.iss_missing", noParam, "the redirect back never carries iss (B5, with discovery.iss_param_supported)"},
	{"authz.code_injection", noParam, "the code returned was minted for another login, with another nonce and PKCE challenge (A3, C4)"},
	{"authz.require_pkce", noParam, "the authorize endpoint requires PKCE S256 from every client (A3)"},
	{"authz.reject_plain", noParam, "the authorize endpoint refuses code_challenge_method=plain (A3)"},

	{"code.single_use", noParam, "a code redeemed a second time also revokes the refresh token the first redemption issued (RFC 6749 §4.1.2); the replay always fails"},
	{"token.status", statusParam, "the token endpoint answers with this HTTP status (B6)"},
	{"token.slow", durationParam, "the token endpoint answers after this delay (I1)"},
	{"token.hang", noParam, "the token endpoint never answers (I1)"},
	{"token.html_body", noParam, "the token endpoint answers 200 with an HTML body (B6)"},
	{"token.malformed", noParam, "the token endpoint answers 200 with broken JSON (B6)"},
	{"token.invalid_grant", noParam, "every code exchange gets invalid_grant (B6)"},
	{"token.invalid_client", noParam, "every token request gets invalid_client"},
	{"token.missing_id_token", noParam, "the code exchange answers without id_token (B7)"},
	{"token.token_type", wordParam, "token_type is this value instead of Bearer (B7)"},
	{"token.require_basic", noParam, "only client_secret_basic authenticates (rp-token_endpoint-client_secret_basic)"},
	{"token.reset", noParam, "the token endpoint resets the connection (B6)"},
	{"token.huge", noParam, "the token endpoint answers with a 2 MiB body (I2)"},
	{"token.expires_in", wordParam, "expires_in is 0, -1 or absent (B7)"},

	{"idt.iss_wrong", noParam, "the ID token's iss is another issuer (C1)"},
	{"idt.aud_wrong", noParam, "the ID token's aud is another client (C1)"},
	{"idt.aud_missing", noParam, "the ID token has no aud (C1)"},
	{"idt.aud_multi_no_azp", noParam, "the ID token has two audiences and no azp (C5)"},
	{"idt.azp_wrong", noParam, "the ID token's azp is another client (C5)"},
	{"idt.aud_multi_untrusted", noParam, "the ID token also names an untrusted audience (C5)"},
	{"idt.sub_missing", noParam, "the ID token has no sub (C2)"},
	{"idt.iat_missing", noParam, "the ID token has no iat (C3)"},
	{"idt.iat_future", noParam, "the ID token's iat is an hour ahead (C3)"},
	{"idt.iat_old", noParam, "the ID token's iat is a day old (C3)"},
	{"idt.exp_past", noParam, "the ID token expired an hour ago (C1)"},
	{"idt.exp_missing", noParam, "the ID token has no exp (C1)"},
	{"idt.nbf_future", noParam, "the ID token is not valid before an hour from now (C1)"},
	{"idt.nonce_wrong", noParam, "the ID token's nonce differs from the one sent (C4)"},
	{"idt.nonce_missing", noParam, "the ID token has no nonce (C4)"},
	{"idt.at_hash_wrong", noParam, "the ID token's at_hash does not match the access token (C6)"},
	{"idt.sig_bad_rs256", noParam, "the ID token is signed with another key under the real kid (C1)"},
	{"idt.alg_none", noParam, "the ID token is unsigned, alg none (C1)"},
	{"idt.alg_hs256", wordParam, "the ID token is HS256, keyed with the client secret, or =pubkey with the RSA public key's PEM (algorithm confusion) (C1)"},
	{"idt.kid_absent_single", noParam, "the ID token's header has no kid; /keys has one key"},
	{"idt.kid_absent_multi", noParam, "the ID token's header has no kid; /keys has several keys"},
	{"idt.kid_unknown", noParam, "the ID token's kid is in no key set, even after a reload"},
	{"idt.malformed", wordParam, "the ID token is not a JWS: two segments, or =base64 (bad base64), or =json (not JSON)"},
	{"idt.sig_bad_es256", noParam, "the ID token is ES256 with a bad signature (C1)"},
	{"idt.multi_sig", noParam, "the ID token is a JSON-serialized JWS with two signatures (C1)"},
	{"idt.huge", noParam, "the ID token carries 16 KB of claims"},

	{"at.exp_short", durationParam, "access tokens live this long (E1)"},
	{"at.aud_other", noParam, "the access token's aud is another client (D1)"},
	{"at.iss_wrong", noParam, "the access token's iss is another issuer (D1)"},
	{"at.sig_bad", noParam, "the access token is signed with another key under the real kid (D1)"},
	{"at.same_as_id_token", noParam, "the ID token is returned as the access token (D2)"},
	{"at.aud_missing", noParam, "the access token has no aud (D1)"},
	{"at.kid_unknown", noParam, "the access token's kid is in no key set (D1)"},
	{"at.opaque", noParam, "the access token is an opaque string, not a JWT (D1)"},
	{"at.huge", noParam, "the access token carries 6 KB of roles and permissions (F3)"},
	{"at.typ", wordParam, "the access token's typ header is at+jwt, JWT or absent (D2)"},

	{"jwks.rotate_after_first_token", noParam, "the signing key changes after the first ID token; both keys are published"},
	{"jwks.rotate_before_sign", noParam, "the signing key changes just before the first token is signed"},
	{"jwks.unparseable_extra_key", noParam, "/keys also holds a key of an invented kty (C11)"},
	{"jwks.unsupported_alg_key", noParam, "/keys also holds an ES256K key (C11)"},
	{"jwks.status", statusParam, "/keys answers with this HTTP status (D4)"},
	{"jwks.empty", noParam, "/keys holds no keys (D4)"},
	{"jwks.slow", durationParam, "/keys answers after this delay (I1)"},
	{"jwks.hang", noParam, "/keys never answers (I1, D4)"},
	{"jwks.flap", noParam, "/keys fails every other request (D4)"},
	{"jwks.malformed", noParam, "/keys answers 200 with broken JSON (D4)"},
	{"jwks.huge", noParam, "/keys answers with a 2 MiB document (I2)"},
	{"jwks.duplicate_kid", noParam, "/keys holds two keys with one kid"},
	{"jwks.drop_old_key", noParam, "once an ID token has been served, the next token is signed with a new key and the old one disappears from /keys"},

	{"refresh.rotate", noParam, "a new refresh token on each use, the old one invalid_grant: the default, named for scenario sets"},
	{"refresh.invalid_grant", noParam, "every refresh gets invalid_grant (E4)"},
	{"refresh.no_new_refresh_token", noParam, "a refresh answers without a new refresh_token (E3); the old one stays valid"},
	{"refresh.id_token_iss_changed", noParam, "the refreshed ID token has another iss (E2)"},
	{"refresh.id_token_sub_changed", noParam, "the refreshed ID token has another sub (E2)"},
	{"refresh.id_token_absent", noParam, "a refresh answers without id_token"},
	{"refresh.status", statusParam, "the refresh grant answers with this HTTP status (E4)"},
	{"refresh.delay", durationParam, "the refresh grant answers after this delay (E5)"},
	{"refresh.reuse_detection", durationParam, "reusing a rotated-out refresh token revokes its whole family (RFC 9700 §4.14.2); =<grace> forgives a replay of the last one within that time"},
	{"refresh.invalid_client", noParam, "every refresh gets invalid_client (E4)"},
	{"refresh.slow", durationParam, "the refresh grant answers after this delay (E4)"},
	{"refresh.hang", noParam, "the refresh grant never answers (E4, I1)"},
	{"refresh.reset", noParam, "the refresh grant resets the connection (E4)"},

	{"userinfo.sub_mismatch", noParam, "userinfo answers with another sub (C10)"},
	{"userinfo.status", statusParam, "userinfo answers with this HTTP status"},
	{"userinfo.slow", durationParam, "userinfo answers after this delay"},
	{"userinfo.signed_jwt", noParam, "userinfo answers with a signed JWT (application/jwt)"},
	{"userinfo.require_bearer_header", noParam, "userinfo refuses a token in the query or body"},

	{"logout.drop_state", noParam, "logout redirects back without state (G2)"},
	{"logout.change_state", noParam, "logout redirects back with another state (G2)"},
	{"logout.require_id_token_hint", noParam, "logout without id_token_hint is refused (G2)"},
	{"logout.exact_post_logout_redirect_uri", noParam, "the post-logout URI must match exactly (the default; kept for the scenario names)"},
	{"logout.status", statusParam, "the end-session endpoint answers with this HTTP status"},

	{"idp.clock_offset", durationParam, "the environment's clock is this far off, e.g. -2m (C7)"},
	{"net.latency", durationParam, "every endpoint answers after this delay (I1)"},
	{"net.tls_selfsigned", noParam, "the environment is served over TLS with a self-signed certificate (--scenario at the root only)"},
	{"net.hang", noParam, "every endpoint never answers (I1)"},
	{"net.reset", noParam, "every endpoint resets the connection (I1)"},
	{"net.truncate", noParam, "every response body is cut in half (I1)"},
	{"net.429", wordParam, "every endpoint answers 429 with Retry-After: 1, or =<seconds>"},
	{"net.wrong_content_type", noParam, "every JSON response is sent as text/plain"},
}

var modesByName = func() map[string]modeInfo {
	m := map[string]modeInfo{}
	for _, mi := range modeList {
		m[mi.Name] = mi
	}
	return m
}()

// Fault is one mode switched on, with its parameter.
type Fault struct {
	Mode  string `json:"mode"`
	Param string `json:"param,omitempty"`
}

func (f Fault) String() string {
	if f.Param == "" {
		return f.Mode
	}
	return f.Mode + "=" + f.Param
}

// ParseFault parses "mode[=param]". An unknown mode is an error that names
// the nearest known one.
func ParseFault(s string) (Fault, error) {
	name, param, hasParam := strings.Cut(strings.TrimSpace(s), "=")
	mi, ok := modesByName[name]
	if !ok {
		return Fault{}, fmt.Errorf("unknown mode %q: did you mean %s? (skctl mock-idp scenarios lists them all)", name, nearestMode(name))
	}
	if optionalParam[name] && !hasParam {
		return Fault{Mode: name}, nil
	}
	if vs := paramValues[name]; len(vs) > 0 && !slices.Contains(vs, param) {
		return Fault{}, fmt.Errorf("mode %s takes one of %s", name, strings.Join(vs, ", "))
	}
	switch mi.Param {
	case noParam:
		if hasParam {
			return Fault{}, fmt.Errorf("mode %s takes no parameter", name)
		}
	case durationParam:
		if _, err := time.ParseDuration(param); err != nil {
			return Fault{}, fmt.Errorf("mode %s needs a duration, e.g. %s=3s", name, name)
		}
	case statusParam:
		if n, err := strconv.Atoi(param); err != nil || n < 200 || n > 599 {
			return Fault{}, fmt.Errorf("mode %s needs an HTTP status, e.g. %s=503", name, name)
		}
	case wordParam:
		if param == "" {
			return Fault{}, fmt.Errorf("mode %s needs a value, e.g. %s=access_denied", name, name)
		}
	}
	return Fault{Mode: name, Param: param}, nil
}

// nearestMode is the registered mode name closest to s by edit distance.
func nearestMode(s string) string {
	best, bestD := "", 1<<30
	for _, mi := range modeList {
		if d := editDistance(s, mi.Name); d < bestD {
			best, bestD = mi.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ModeInfo is a mode as `skctl mock-idp scenarios` lists it.
type ModeInfo struct {
	Name    string // with its parameter shape, e.g. token.slow=<duration>
	Summary string
}

// Modes lists every mode, sorted by name.
func Modes() []ModeInfo {
	var out []ModeInfo
	for _, mi := range modeList {
		suffix := ""
		switch mi.Param {
		case durationParam:
			suffix = "=<duration>"
		case statusParam:
			suffix = "=<status>"
		case wordParam:
			suffix = "=<value>"
			if vs := paramValues[mi.Name]; len(vs) > 0 {
				suffix = "=" + strings.Join(vs, "|")
			}
		}
		if optionalParam[mi.Name] && suffix != "" {
			suffix = "[" + suffix + "]"
		}
		name := mi.Name + suffix
		out = append(out, ModeInfo{name, mi.Summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
