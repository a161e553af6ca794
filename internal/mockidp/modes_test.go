package mockidp_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp"
	"golang.org/x/oauth2"
)

// The modes below change one claim, one parameter or one answer each; every
// test arms a mode in one root environment, runs the step it changes, and
// asserts the change itself, with the faithful answer as the baseline.

// TestTokenClaimModes: the idt.* and at.* modes that change a claim of the
// tokens of a code exchange.
func TestTokenClaimModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	type claims = map[string]any
	for _, c := range []struct {
		mode  string
		token string // id_token or access_token
		check func(c claims, now int64) bool
	}{
		{"idt.aud_multi_no_azp", "id_token", func(c claims, _ int64) bool {
			return slices.Equal(strs(c["aud"]), []string{app1ID, "skc_00000000000000001"}) && c["azp"] == nil
		}},
		{"idt.aud_multi_untrusted", "id_token", func(c claims, _ int64) bool {
			return slices.Equal(strs(c["aud"]), []string{app1ID, "skc_00000000000000001"}) && c["azp"] == app1ID
		}},
		{"idt.azp_wrong", "id_token", func(c claims, _ int64) bool { return c["azp"] == "skc_00000000000000001" }},
		{"idt.exp_missing", "id_token", func(c claims, _ int64) bool { _, ok := c["exp"]; return !ok }},
		{"idt.exp_past", "id_token", func(c claims, now int64) bool { return num(c, "exp", func(v int64) bool { return v < now }) }},
		{"idt.iat_future", "id_token", func(c claims, now int64) bool { return num(c, "iat", func(v int64) bool { return v > now+1800 }) }},
		{"idt.iat_old", "id_token", func(c claims, now int64) bool { return num(c, "iat", func(v int64) bool { return v < now-12*3600 }) }},
		{"idt.nbf_future", "id_token", func(c claims, now int64) bool { return num(c, "nbf", func(v int64) bool { return v > now+1800 }) }},
		{"idt.nonce_missing", "id_token", func(c claims, _ int64) bool { _, ok := c["nonce"]; return !ok }},
		{"at.aud_other", "access_token", func(c claims, _ int64) bool {
			return slices.Equal(strs(c["aud"]), []string{"skc_00000000000000001"})
		}},
		{"at.iss_wrong", "access_token", func(c claims, _ int64) bool { return c["iss"] == "https://evil.example" }},
	} {
		t.Run(c.mode, func(t *testing.T) {
			armOnly(t, env.URL, c.mode, 1)
			// A nonce, so that nonce_missing removes one that was sent.
			code, verifier := codeForWith(t, env.URL, url.Values{"nonce": {"n-0123456789abcdef0123"}})
			r := postToken(t, env.URL, codeForm(code, verifier), nil)
			if r.status != http.StatusOK {
				t.Fatalf("code exchange: %d %v", r.status, r.body)
			}
			got := jwtClaims(t, r.body[c.token].(string))
			if !c.check(got, time.Now().Unix()) {
				t.Errorf("%s: %s claims %v", c.mode, c.token, got)
			}
			// The mode was armed for one use: the next exchange is faithful.
			code, verifier = codeForWith(t, env.URL, url.Values{"nonce": {"n-0123456789abcdef0123"}})
			r = postToken(t, env.URL, codeForm(code, verifier), nil)
			if again := jwtClaims(t, r.body[c.token].(string)); c.check(again, time.Now().Unix()) {
				t.Errorf("%s still applies after its one use: %v", c.mode, again)
			}
		})
	}
}

// num applies ok to the numeric claim name, and is false without it.
func num(c map[string]any, name string, ok func(int64) bool) bool {
	v, is := c[name].(float64)
	return is && ok(int64(v))
}

