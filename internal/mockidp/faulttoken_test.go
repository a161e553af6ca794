package mockidp_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/skctl/skctl/internal/mockidp"
	"golang.org/x/oauth2"
)

// The modes of the authorize, token, ID-token, access-token, refresh,
// userinfo and logout tables of docs/failure-modes.md, each over
// real HTTP. Each test runs one root environment and switches one mode on
// at a time through /__mock/faults, so a single key serves all its cases.

// armOnly clears every mode of env's root environment and switches mode
// on, for count uses (0: until cleared).
func armOnly(t testing.TB, env, mode string, count int) {
	t.Helper()
	disarm(t, env)
	body, _ := json.Marshal(map[string]any{"mode": mode, "count": count})
	resp, err := http.Post(env+"/__mock/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("arming %s: %d", mode, resp.StatusCode)
	}
}

// disarm clears every mode of env's root environment.
func disarm(t testing.TB, env string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, env+"/__mock/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// rawPost posts a form with its own client and timeout, for answers that
// postToken cannot take: resets, hangs and huge bodies.
func rawPost(env, path string, form url.Values, timeout time.Duration) (*http.Response, []byte, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.PostForm(env+path, form)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// exchangeFor signs ada in with app 1 (offline_access) and redeems the
// code: the raw token response.
func exchangeFor(t testing.TB, env string) tokenReply {
	t.Helper()
	code, verifier := codeFor(t, env, app1ID, app1Redirect, "openid email profile offline_access")
	r := postToken(t, env, codeForm(code, verifier), nil)
	if r.status != http.StatusOK {
		t.Fatalf("code exchange: %d %v", r.status, r.body)
	}
	return r
}

func refreshForm(rt, id, secret string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}, "client_secret": {secret}}
}

// envKid is the kid of env's signing key, from /keys.
func envKid(t testing.TB, env string) string {
	t.Helper()
	keys, _ := getJSON(t, env+"/keys")
	return keys["keys"].([]any)[0].(map[string]any)["kid"].(string)
}

// TestAuthorizeFaultModes: authz.code_injection, authz.require_pkce and
// authz.reject_plain.
func TestAuthorizeFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	noPKCE := func() url.Values {
		v := validParams()
		v.Del("code_challenge")
		v.Del("code_challenge_method")
		v.Set("login_hint", "ada@acme.test")
		return v
	}
	redirected := func(t *testing.T, v url.Values) url.Values {
		t.Helper()
		p := newBrowser(t).get(authorizeURL(env.URL, v))
		if p.status != http.StatusFound || p.location == nil || !strings.HasPrefix(p.location.String(), app1Redirect+"?") {
			t.Fatalf("authorize: %d %v %.200s", p.status, p.location, p.body)
		}
		return p.location.Query()
	}
	exchangeNoPKCE := func(t *testing.T, code string) tokenReply {
		t.Helper()
		form := codeForm(code, "")
		form.Del("code_verifier")
		return postToken(t, env.URL, form, nil)
	}

	t.Run("code_injection fails a PKCE exchange", func(t *testing.T) {
		armOnly(t, env.URL, "authz.code_injection", 0)
		a := newApp(t, env, app1ID, app1Secret, app1Redirect)
		f := a.start(oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))
		code := a.callback(f, newBrowser(t).get(f.authURL))
		_, err := a.exchange(f, code)
		if err == nil {
			t.Fatal("the injected code was redeemed with the RP's own verifier")
		}
		if code, status := tokenErr(t, err); code != "invalid_grant" || status != 400 {
			t.Errorf("exchange: %d %s, want 400 invalid_grant", status, code)
		}
	})
	t.Run("code_injection fails the nonce check", func(t *testing.T) {
		armOnly(t, env.URL, "authz.code_injection", 0)
		q := redirected(t, noPKCE())
		if q.Get("state") != "st-123" {
			t.Errorf("state = %q: the injected code comes back with the RP's state", q.Get("state"))
		}
		r := exchangeNoPKCE(t, q.Get("code"))
		if r.status != 200 {
			t.Fatalf("a code minted without PKCE: %d %v", r.status, r.body)
		}
		if n, _ := jwtClaims(t, r.body["id_token"].(string))["nonce"].(string); n == "" || n == "n-456" {
			t.Errorf("nonce = %q, want another login's nonce", n)
		}

		disarm(t, env.URL) // by default the code carries the RP's nonce
		r = exchangeNoPKCE(t, redirected(t, noPKCE()).Get("code"))
		if n := jwtClaims(t, r.body["id_token"].(string))["nonce"]; r.status != 200 || n != "n-456" {
			t.Errorf("default: %d nonce %v", r.status, n)
		}
	})
	t.Run("require_pkce", func(t *testing.T) {
		disarm(t, env.URL) // a confidential app may skip PKCE by default
		if q := redirected(t, noPKCE()); q.Get("code") == "" {
			t.Fatalf("default, no PKCE: %v", q)
		}
		armOnly(t, env.URL, "authz.require_pkce", 0)
		q := redirected(t, noPKCE())
		if q.Get("error") != "invalid_request" || q.Get("code") != "" || q.Get("state") != "st-123" {
			t.Errorf("no PKCE: %v, want error=invalid_request with the state", q)
		}
		v := validParams()
		v.Set("login_hint", "ada@acme.test")
		if q := redirected(t, v); q.Get("code") == "" {
			t.Errorf("with S256: %v", q)
		}
	})
	t.Run("reject_plain", func(t *testing.T) {
		plain := validParams()
		plain.Set("login_hint", "ada@acme.test")
		plain.Set("code_challenge", strings.Repeat("a", 43))
		plain.Set("code_challenge_method", "plain")
		for _, mode := range []string{"authz.reject_plain", ""} { // the default refuses plain too
			if disarm(t, env.URL); mode != "" {
				armOnly(t, env.URL, mode, 0)
			}
			if q := redirected(t, plain); q.Get("error") != "invalid_request" || q.Get("code") != "" {
				t.Errorf("%q: plain PKCE: %v", mode, q)
			}
		}
	})
}

