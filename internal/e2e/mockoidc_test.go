package e2e_test

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	"golang.org/x/oauth2"
)

// standardLogin is a textbook OIDC relying party: discovery, the code flow
// with state, nonce and PKCE S256, one redirect hop at a time, then go-oidc
// verification. It knows nothing of either provider, which is the point:
// the same client must work against skctl's mock and against mockoidc, a
// provider this project did not write.
func standardLogin(t *testing.T, issuer, clientID, secret, redirect string, scopes []string, extra ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken) {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: hangDeadline})
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect, Endpoint: provider.Endpoint(), Scopes: scopes}
	state, nonce, pkce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: hangDeadline, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(cfg.AuthCodeURL(state, append(extra, oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce))...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	if loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("callback query %v", loc.Query())
	}
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatalf("the token response has no id_token")
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce %q, want %q", idt.Nonce, nonce)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Fatalf("at_hash: %v", err)
		}
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	return tok, idt
}

// TestStandardClientAgainstBothProviders runs one client against both
// providers. mockoidc's differences are noted where the client meets them;
// they are why skctl does not build its mock on mockoidc (README).
func TestStandardClientAgainstBothProviders(t *testing.T) {
	// Not parallel: mockoidc keeps package-level state (NowFunc) and an
	// unlocked session map.
	t.Run("skctl mock-idp", func(t *testing.T) {
		env := testenv.Start(t, mockidp.Options{})
		tok, idt := standardLogin(t, env.URL, "skc_59615193906741387", "test_secret_d8f1c5a2e0b94f7a9c3e6b1d",
			"http://localhost:4321/api/auth/callback", []string{"openid", "email", "profile"},
			oauth2.SetAuthURLParam("login_hint", "ada@acme.test"))
		if idt.AccessTokenHash == "" {
			t.Errorf("skctl's ID token has no at_hash")
		}
		if until := time.Until(tok.Expiry); until < 4*time.Minute || until > 5*time.Minute+time.Second {
			t.Errorf("expiry in %v, want about 5 min (expires_in in seconds)", until)
		}
	})
	t.Run("mockoidc", func(t *testing.T) {
		m, err := mockoidc.NewServer(nil)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Start(ln, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Shutdown() })
		tok, idt := standardLogin(t, m.Issuer(), m.ClientID, m.ClientSecret, "http://127.0.0.1:1/cb", []string{"openid", "email", "profile"})
		if idt.Issuer != "http://"+ln.Addr().String()+"/oidc" {
			t.Errorf("mockoidc issuer %s: it was expected to keep its /oidc path", idt.Issuer)
		}
		// mockoidc sends expires_in in nanoseconds: x/oauth2 then believes
		// the token lives for centuries. A client must not trust that alone.
		if time.Until(tok.Expiry) < 365*24*time.Hour {
			t.Logf("mockoidc's expires_in now looks like seconds: expiry in %v", time.Until(tok.Expiry))
		}
	})
}

// TestServeAgainstMockoidc: serve signs in against mockoidc, a provider
// this project did not write, changed only by configuration. Its quirks:
// the issuer has a path (/oidc), offline_access must be added to its
// global ScopesSupported, expires_in is in nanoseconds, its ID tokens have
// no at_hash, and its discovery has no end_session_endpoint.
func TestServeAgainstMockoidc(t *testing.T) {
	// Not parallel: mockoidc's ScopesSupported and NowFunc are globals.
	// The global is put back afterwards, and never shares its array.
	saved := mockoidc.ScopesSupported
	t.Cleanup(func() { mockoidc.ScopesSupported = saved })
	if !slices.Contains(saved, "offline_access") {
		mockoidc.ScopesSupported = append(slices.Clone(saved), "offline_access")
	}
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(mln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	m.QueueUser(&mockoidc.MockUser{Subject: "mockoidc-user-1", Email: "jane@example.test", EmailVerified: true})

	ln, appURL := listenApp(t)
	app := startServe(t, ln, &testIdP{URL: m.Issuer()}, nil, m.ClientID, m.ClientSecret, nil)
	b := newBrowser(t)
	authorize := b.get(app.URL + "/api/auth/login")
	if !strings.HasPrefix(b.loc(authorize).String(), m.AuthorizationEndpoint()) {
		t.Fatalf("login went to %v", authorize.location)
	}
	cb := b.follow(b.follow(authorize)) // mockoidc signs in without a page
	if cb.status != http.StatusFound || cb.location.Path != landing {
		t.Fatalf("callback: %d %v %.300s", cb.status, cb.location, cb.body)
	}
	dash := b.get(app.URL + "/dashboard")
	if dash.status != 200 || !strings.Contains(dash.body, "jane@example.test") {
		t.Fatalf("dashboard: %d %.300s", dash.status, dash.body)
	}
	// No end_session_endpoint: logout clears the session and goes home.
	out := b.get(app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
	if out.status != http.StatusFound || out.location.String() != appURL+"/" || !sessionCleared(out) {
		t.Errorf("logout: %d %v", out.status, out.location)
	}
}