// codeForWith is codeFor with extra authorize parameters.
func codeForWith(t testing.TB, env string, extra url.Values) (code, verifier string) {
	t.Helper()
	verifier = "v-" + strings.Repeat("0123456789", 5)
	v := url.Values{
		"response_type": {"code"}, "client_id": {app1ID}, "redirect_uri": {app1Redirect},
		"scope": {"openid email profile offline_access"}, "state": {"s"}, "login_hint": {"ada@acme.test"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	p := newBrowser(t).get(authorizeURL(env, v))
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %v %.200s", p.status, p.location, p.body)
	}
	return p.location.Query().Get("code"), verifier
}

// TestSignatureModes: at.sig_bad signs the access token with another key
// under the real kid; idt.kid_unknown names a kid no key set holds;
// at.same_as_id_token returns the ID token as the access token.
func TestSignatureModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	set := keySet(t, env.URL+"/keys")
	kid := envKid(t, env.URL)
	verifies := func(raw string) bool {
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			return false
		}
		keys := set.Key(jws.Signatures[0].Header.KeyID)
		return len(keys) == 1 && func() bool { _, err := jws.Verify(keys[0]); return err == nil }()
	}
	t.Run("at.sig_bad", func(t *testing.T) {
		armOnly(t, env.URL, "at.sig_bad", 1)
		r := exchangeFor(t, env.URL)
		at, idt := r.body["access_token"].(string), r.body["id_token"].(string)
		if jwtKid(t, at) != kid || verifies(at) {
			t.Errorf("the access token has kid %s (want the real %s) and verifies: %v", jwtKid(t, at), kid, verifies(at))
		}
		if !verifies(idt) {
			t.Error("the ID token no longer verifies: at.sig_bad is for the access token only")
		}
	})
	t.Run("idt.kid_unknown", func(t *testing.T) {
		armOnly(t, env.URL, "idt.kid_unknown", 1)
		idt := exchangeFor(t, env.URL).body["id_token"].(string)
		if k := jwtKid(t, idt); k == kid || !strings.HasPrefix(k, "snk_") || len(set.Key(k)) != 0 {
			t.Errorf("the ID token's kid %s: want an snk_ kid that /keys does not hold", k)
		}
		if now := keySet(t, env.URL+"/keys"); len(now.Key(jwtKid(t, idt))) != 0 {
			t.Error("/keys publishes the unknown kid")
		}
	})
	t.Run("at.same_as_id_token", func(t *testing.T) {
		armOnly(t, env.URL, "at.same_as_id_token", 1)
		r := exchangeFor(t, env.URL)
		if r.body["access_token"] != r.body["id_token"] {
			t.Error("the access token is not the ID token")
		}
		if _, ok := jwtClaims(t, r.body["access_token"].(string))["at_hash"]; !ok {
			t.Error("the access token should be the ID token, with its at_hash")
		}
	})
	t.Run("jwks.unsupported_alg_key", func(t *testing.T) {
		armOnly(t, env.URL, "jwks.unsupported_alg_key", 0)
		keys, _ := getJSON(t, env.URL+"/keys")
		var algs []string
		for _, k := range keys["keys"].([]any) {
			algs = append(algs, k.(map[string]any)["alg"].(string))
		}
		if !slices.Equal(algs, []string{"RS256", "ES256K"}) {
			t.Errorf("/keys algorithms %v, want the real RS256 key then an ES256K one", algs)
		}
		disarm(t, env.URL)
	})
}

// TestCallbackModes: the authz.* modes that change the redirect back to
// the app, and discovery.iss_param_supported, which makes it carry iss.
func TestCallbackModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	callback := func(t *testing.T) url.Values {
		t.Helper()
		v := validParams()
		v.Set("login_hint", "ada@acme.test")
		p := newBrowser(t).get(authorizeURL(env.URL, v))
		if p.status != http.StatusFound || p.location == nil {
			t.Fatalf("authorize: %d %.200s", p.status, p.body)
		}
		return p.location.Query()
	}
	state := validParams().Get("state")
	for _, c := range []struct {
		modes []string
		check func(q url.Values) bool
	}{
		{[]string{"authz.no_code"}, func(q url.Values) bool { return !q.Has("code") && q.Get("state") == state }},
		{[]string{"authz.no_state"}, func(q url.Values) bool { return q.Get("code") != "" && !q.Has("state") }},
		{[]string{"authz.wrong_state"}, func(q url.Values) bool { return q.Get("code") != "" && q.Get("state") == "state-the-app-never-sent" }},
		{[]string{"authz.duplicate_params"}, func(q url.Values) bool {
			return len(q["code"]) == 2 && q["code"][0] != q["code"][1] && slices.Equal(q["state"], []string{state, "second-state"})
		}},
		{[]string{"authz.huge_code"}, func(q url.Values) bool { return len(q.Get("code")) >= 16<<10-64 }},
		{[]string{"authz.iss_wrong"}, func(q url.Values) bool { return q.Get("iss") == "https://evil.example" }},
		{[]string{"discovery.iss_param_supported"}, func(q url.Values) bool { return q.Get("iss") == env.URL }},
	} {
		t.Run(strings.Join(c.modes, "+"), func(t *testing.T) {
			disarm(t, env.URL)
			for _, m := range c.modes {
				setFault(t, env.URL, map[string]any{"mode": m})
			}
			if q := callback(t); !c.check(q) {
				t.Errorf("callback parameters %v", q)
			}
			disarm(t, env.URL)
			if q := callback(t); c.check(q) {
				t.Errorf("after clearing, the callback still shows the mode: %v", q)
			}
		})
	}
	t.Run("authz.iss_missing", func(t *testing.T) {
		// With iss advertised, the mode drops it once; then it is back.
		armOnly(t, env.URL, "discovery.iss_param_supported", 0)
		setFault(t, env.URL, map[string]any{"mode": "authz.iss_missing", "count": 1})
		if q := callback(t); q.Has("iss") || q.Get("code") == "" {
			t.Errorf("under authz.iss_missing: %v, want a code and no iss", q)
		}
		if q := callback(t); q.Get("iss") != env.URL {
			t.Errorf("after its one use: %v, want iss again", q)
		}
		disarm(t, env.URL)
	})
	t.Run("discovery.iss_param_supported advertises it", func(t *testing.T) {
		armOnly(t, env.URL, "discovery.iss_param_supported", 0)
		d, _ := getJSON(t, env.URL+"/.well-known/openid-configuration")
		if d["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("discovery: %v", d["authorization_response_iss_parameter_supported"])
		}
		disarm(t, env.URL)
	})
}