// TestTokenFaultModes: token.reset, token.huge and token.expires_in.
func TestTokenFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})

	t.Run("reset", func(t *testing.T) {
		armOnly(t, env.URL, "token.reset", 1)
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, "openid")
		if resp, _, err := rawPost(env.URL, "/oauth/token", codeForm(code, verifier), 2*time.Second); err == nil {
			t.Fatalf("token.reset answered %d", resp.StatusCode)
		}
		// The reset came before the grant: the code is still good.
		if r := postToken(t, env.URL, codeForm(code, verifier), nil); r.status != 200 {
			t.Errorf("after the reset: %d %v", r.status, r.body)
		}
	})
	t.Run("huge", func(t *testing.T) {
		armOnly(t, env.URL, "token.huge", 0)
		code, verifier := codeFor(t, env.URL, app1ID, app1Redirect, "openid")
		resp, body, err := rawPost(env.URL, "/oauth/token", codeForm(code, verifier), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || len(body) <= 2<<20 {
			t.Fatalf("token.huge: %d %s, %d bytes; want 200 JSON over 2 MiB", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("not valid JSON: %v", err)
		}
		if m["access_token"] == nil || m["id_token"] == nil || m["token_type"] != "Bearer" || m["expires_in"] != 300.0 {
			t.Errorf("token.huge lost the token response: %v %v %v", m["token_type"], m["expires_in"], m["id_token"] != nil)
		}
	})
	t.Run("expires_in", func(t *testing.T) {
		for param, want := range map[string]any{"0": 0.0, "-1": -1.0, "absent": nil} {
			armOnly(t, env.URL, "token.expires_in="+param, 0)
			r := exchangeFor(t, env.URL)
			got, present := r.body["expires_in"]
			if got != want || present != (want != nil) {
				t.Errorf("token.expires_in=%s: expires_in %v (present %v)", param, got, present)
			}
			if r.body["access_token"] == nil || r.body["id_token"] == nil || r.body["refresh_token"] == nil || r.body["token_type"] != "Bearer" {
				t.Errorf("token.expires_in=%s changed more: %v", param, r.body)
			}
		}
		disarm(t, env.URL)
		if r := exchangeFor(t, env.URL); r.body["expires_in"] != 300.0 {
			t.Errorf("default expires_in: %v", r.body["expires_in"])
		}
	})
}

// TestIDTokenFaultModes: idt.sig_bad_es256, idt.multi_sig and idt.huge.
func TestIDTokenFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	kid := envKid(t, env.URL)

	t.Run("sig_bad_es256", func(t *testing.T) {
		armOnly(t, env.URL, "idt.sig_bad_es256", 0)
		r := exchangeFor(t, env.URL)
		idt := r.body["id_token"].(string)
		if h := jwtHeader(t, idt); h["alg"] != "ES256" || h["kid"] != kid {
			t.Errorf("header %v, want ES256 with the real kid %s", h, kid)
		}
		if jwtClaims(t, idt)["sub"] != ada || strings.Split(idt, ".")[2] == "" {
			t.Errorf("not a signed ID token of ada: %v", jwtClaims(t, idt))
		}
		if _, err := a.verifier.Verify(t.Context(), idt); err == nil {
			t.Error("go-oidc accepted the bad ES256 signature")
		}
		if h := jwtHeader(t, r.body["access_token"].(string)); h["alg"] != "RS256" {
			t.Errorf("the access token changed too: %v", h)
		}
	})
	t.Run("multi_sig", func(t *testing.T) {
		armOnly(t, env.URL, "idt.multi_sig", 0)
		idt := exchangeFor(t, env.URL).body["id_token"].(string)
		var jws struct {
			Payload    string `json:"payload"`
			Signatures []struct {
				Protected string `json:"protected"`
				Signature string `json:"signature"`
			} `json:"signatures"`
		}
		if err := json.Unmarshal([]byte(idt), &jws); err != nil || len(jws.Signatures) != 2 {
			t.Fatalf("not a JSON serialization with two signatures (%v): %.200s", err, idt)
		}
		var kids []string
		for _, sig := range jws.Signatures {
			raw, _ := base64.RawURLEncoding.DecodeString(sig.Protected)
			var h map[string]any
			json.Unmarshal(raw, &h)
			if h["alg"] != "RS256" || sig.Signature == "" {
				t.Errorf("signature header %v", h)
			}
			kids = append(kids, h["kid"].(string))
		}
		if kids[0] != kid || kids[1] == kid {
			t.Errorf("kids %v, want the real %s and another", kids, kid)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(jws.Payload)
		var claims map[string]any
		if json.Unmarshal(payload, &claims); claims["sub"] != ada || claims["iss"] != env.URL {
			t.Errorf("payload %v", claims)
		}
		if _, err := a.verifier.Verify(t.Context(), idt); err == nil {
			t.Error("go-oidc accepted a JSON-serialized ID token")
		}
	})
	t.Run("huge", func(t *testing.T) {
		armOnly(t, env.URL, "idt.huge", 0)
		idt := exchangeFor(t, env.URL).body["id_token"].(string)
		extra := 0
		for k, v := range jwtClaims(t, idt) {
			if s, ok := v.(string); ok && strings.HasPrefix(k, "x_huge_") {
				extra += len(k) + len(s)
			}
		}
		if extra < 16<<10 {
			t.Errorf("%d bytes of extra claims, want 16 KB", extra)
		}
		if _, err := a.verifier.Verify(t.Context(), idt); err != nil {
			t.Errorf("the huge ID token is otherwise valid: %v", err)
		}
	})
}

// TestAccessTokenFaultModes: at.aud_missing, at.kid_unknown, at.opaque,
// at.alg_none, at.exp_past, at.huge and at.typ.
func TestAccessTokenFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	kid := envKid(t, env.URL)
	keys := oidc.NewRemoteKeySet(t.Context(), env.URL+"/keys")

	t.Run("aud_missing", func(t *testing.T) {
		armOnly(t, env.URL, "at.aud_missing", 0)
		r := exchangeFor(t, env.URL)
		if c := jwtClaims(t, r.body["access_token"].(string)); c["aud"] != nil || c["client_id"] != app1ID {
			t.Errorf("access token %v, want no aud", c)
		}
		if aud := jwtClaims(t, r.body["id_token"].(string))["aud"]; aud == nil {
			t.Error("the ID token lost its aud too")
		}
	})
	t.Run("kid_unknown", func(t *testing.T) {
		armOnly(t, env.URL, "at.kid_unknown", 0)
		r := exchangeFor(t, env.URL)
		h := jwtHeader(t, r.body["access_token"].(string))
		if k, _ := h["kid"].(string); k == kid || !strings.HasPrefix(k, "snk_") || h["alg"] != "RS256" {
			t.Errorf("access token header %v, want another snk_ kid than %s", h, kid)
		}
		if _, err := keys.VerifySignature(t.Context(), r.body["access_token"].(string)); err == nil {
			t.Error("the access token verified against /keys")
		}
		if h := jwtHeader(t, r.body["id_token"].(string)); h["kid"] != kid {
			t.Errorf("the ID token's kid changed too: %v", h)
		}
	})
	t.Run("opaque", func(t *testing.T) {
		armOnly(t, env.URL, "at.opaque", 0)
		a := newApp(t, env, app1ID, app1Secret, app1Redirect)
		tok := a.login(newBrowser(t), "ada@acme.test") // checks at_hash against the opaque token
		if at := tok.AccessToken; strings.Contains(at, ".") || len(at) < 43 {
			t.Errorf("access token %q, want an opaque string", at)
		}
		if _, err := a.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok.Token)); err == nil {
			t.Error("userinfo accepted the opaque token")
		}
	})
	t.Run("alg_none", func(t *testing.T) {
		armOnly(t, env.URL, "at.alg_none", 0)
		r := exchangeFor(t, env.URL)
		at := r.body["access_token"].(string)
		if h := jwtHeader(t, at); h["alg"] != "none" || !strings.HasSuffix(at, ".") {
			t.Errorf("access token header %v (%d bytes), want alg none and no signature", h, len(at))
		}
		if c := jwtClaims(t, at); c["client_id"] != app1ID {
			t.Errorf("access token claims %v, want the usual ones", c)
		}
		if h := jwtHeader(t, r.body["id_token"].(string)); h["alg"] != "RS256" {
			t.Errorf("the ID token's alg changed too: %v", h)
		}
	})
	t.Run("exp_past", func(t *testing.T) {
		armOnly(t, env.URL, "at.exp_past", 0)
		r := exchangeFor(t, env.URL)
		c := jwtClaims(t, r.body["access_token"].(string))
		exp, _ := c["exp"].(float64)
		if now := float64(time.Now().Unix()); exp > now-3500 || exp < now-3700 {
			t.Errorf("access token exp %v, want an hour before now (%v)", exp, now)
		}
		if in, _ := r.body["expires_in"].(float64); in <= 0 {
			t.Errorf("expires_in %v, want the usual lifetime: the token response does not say", r.body["expires_in"])
		}
		if _, err := keys.VerifySignature(t.Context(), r.body["access_token"].(string)); err != nil {
			t.Errorf("the expired access token is otherwise valid: %v", err)
		}
	})
	t.Run("huge", func(t *testing.T) {
		armOnly(t, env.URL, "at.huge", 0)
		at := exchangeFor(t, env.URL).body["access_token"].(string)
		c := jwtClaims(t, at)
		rp, _ := json.Marshal([]any{c["roles"], c["permissions"]})
		roles := strs(c["roles"])
		if len(at) <= 6<<10 || len(rp) <= 6<<10 || len(roles) < 100 || len(strs(c["permissions"])) < 256 {
			t.Errorf("access token of %d bytes, %d of roles and permissions (%d roles); want over 6 KB", len(at), len(rp), len(roles))
		}
		if _, err := keys.VerifySignature(t.Context(), at); err != nil {
			t.Errorf("the huge access token is otherwise valid: %v", err)
		}
		disarm(t, env.URL) // the user's own roles come through unchanged
		normal := jwtClaims(t, exchangeFor(t, env.URL).body["access_token"].(string))
		if own := strs(normal["roles"]); len(own) == 0 || len(own) > 5 || roles[0] != own[0] {
			t.Errorf("roles after at.huge: %v (huge began with %v)", own, roles[:1])
		}
	})
	t.Run("typ", func(t *testing.T) {
		for param, want := range map[string]any{"at+jwt": "at+jwt", "JWT": "JWT", "absent": nil} {
			armOnly(t, env.URL, "at.typ="+param, 0)
			r := exchangeFor(t, env.URL)
			at := r.body["access_token"].(string)
			if h := jwtHeader(t, at); h["typ"] != want || h["kid"] != kid || h["alg"] != "RS256" {
				t.Errorf("at.typ=%s: header %v", param, h)
			}
			if _, err := keys.VerifySignature(t.Context(), at); err != nil {
				t.Errorf("at.typ=%s: %v", param, err)
			}
			if h := jwtHeader(t, r.body["id_token"].(string)); h["typ"] != "JWT" {
				t.Errorf("at.typ=%s changed the ID token: %v", param, h)
			}
		}
	})
}

