package webapp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestCallbackTokenChecks: every ID-token and token-response check of
// sections B7, C and D2 refuses the sign-in (no session cookie), and the
// honest token is accepted.
func TestCallbackTokenChecks(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	logs := &logBuffer{}
	a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Now: func() time.Time { return now }, Logger: logs.logger()})

	type mutate func(id, at map[string]any, resp map[string]any)
	cases := []struct {
		name   string
		change mutate
		alg    jose.SignatureAlgorithm
		kid    string
		ok     bool
	}{
		{"honest tokens", func(id, at, r map[string]any) {}, jose.RS256, "", true},
		{"sub missing (C2)", func(id, at, r map[string]any) { delete(id, "sub") }, jose.RS256, "", false},
		{"sub not ASCII (C2)", func(id, at, r map[string]any) { id["sub"] = "usr_\u00e9" }, jose.RS256, "", false},
		{"iat missing (C3)", func(id, at, r map[string]any) { delete(id, "iat") }, jose.RS256, "", false},
		{"iat in the future (C3)", func(id, at, r map[string]any) { id["iat"] = now.Add(10 * time.Minute).Unix() }, jose.RS256, "", false},
		{"iat too old (C3)", func(id, at, r map[string]any) { id["iat"] = now.Add(-time.Hour).Unix() }, jose.RS256, "", false},
		{"iat within the skew (C7)", func(id, at, r map[string]any) { id["iat"] = now.Add(60 * time.Second).Unix() }, jose.RS256, "", true},
		{"nonce wrong (C4)", func(id, at, r map[string]any) { id["nonce"] = "other" }, jose.RS256, "", false},
		{"nonce missing (C4)", func(id, at, r map[string]any) { delete(id, "nonce") }, jose.RS256, "", false},
		{"two audiences, no azp (C5)", func(id, at, r map[string]any) { id["aud"] = []string{testClientID, "skc_other"}; delete(id, "azp") }, jose.RS256, "", false},
		{"azp another client (C5)", func(id, at, r map[string]any) { id["azp"] = "skc_other" }, jose.RS256, "", false},
		{"untrusted extra audience (C5)", func(id, at, r map[string]any) { id["aud"] = []string{testClientID, "skc_other"} }, jose.RS256, "", false},
		{"at_hash wrong (C6)", func(id, at, r map[string]any) { id["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }, jose.RS256, "", false},
		{"iss wrong (C1)", func(id, at, r map[string]any) { id["iss"] = "https://evil.example" }, jose.RS256, "", false},
		{"aud wrong (C1)", func(id, at, r map[string]any) { id["aud"] = []string{"skc_other"}; delete(id, "azp") }, jose.RS256, "", false},
		{"expired (C1)", func(id, at, r map[string]any) { id["exp"] = now.Add(-5 * time.Minute).Unix() }, jose.RS256, "", false},
		{"expired within the skew (C7)", func(id, at, r map[string]any) { id["exp"] = now.Add(-30 * time.Second).Unix() }, jose.RS256, "", true},
		{"HS256 (C1)", func(id, at, r map[string]any) {}, jose.HS256, "", false},
		{"unknown kid (C11)", func(id, at, r map[string]any) {}, jose.RS256, "snk_99999999999999999", false},
		{"no id_token (B7)", func(id, at, r map[string]any) { delete(r, "id_token") }, jose.RS256, "", false},
		{"token_type mac (B7)", func(id, at, r map[string]any) { r["token_type"] = "mac" }, jose.RS256, "", false},
		// No at_hash: it would refuse the pair before D2 is reached.
		{"ID token as access token (D2)", func(id, at, r map[string]any) { delete(id, "at_hash") }, jose.RS256, "", false},
		{"access token for another audience (D1)", func(id, at, r map[string]any) { at["aud"] = []string{"skc_other"} }, jose.RS256, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := &recorderJar{}
			state, nonce := j.login(t, a)
			f.setToken(func(url.Values) (int, any) {
				id, at := f.goodClaims(nonce, now)
				// at_hash binds the ID token to the access token that
				// really comes back (honest IdPs set it).
				access := f.sign(at, jose.RS256, f.kid)
				id["at_hash"] = atHash(access)
				resp := map[string]any{"token_type": "Bearer", "expires_in": 300, "refresh_token": "rt-1"}
				tc.change(id, at, resp)
				if _, changed := at["aud"].([]string); changed && at["aud"].([]string)[0] != testClientID {
					access = f.sign(at, jose.RS256, f.kid)
					id["at_hash"] = atHash(access)
				}
				kid := f.kid
				if tc.kid != "" {
					kid = tc.kid
				}
				if _, gone := resp["id_token"]; !gone && !strings.Contains(tc.name, "no id_token") {
					resp["id_token"] = f.sign(id, tc.alg, kid)
				}
				if _, set := resp["access_token"]; !set {
					resp["access_token"] = access
				}
				if tc.name == "ID token as access token (D2)" {
					resp["access_token"] = resp["id_token"]
				}
				return 200, resp
			})
			rec := j.get(a, "/api/auth/callback?code=c&state="+url.QueryEscape(state))
			_, signedIn := j.cookies["skctl_session"]
			if signedIn != tc.ok {
				t.Fatalf("signed in = %v, want %v (status %d): %.300s", signedIn, tc.ok, rec.Code, rec.Body.String())
			}
			if !tc.ok && (rec.Code < 400 || rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable) {
				t.Errorf("refusal status %d", rec.Code)
			}
			if !tc.ok {
				line := logs.find("request_id", rec.Header().Get("X-Request-Id"), "msg", "request failed")
				if line == nil || line["reason"] != refusalReasons[tc.name] {
					t.Errorf("logged %v, want the reason %q", line, refusalReasons[tc.name])
				}
			}
		})
	}
}

// refusalReasons are the reasons serve logs for TestCallbackTokenChecks's
// refusals: each names what failed.
var refusalReasons = map[string]string{
	"sub missing (C2)":                       "ID token sub missing or malformed",
	"sub not ASCII (C2)":                     "ID token sub missing or malformed",
	"iat missing (C3)":                       "ID token iat missing",
	"iat in the future (C3)":                 "ID token iat in the future",
	"iat too old (C3)":                       "ID token iat too old",
	"nonce wrong (C4)":                       "ID token nonce mismatch",
	"nonce missing (C4)":                     "ID token nonce mismatch",
	"two audiences, no azp (C5)":             "ID token has several audiences and no azp",
	"azp another client (C5)":                "ID token azp is another client",
	"untrusted extra audience (C5)":          "ID token trusts an untrusted audience",
	"at_hash wrong (C6)":                     "ID token at_hash",
	"iss wrong (C1)":                         "ID token issuer mismatch",
	"aud wrong (C1)":                         "ID token audience mismatch",
	"expired (C1)":                           "ID token expired",
	"HS256 (C1)":                             "ID token algorithm not allowed",
	"unknown kid (C11)":                      "ID token kid not in the current key set",
	"no id_token (B7)":                       "token response without Bearer type, id_token or a positive expires_in",
	"token_type mac (B7)":                    "token response without Bearer type, id_token or a positive expires_in",
	"ID token as access token (D2)":          "access token has ID-token claims or lacks jti",
	"access token for another audience (D1)": "access token audience mismatch",
}

// TestRefreshChecks: a refreshed ID token must keep the subject and
// audience (E2), and a refused refresh ends the session (E4).
func TestRefreshChecks(t *testing.T) {
	f := startFakeIdP(t)
	now := time.Now()
	clock := func() time.Time { return now }
	a := newTestApp(t, f, clock)

	signIn := func() *recorderJar {
		j := &recorderJar{}
		state, nonce := j.login(t, a)
		f.setToken(func(url.Values) (int, any) {
			id, at := f.goodClaims(nonce, now)
			access := f.sign(at, jose.RS256, f.kid)
			id["at_hash"] = atHash(access)
			return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid), "refresh_token": "rt-" + state[:8]}
		})
		if rec := j.get(a, "/api/auth/callback?code=c&state="+url.QueryEscape(state)); rec.Code != http.StatusFound {
			t.Fatalf("sign-in: %d", rec.Code)
		}
		return j
	}
	refreshWith := func(change func(id map[string]any)) {
		f.setToken(func(url.Values) (int, any) {
			id, at := f.goodClaims("", now)
			delete(id, "nonce")
			access := f.sign(at, jose.RS256, f.kid)
			id["at_hash"] = atHash(access)
			change(id)
			return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid), "refresh_token": "rt-next"}
		})
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		ok     bool
	}{
		{"same subject", func(map[string]any) {}, true},
		{"subject changed", func(id map[string]any) { id["sub"] = "usr_2" }, false},
		{"issuer changed", func(id map[string]any) { id["iss"] = "https://evil.example" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := signIn()
			now = now.Add(6 * time.Minute)
			refreshWith(tc.change)
			rec := j.get(a, "/dashboard")
			if got := rec.Code == http.StatusOK; got != tc.ok {
				t.Errorf("dashboard after refresh: %d, want ok=%v", rec.Code, tc.ok)
			}
		})
	}
	t.Run("invalid_grant ends the session", func(t *testing.T) {
		j := signIn()
		now = now.Add(6 * time.Minute)
		f.setToken(func(url.Values) (int, any) { return 400, map[string]any{"error": "invalid_grant"} })
		rec := j.get(a, "/dashboard")
		if rec.Code != http.StatusFound || j.cookies["skctl_session"] != nil {
			t.Errorf("after invalid_grant: %d, cookie kept = %v", rec.Code, j.cookies["skctl_session"] != nil)
		}
	})
	t.Run("no new refresh token keeps the old one (E3)", func(t *testing.T) {
		j := signIn()
		now = now.Add(6 * time.Minute)
		f.setToken(func(form url.Values) (int, any) {
			id, at := f.goodClaims("", now)
			delete(id, "nonce")
			access := f.sign(at, jose.RS256, f.kid)
			id["at_hash"] = atHash(access)
			return 200, map[string]any{"token_type": "Bearer", "access_token": access, "id_token": f.sign(id, jose.RS256, f.kid)}
		})
		if rec := j.get(a, "/dashboard"); rec.Code != 200 {
			t.Fatalf("refresh without a new refresh token: %d", rec.Code)
		}
		var sent string
		f.setToken(func(form url.Values) (int, any) {
			sent = form.Get("refresh_token")
			return 400, map[string]any{"error": "invalid_grant"}
		})
		now = now.Add(6 * time.Minute)
		j.get(a, "/dashboard")
		if !strings.HasPrefix(sent, "rt-") {
			t.Errorf("second refresh sent %q, want the original refresh token", sent)
		}
	})
}