// TestRefreshModes: refresh.rotate (the default, by name), refresh.delay,
// refresh.id_token_absent and refresh.no_new_refresh_token; and
// code.single_use, under which a replayed code revokes what the first
// redemption issued.
func TestRefreshModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	refresh := func(t *testing.T, rt string) tokenReply {
		t.Helper()
		return postToken(t, env.URL, refreshForm(rt, app1ID, app1Secret), nil)
	}
	t.Run("refresh.rotate", func(t *testing.T) {
		old := exchangeFor(t, env.URL).body["refresh_token"].(string)
		armOnly(t, env.URL, "refresh.rotate", 1)
		r := refresh(t, old)
		if r.status != http.StatusOK || r.body["refresh_token"] == old || r.body["refresh_token"] == nil {
			t.Fatalf("refresh: %d %v: want a new refresh token", r.status, r.body)
		}
		refresh(t, old).wantError(t, http.StatusBadRequest, "invalid_grant")
		// The mode names the default, and a refresh uses its count up.
		if armed, _ := getJSON(t, env.URL+"/__mock/faults"); len(armed["root"].([]any)) != 0 {
			t.Errorf("refresh.rotate armed for one refresh is still armed after it: %v", armed["root"])
		}
	})
	t.Run("refresh.delay", func(t *testing.T) {
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		armOnly(t, env.URL, "refresh.delay=300ms", 1)
		start := time.Now()
		r := refresh(t, rt)
		if took := time.Since(start); r.status != http.StatusOK || took < 300*time.Millisecond {
			t.Errorf("refresh answered %d after %v, want 200 after at least 300ms", r.status, took)
		}
	})
	t.Run("refresh.id_token_absent", func(t *testing.T) {
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		armOnly(t, env.URL, "refresh.id_token_absent", 1)
		if r := refresh(t, rt); r.status != http.StatusOK || r.body["id_token"] != nil || r.body["access_token"] == nil {
			t.Errorf("refresh: %d %v: want tokens without id_token", r.status, r.body)
		}
	})
	t.Run("refresh.no_new_refresh_token", func(t *testing.T) {
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		armOnly(t, env.URL, "refresh.no_new_refresh_token", 1)
		if r := refresh(t, rt); r.status != http.StatusOK || r.body["refresh_token"] != nil {
			t.Fatalf("refresh: %d %v: want tokens without refresh_token", r.status, r.body)
		}
		if r := refresh(t, rt); r.status != http.StatusOK {
			t.Errorf("the old refresh token, kept: %d %v", r.status, r.body)
		}
	})
	t.Run("code.single_use", func(t *testing.T) {
		armOnly(t, env.URL, "code.single_use", 0)
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, "openid offline_access")
		first := postToken(t, env.URL, codeForm(code, verifier), nil)
		if first.status != http.StatusOK {
			t.Fatalf("first redemption: %d %v", first.status, first.body)
		}
		postToken(t, env.URL, codeForm(code, verifier), nil).wantError(t, http.StatusBadRequest, "invalid_grant")
		refresh(t, first.body["refresh_token"].(string)).wantError(t, http.StatusBadRequest, "invalid_grant")
		disarm(t, env.URL)
	})
}

// TestUserinfoStatus: userinfo.status answers with the status, before the
// token is looked at.
func TestUserinfoStatus(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	at := exchangeFor(t, env.URL).body["access_token"].(string)
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	armOnly(t, env.URL, "userinfo.status=503", 1)
	if got := get(); got != http.StatusServiceUnavailable {
		t.Errorf("userinfo under userinfo.status=503: %d", got)
	}
	if got := get(); got != http.StatusOK {
		t.Errorf("userinfo after the mode's one use: %d", got)
	}
}