// TestRefreshFaultModes: refresh.invalid_client, refresh.slow,
// refresh.hang and refresh.reset. The refresh token survives each, and the
// code exchange is never affected.
func TestRefreshFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	refresh := func(rt string) tokenReply {
		return postToken(t, env.URL, refreshForm(rt, app1ID, app1Secret), nil)
	}
	stillGood := func(t *testing.T, rt string) {
		t.Helper()
		disarm(t, env.URL)
		if r := refresh(rt); r.status != 200 {
			t.Errorf("the refresh token did not survive: %d %v", r.status, r.body)
		}
	}

	t.Run("invalid_client", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.invalid_client", 0)
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		refresh(rt).wantError(t, http.StatusUnauthorized, "invalid_client")
		stillGood(t, rt)
	})
	t.Run("slow", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.slow=150ms", 0)
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		start := time.Now()
		if r := refresh(rt); r.status != 200 || time.Since(start) < 150*time.Millisecond {
			t.Errorf("refresh.slow: %d after %v", r.status, time.Since(start))
		}
	})
	t.Run("hang", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.hang", 1)
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		start := time.Now()
		resp, _, err := rawPost(env.URL, "/oauth/token", refreshForm(rt, app1ID, app1Secret), 250*time.Millisecond)
		if err == nil {
			t.Fatalf("refresh.hang answered %d", resp.StatusCode)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("refresh.hang failed after %v: %v", d, err)
		}
		stillGood(t, rt)
	})
	t.Run("reset", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.reset", 1)
		rt := exchangeFor(t, env.URL).body["refresh_token"].(string)
		if resp, _, err := rawPost(env.URL, "/oauth/token", refreshForm(rt, app1ID, app1Secret), 2*time.Second); err == nil {
			t.Fatalf("refresh.reset answered %d", resp.StatusCode)
		}
		stillGood(t, rt)
	})
}

