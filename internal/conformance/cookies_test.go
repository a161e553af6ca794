package conformance

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const testIssuer = "http://127.0.0.1:4400"

// testJWT is an unsigned-looking compact JWS with these claims: the
// detector never verifies, so the signature is any base64url.
func testJWT(header, claims map[string]any) string {
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return seg(header) + "." + seg(claims) + ".c2lnbmF0dXJl"
}

var (
	rs256       = map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	idToken     = testJWT(rs256, map[string]any{"iss": testIssuer, "aud": "skc_1", "sub": "usr_1", "at_hash": "x", "nonce": "n"})
	accessToken = testJWT(rs256, map[string]any{"iss": testIssuer + "/", "aud": []string{"skc_1"}, "sub": "usr_1", "jti": "tkn_1", "scope": "openid"})
	otherToken  = testJWT(rs256, map[string]any{"iss": "https://other.example", "sub": "usr_1", "jti": "tkn_1"})
	noAlg       = testJWT(map[string]any{"typ": "JWT"}, map[string]any{"iss": testIssuer, "jti": "tkn_1"})
	bareToken   = testJWT(map[string]any{"alg": "none"}, map[string]any{"iss": testIssuer})
)

func TestCookieTokens(t *testing.T) {
	t.Parallel()
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	both := js(map[string]string{"id_token": idToken, "access_token": accessToken, "refresh_token": "rt_opaque"})
	for _, tc := range []struct {
		name, value string
		want        []cookieToken
	}{
		{"an ID token as is", idToken, []cookieToken{{"ID token", "as is"}}},
		{"an access token as is", accessToken, []cookieToken{{"access token", "as is"}}},
		{"a token of no known kind", bareToken, []cookieToken{{"token", "as is"}}},
		{"URL-escaped JSON", url.QueryEscape(both), []cookieToken{{"ID token", "URL-escaped"}, {"access token", "URL-escaped"}}},
		{"plain JSON", both, []cookieToken{{"ID token", "as is"}, {"access token", "as is"}}},
		{"base64 JSON", base64.StdEncoding.EncodeToString([]byte(both)), []cookieToken{{"ID token", "base64-encoded"}, {"access token", "base64-encoded"}}},
		{"raw base64url JSON", base64.RawURLEncoding.EncodeToString([]byte(both)), []cookieToken{{"ID token", "base64-encoded"}, {"access token", "base64-encoded"}}},
		{"URL-escaped base64", url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(both))), []cookieToken{{"ID token", "base64-encoded"}, {"access token", "base64-encoded"}}},
		{"a signed cookie (payload.signature)", base64.RawURLEncoding.EncodeToString([]byte(js(map[string]string{"t": accessToken}))) + ".ZmFrZXNpZw",
			[]cookieToken{{"access token", "base64-encoded"}}},
		{"a signed express cookie", url.QueryEscape("s:" + accessToken + ".sigsigsig"), []cookieToken{{"access token", "URL-escaped"}}},
		{"a prefix before the token", "v1." + idToken, []cookieToken{{"ID token", "as is"}}},
		{"another issuer's token", otherToken, nil},
		{"a header without alg", noAlg, nil},
		{"an opaque session ID", "sess_4f9a0c2e7b1d", nil},
		{"an encrypted value", base64.RawURLEncoding.EncodeToString([]byte("\x8a\x01\xfe\x99 random bytes, sealed")), nil},
		{"empty", "", nil},
		{"dots only", strings.Repeat(".", 1000), nil},
	} {
		got := cookieTokens(tc.value, testIssuer)
		slices.SortFunc(got, func(a, b cookieToken) int { return strings.Compare(a.kind+a.how, b.kind+b.how) })
		want := slices.Clone(tc.want)
		slices.SortFunc(want, func(a, b cookieToken) int { return strings.Compare(a.kind+a.how, b.kind+b.how) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: cookieTokens = %v, want %v", tc.name, got, want)
		}
	}
}

func TestDecodeJWT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{idToken, true},
		{idToken + "=", true},
		{"a.b", false},
		{"a.b.c.d", false},
		{"e30.e30.", true},      // {} and {}
		{"bnVsbA.e30.x", false}, // a header of null
		{"!!.e30.x", false},
	} {
		if _, _, ok := decodeJWT(tc.token); ok != tc.ok {
			t.Errorf("decodeJWT(%.20q) ok = %v, want %v", tc.token, ok, tc.ok)
		}
	}
	_, claims, _ := decodeJWT(accessToken)
	if !audContains(claims, "skc_1") || audContains(claims, "skc_2") {
		t.Errorf("audContains of an array aud: wrong")
	}
	_, claims, _ = decodeJWT(idToken)
	if !audContains(claims, "skc_1") || audContains(claims, "") {
		t.Errorf("audContains of a string aud: wrong")
	}
}

// FuzzCookieTokens: a cookie's value is whatever the app set; the
// detector must never panic, and whatever it reports is one of its
// kinds and encodings.
func FuzzCookieTokens(f *testing.F) {
	for _, s := range []string{idToken, accessToken, url.QueryEscape(idToken), base64.StdEncoding.EncodeToString([]byte(`{"a":"` + idToken + `"}`)),
		"e.e.e", "eyJ.eyJ.", "%zz", "s:" + accessToken + ".sig", strings.Repeat("e.", 300), ""} {
		f.Add(s)
	}
	kinds := []string{"ID token", "access token", "token"}
	hows := []string{"as is", "URL-escaped", "base64-encoded"}
	f.Fuzz(func(t *testing.T, value string) {
		for _, ct := range cookieTokens(value, testIssuer) {
			if !slices.Contains(kinds, ct.kind) || !slices.Contains(hows, ct.how) {
				t.Fatalf("cookieTokens(%q) reported %+v", value, ct)
			}
		}
	})
}
