package mockidp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
)

func getJSON(t testing.TB, u string) (map[string]any, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m, resp.Header
}

// TestDiscoveryDocument pins the metadata of contract §3.
func TestDiscoveryDocument(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	doc, _ := getJSON(t, env.URL+"/.well-known/openid-configuration")
	want := map[string]string{
		"issuer":                 env.URL,
		"authorization_endpoint": env.URL + "/oauth/authorize",
		"token_endpoint":         env.URL + "/oauth/token",
		"jwks_uri":               env.URL + "/keys",
		"userinfo_endpoint":      env.URL + "/userinfo",
		"end_session_endpoint":   env.URL + "/oidc/logout",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	lists := map[string][]string{
		"response_types_supported":              {"code"},
		"grant_types_supported":                 {"authorization_code", "client_credentials", "refresh_token"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"client_secret_post", "client_secret_basic"},
		"scopes_supported":                      {"openid", "profile", "email", "offline_access"},
	}
	for k, v := range lists {
		if got := strs(doc[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	for _, absent := range []string{"registration_endpoint", "introspection_endpoint", "revocation_endpoint"} {
		if _, ok := doc[absent]; ok {
			t.Errorf("discovery advertises %s, which the mock does not serve", absent)
		}
	}
}

// TestKeysAndTokenShapes: /keys has one public RSA key with a snk_ kid, and
// every token's header, claims and JSON types are those of contract §7.
func TestKeysAndTokenShapes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	jwks, _ := getJSON(t, env.URL+"/keys")
	keys := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("want exactly one key, got %d", len(keys))
	}
	key := keys[0].(map[string]any)
	kid, _ := key["kid"].(string)
	if !regexp.MustCompile(`^snk_\d{17}$`).MatchString(kid) || key["kty"] != "RSA" || key["alg"] != "RS256" || key["use"] != "sig" || key["e"] != "AQAB" {
		t.Errorf("key = %v", key)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := key[private]; ok {
			t.Errorf("/keys publishes the private member %q", private)
		}
	}

	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	tok := a.login(newBrowser(t), "ada@acme.test")
	for name, jwt := range map[string]string{"access": tok.AccessToken, "id": tok.Extra("id_token").(string)} {
		h := jwtHeader(t, jwt)
		if h["alg"] != "RS256" || h["kid"] != kid || h["typ"] != "JWT" {
			t.Errorf("%s token header = %v", name, h)
		}
	}
	if exp := tok.Extra("expires_in"); exp != float64(300) {
		t.Errorf("expires_in = %v (%T), want the integer 300", exp, exp)
	}

	id := regexp.MustCompile(`^(usr|org|conn|ses|tkn)_\d{17}$`)
	at := jwtClaims(t, tok.AccessToken)
	for _, c := range []string{"sub", "oid", "sid", "jti"} {
		if s, _ := at[c].(string); !id.MatchString(s) {
			t.Errorf("access token %s = %v, want a Scalekit ID", c, at[c])
		}
	}
	if strs(at["aud"])[0] != app1ID || at["client_id"] != app1ID || at["iss"] != env.URL {
		t.Errorf("access token aud/client_id/iss = %v %v %v", at["aud"], at["client_id"], at["iss"])
	}
	if at["scope"] != "openid profile email offline_access" || !slices.Equal(strs(at["scopes"]), []string{"openid", "profile", "email", "offline_access"}) {
		t.Errorf("access token scope %v / scopes %v", at["scope"], at["scopes"])
	}
	if !slices.Equal(strs(at["roles"]), []string{"admin"}) || !slices.Contains(strs(at["permissions"]), "users:write") {
		t.Errorf("roles %v permissions %v", at["roles"], at["permissions"])
	}
	if at["xoid"] != "ACME-001" || at["xuid"] != "EMP-0001" || at["department"] != "Engineering" {
		t.Errorf("external IDs / custom claim: %v %v %v", at["xoid"], at["xuid"], at["department"])
	}
	integer(t, at, "iat", "nbf", "exp")
	if at["nbf"] != at["iat"] {
		t.Errorf("nbf %v != iat %v", at["nbf"], at["iat"])
	}
	for _, never := range []string{"nonce", "at_hash", "azp", "amr", "email"} {
		if _, ok := at[never]; ok {
			t.Errorf("the access token carries %s, so it could pass for an ID token", never)
		}
	}

	idc := tok.claims
	integer(t, idc, "iat", "exp", "auth_time")
	if _, ok := idc["aud"].([]any); !ok {
		t.Errorf("ID token aud is %T, want an array", idc["aud"])
	}
	if idc["azp"] != app1ID || idc["email_verified"] != true || idc["name"] != "Ada Lovelace" || idc["sid"] != at["sid"] {
		t.Errorf("ID token claims: %v", idc)
	}
	if amr := strs(idc["amr"]); len(amr) != 1 || !strings.HasPrefix(amr[0], "conn_") {
		t.Errorf("amr = %v", idc["amr"])
	}
	for _, never := range []string{"jti", "nbf", "updated_at", "xuid"} {
		if _, ok := idc[never]; ok {
			t.Errorf("the ID token carries %s", never)
		}
	}
}

// TestDoubleSlashIs404: an env URL with a trailing slash makes SDKs ask for
// //oauth/…; the answer names the mistake and never redirects.
func TestDoubleSlashIs404(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	p := newBrowser(t).postForm(env.URL+"//oauth/token", nil)
	if p.status != http.StatusNotFound || p.location != nil || !strings.Contains(p.body, "trailing slash") {
		t.Errorf("//oauth/token: %d %v %q", p.status, p.location, p.body)
	}
}

// TestIssuerRule: the environment URL is scheme and host only.
func TestIssuerRule(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"http://127.0.0.1:1/", "http://127.0.0.1:1/env", "127.0.0.1:1", "ftp://x", ""} {
		if _, err := mockidp.New(mockidp.Options{Issuer: bad}); err == nil {
			t.Errorf("issuer %q accepted", bad)
		}
	}
	if _, err := mockidp.New(mockidp.Options{Issuer: "http://127.0.0.1:1/"}); err == nil || !strings.Contains(err.Error(), "trailing slash") {
		t.Errorf("trailing slash error does not say so: %v", err)
	}
}

// TestIndexPage: the environment URL opened in a browser says what it is.
func TestIndexPage(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	resp, err := http.Get(env.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/.well-known/openid-configuration") {
		t.Errorf("GET /: %d %.200s", resp.StatusCode, body)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// integer checks that claims are JSON integers: the Go SDK's structs use
// int, so 1.7e9 or "1700000000" would break it.
func integer(t testing.TB, claims map[string]any, names ...string) {
	t.Helper()
	for _, n := range names {
		f, ok := claims[n].(float64)
		if !ok || f != float64(int64(f)) {
			t.Errorf("%s = %v (%T), want an integer", n, claims[n], claims[n])
		}
	}
}

// TestMethods: each endpoint answers its methods only, with Allow.
func TestMethods(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/keys", 405}, {"POST", "/.well-known/openid-configuration", 405}, {"GET", "/oauth/login", 405},
		{"PUT", "/oauth/authorize", 405}, {"HEAD", "/keys", 200}, {"GET", "/no/such/path", 404},
	} {
		req, _ := http.NewRequest(tc.method, env.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 405 && resp.Header.Get("Allow") == "") {
			t.Errorf("%s %s: %d Allow=%q, want %d", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.status)
		}
	}
}