// TestRefreshReuseDetection: with refresh.reuse_detection, replaying a
// rotated-out refresh token revokes the token that descends from it; other
// families of the same session live on, and a family remembers only its
// recent tokens. (By default the replay fails alone: TestRefreshRotation.)
func TestRefreshReuseDetection(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a1 := newApp(t, env, app1ID, app1Secret, app1Redirect)
	a2 := newApp(t, env, app2ID, app2Secret, app2Redirect)
	refresh := func(rt string) tokenReply {
		return postToken(t, env.URL, refreshForm(rt, app1ID, app1Secret), nil)
	}
	rotate := func(t *testing.T, rt string) string {
		t.Helper()
		r := refresh(rt)
		next, _ := r.body["refresh_token"].(string)
		if r.status != 200 || next == "" || next == rt {
			t.Fatalf("refresh: %d %v", r.status, r.body)
		}
		return next
	}

	t.Run("revokes the family", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.reuse_detection", 0)
		b := newBrowser(t)
		rt0 := a1.login(b, "ada@acme.test").RefreshToken
		other := a2.login(b, "ada@acme.test").RefreshToken // same IdP session, another family
		rt2 := rotate(t, rotate(t, rt0))
		refresh(rt0).wantError(t, 400, "invalid_grant")
		refresh(rt2).wantError(t, 400, "invalid_grant")
		if r := postToken(t, env.URL, refreshForm(other, app2ID, app2Secret), nil); r.status != 200 {
			t.Errorf("another family of the session died too: %d %v", r.status, r.body)
		}
	})
	t.Run("off: the replay fails alone", func(t *testing.T) {
		disarm(t, env.URL)
		rt0 := a1.login(newBrowser(t), "ada@acme.test").RefreshToken
		rt2 := rotate(t, rotate(t, rt0))
		refresh(rt0).wantError(t, 400, "invalid_grant")
		rotate(t, rt2)
	})
	t.Run("a family remembers its last 16 tokens", func(t *testing.T) {
		armOnly(t, env.URL, "refresh.reuse_detection", 0)
		rt0 := a1.login(newBrowser(t), "ada@acme.test").RefreshToken
		rt := rt0
		for range 17 {
			rt = rotate(t, rt)
		}
		refresh(rt0).wantError(t, 400, "invalid_grant") // forgotten: it fails alone
		rt = rotate(t, rt)
		_ = rotate(t, rt)
		refresh(rt).wantError(t, 400, "invalid_grant") // remembered: the family goes
	})
}

