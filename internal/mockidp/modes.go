package mockidp

import (
	"fmt"
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

// modeList is every mode the mock implements, by group.
var modeList = []modeInfo{
	{"discovery.issuer_mismatch", noParam, "the discovery issuer differs from the URL it was fetched from (C9)"},
	{"discovery.jwks_uri_random", noParam, "jwks_uri has a random path, different on every start"},
	{"discovery.no_pkce", noParam, "discovery omits code_challenge_methods_supported (A4)"},
	{"discovery.iss_param_supported", noParam, "discovery advertises authorization_response_iss_parameter_supported (B5)"},
	{"discovery.status", statusParam, "discovery answers with this HTTP status"},

	{"authz.error", wordParam, "authorize redirects back with this error and an XSS payload in error_description (B1)"},
	{"authz.no_code", noParam, "the redirect back carries no code (B4)"},
	{"authz.no_state", noParam, "the redirect back carries no state (B2)"},
	{"authz.wrong_state", noParam, "the redirect back carries another state (B2)"},
	{"authz.duplicate_params", noParam, "the redirect back repeats code and state (B4)"},
	{"authz.huge_code", noParam, "the code is 16 KB long (B4)"},
	{"authz.iss_wrong", noParam, "the redirect back carries iss of another issuer (B5)"},
	{"authz.iss_missing", noParam, "the redirect back never carries iss (B5, with discovery.iss_param_supported)"},

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
	{"idt.alg_hs256", noParam, "the ID token is HS256, keyed with the client secret (C1)"},
	{"idt.kid_absent_single", noParam, "the ID token's header has no kid; /keys has one key"},
	{"idt.kid_absent_multi", noParam, "the ID token's header has no kid; /keys has several keys"},
	{"idt.kid_unknown", noParam, "the ID token's kid is in no key set, even after a reload"},
	{"idt.malformed", noParam, "the ID token is not a JWS (two segments)"},

	{"at.exp_short", durationParam, "access tokens live this long (E1)"},
	{"at.aud_other", noParam, "the access token's aud is another client (D1)"},
	{"at.iss_wrong", noParam, "the access token's iss is another issuer (D1)"},
	{"at.sig_bad", noParam, "the access token is signed with another key under the real kid (D1)"},
	{"at.same_as_id_token", noParam, "the ID token is returned as the access token (D2)"},

	{"jwks.rotate_after_first_token", noParam, "the signing key changes after the first ID token; both keys are published"},
	{"jwks.rotate_before_sign", noParam, "the signing key changes just before the first token is signed"},
	{"jwks.unparseable_extra_key", noParam, "/keys also holds a key of an invented kty (C11)"},
	{"jwks.unsupported_alg_key", noParam, "/keys also holds an ES256K key (C11)"},
	{"jwks.status", statusParam, "/keys answers with this HTTP status (D4)"},
	{"jwks.empty", noParam, "/keys holds no keys (D4)"},

	{"refresh.invalid_grant", noParam, "every refresh gets invalid_grant (E4)"},
	{"refresh.no_new_refresh_token", noParam, "a refresh answers without a new refresh_token (E3); the old one stays valid"},
	{"refresh.id_token_iss_changed", noParam, "the refreshed ID token has another iss (E2)"},
	{"refresh.id_token_sub_changed", noParam, "the refreshed ID token has another sub (E2)"},
	{"refresh.id_token_absent", noParam, "a refresh answers without id_token"},
	{"refresh.status", statusParam, "the refresh grant answers with this HTTP status (E4)"},
	{"refresh.delay", durationParam, "the refresh grant answers after this delay (E5)"},

	{"userinfo.sub_mismatch", noParam, "userinfo answers with another sub (C10)"},
	{"userinfo.status", statusParam, "userinfo answers with this HTTP status"},

	{"logout.drop_state", noParam, "logout redirects back without state (G2)"},
	{"logout.change_state", noParam, "logout redirects back with another state (G2)"},

	{"idp.clock_offset", durationParam, "the environment's clock is this far off, e.g. -2m (C7)"},
	{"net.latency", durationParam, "every endpoint answers after this delay (I1)"},
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
		if n, err := strconv.Atoi(param); err != nil || n < 100 || n > 599 {
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
		name := mi.Name
		switch mi.Param {
		case durationParam:
			name += "=<duration>"
		case statusParam:
			name += "=<status>"
		case wordParam:
			name += "=<value>"
		}
		out = append(out, ModeInfo{name, mi.Summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