// TestUserinfoFaultModes: userinfo.slow, userinfo.signed_jwt and
// userinfo.require_bearer_header.
func TestUserinfoFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	tok := a.login(newBrowser(t), "ada@acme.test")
	call := func(req *http.Request) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	withHeader := func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return req
	}
	inBody := func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/userinfo", strings.NewReader(url.Values{"access_token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	inQuery := func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/userinfo?access_token="+tok.AccessToken, nil)
		return req
	}

	t.Run("slow", func(t *testing.T) {
		armOnly(t, env.URL, "userinfo.slow=150ms", 0)
		start := time.Now()
		if resp, _ := call(withHeader()); resp.StatusCode != 200 || time.Since(start) < 150*time.Millisecond {
			t.Errorf("userinfo.slow: %d after %v", resp.StatusCode, time.Since(start))
		}
	})
	t.Run("signed_jwt", func(t *testing.T) {
		armOnly(t, env.URL, "userinfo.signed_jwt", 0)
		resp, body := call(withHeader())
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwt" {
			t.Fatalf("userinfo.signed_jwt: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		jwt := string(body)
		if h := jwtHeader(t, jwt); h["alg"] != "RS256" || h["kid"] != envKid(t, env.URL) {
			t.Errorf("header %v", h)
		}
		if c := jwtClaims(t, jwt); c["sub"] != ada || c["email"] != "ada@acme.test" || c["iss"] != env.URL || strs(c["aud"])[0] != app1ID {
			t.Errorf("claims %v", c)
		}
		// go-oidc verifies an application/jwt answer against /keys.
		info, err := a.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok.Token))
		if err != nil || info.Subject != ada {
			t.Errorf("go-oidc UserInfo: %v %+v", err, info)
		}
	})
	t.Run("require_bearer_header", func(t *testing.T) {
		disarm(t, env.URL) // a form-body token is good by default
		if resp, _ := call(inBody()); resp.StatusCode != 200 {
			t.Fatalf("default, token in the body: %d", resp.StatusCode)
		}
		armOnly(t, env.URL, "userinfo.require_bearer_header", 0)
		for name, req := range map[string]*http.Request{"body": inBody(), "query": inQuery()} {
			resp, body := call(req)
			var e map[string]any
			json.Unmarshal(body, &e)
			if resp.StatusCode != 401 || e["error"] != "invalid_request" || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
				t.Errorf("token in the %s: %d %v %q, want 401 invalid_request", name, resp.StatusCode, e, resp.Header.Get("WWW-Authenticate"))
			}
		}
		if resp, _ := call(withHeader()); resp.StatusCode != 200 {
			t.Errorf("token in the header: %d", resp.StatusCode)
		}
	})
}

// TestLogoutFaultModes: logout.require_id_token_hint,
// logout.exact_post_logout_redirect_uri and logout.status.
func TestLogoutFaultModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	// signedIn reports whether b's IdP session is alive: prompt=none gets
	// a code.
	signedIn := func(t *testing.T, b *browser) bool {
		t.Helper()
		f := a.start(oauth2.SetAuthURLParam("prompt", "none"))
		p := b.get(f.authURL)
		return p.location != nil && p.location.Query().Get("code") != ""
	}
	logout := func(b *browser, params url.Values) page {
		return b.get(env.URL + "/oidc/logout?" + params.Encode())
	}

	t.Run("require_id_token_hint", func(t *testing.T) {
		armOnly(t, env.URL, "logout.require_id_token_hint", 0)
		b := newBrowser(t)
		hint := a.login(b, "ada@acme.test").Extra("id_token").(string)
		p := logout(b, url.Values{"post_logout_redirect_uri": {"http://localhost:4321/"}, "client_id": {app1ID}})
		if p.status != http.StatusBadRequest || p.location != nil || !strings.Contains(p.body, "id_token_hint") {
			t.Errorf("no hint: %d %v, want a 400 page", p.status, p.location)
		}
		if !signedIn(t, b) {
			t.Error("a refused logout ended the session")
		}
		p = logout(b, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://localhost:4321/"}})
		if p.status != http.StatusFound || signedIn(t, b) {
			t.Errorf("with the hint: %d, session alive %v", p.status, signedIn(t, b))
		}
	})
	t.Run("exact_post_logout_redirect_uri", func(t *testing.T) {
		for _, mode := range []string{"logout.exact_post_logout_redirect_uri", ""} { // the default matches exactly too
			if disarm(t, env.URL); mode != "" {
				armOnly(t, env.URL, mode, 0)
			}
			hint := a.login(newBrowser(t), "ada@acme.test").Extra("id_token").(string)
			for target, want := range map[string]int{"http://localhost:4321/x": 400, "http://localhost:4321/?x=1": 400, "HTTP://localhost:4321/": 400, "http://localhost:4321/": 302} {
				if p := logout(newBrowser(t), url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {target}}); p.status != want {
					t.Errorf("%q: logout to %s: %d, want %d", mode, target, p.status, want)
				}
			}
		}
	})
	t.Run("status", func(t *testing.T) {
		armOnly(t, env.URL, "logout.status=503", 0)
		b := newBrowser(t)
		hint := a.login(b, "ada@acme.test").Extra("id_token").(string)
		p := logout(b, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://localhost:4321/"}})
		if p.status != http.StatusServiceUnavailable || p.location != nil || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("logout.status=503: %d %v %s", p.status, p.location, p.header.Get("Content-Type"))
		}
		if !signedIn(t, b) {
			t.Error("the outage ended the session")
		}
		disarm(t, env.URL)
		if p := logout(b, url.Values{"id_token_hint": {hint}}); p.status != 200 || signedIn(t, b) {
			t.Errorf("after the outage: %d", p.status)
		}
	})
}

// TestRefreshReuseDetectionAcrossRestart: the families are kept in
// --state-dir with the refresh tokens, so a replay after a restart still
// revokes its family, and only its family.
func TestRefreshReuseDetectionAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := mockidp.Options{StateDir: dir, Scenarios: []string{"refresh.reuse_detection"}}
	env := startEnv(t, opts)
	rotate := func(env, rt string) string {
		t.Helper()
		r := postToken(t, env, refreshForm(rt, app1ID, app1Secret), nil)
		next, _ := r.body["refresh_token"].(string)
		if r.status != 200 || next == "" {
			t.Fatalf("refresh: %d %v", r.status, r.body)
		}
		return next
	}
	a0 := exchangeFor(t, env.URL).body["refresh_token"].(string)
	a2 := rotate(env.URL, rotate(env.URL, a0))
	b1 := rotate(env.URL, exchangeFor(t, env.URL).body["refresh_token"].(string))
	env.Stop()

	env = startEnv(t, opts) // on another port: the pooled connections of the first are dead
	postToken(t, env.URL, refreshForm(a0, app1ID, app1Secret), nil).wantError(t, 400, "invalid_grant")
	postToken(t, env.URL, refreshForm(a2, app1ID, app1Secret), nil).wantError(t, 400, "invalid_grant")
	rotate(env.URL, b1) // the other family lives on
}
