package e2e_test

import (
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// zitadelOP is zitadel/oidc's OpenID provider (its op package, v3.52.0)
// on loopback, over this project's own storage: a provider this project
// did not write, unlike Scalekit in four ways that matter to serve and
// check-config. Its issuer ends in "/"; its access tokens are opaque; its
// ID tokens carry no name or email (userinfo does); and it refuses
// client_credentials to web clients. Like its example server it uses the
// op's own handler, which looks a code up before it authenticates the
// client.
type zitadelOP struct {
	URL    string // the issuer, with its trailing slash
	client *zitadelClient
	mu     sync.Mutex
	counts map[string]int // "POST /oauth/token refresh_token", "GET /userinfo", …
}

const zitadelSecret = "secret" // the op example's, which looks like a placeholder

func startZitadel(t *testing.T, redirectURI string, accessTTL time.Duration) *zitadelOP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String() + "/"
	z := &zitadelOP{URL: issuer, counts: map[string]int{},
		client: &zitadelClient{id: "web", secret: zitadelSecret, redirectURI: redirectURI, postLogoutURI: config.DefaultPostLogoutURI(redirectURI),
			loginURL: issuer + "login"}}
	store, err := newZitadelStore(z.client, zitadelUser{id: "id1", name: "Ada Lovelace", email: "ada@example.test"}, accessTTL)
	if err != nil {
		t.Fatal(err)
	}
	var key [32]byte
	rand.Read(key[:])
	provider, err := op.NewProvider(&op.Config{CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true, GrantTypeRefreshToken: true},
		store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The login page signs the user in at once and sends the browser
	// back to the op, as a login UI does once the user has.
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if !store.approve(id) {
			http.Error(w, "no such auth request", http.StatusNotFound)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(op.ContextWithIssuer(r.Context(), issuer), id), http.StatusFound)
	})
	mux.Handle("/", z.count(provider))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return z
}

// count counts requests by method and path, and token requests by grant.
func (z *zitadelOP) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := r.Method + " " + r.URL.Path
		if r.URL.Path == "/oauth/token" {
			r.ParseForm() // the op reads the parsed form again
			k += " " + r.PostForm.Get("grant_type")
		}
		z.mu.Lock()
		z.counts[k]++
		z.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (z *zitadelOP) count_(k string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.counts[k]
}

// TestZitadelIsUnlikeScalekit: the four differences the tests below rely
// on hold of this op, asked directly: the issuer ends in "/", and
// client_credentials with the right secret is invalid_client.
func TestZitadelIsUnlikeScalekit(t *testing.T) {
	t.Parallel()
	z := startZitadel(t, "http://127.0.0.1:1/api/auth/callback", 5*time.Minute)
	client := &http.Client{Timeout: hangDeadline}
	resp, err := client.Get(z.URL + ".well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer string   `json:"issuer"`
		Token  string   `json:"token_endpoint"`
		Grants []string `json:"grant_types_supported"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc.Issuer != z.URL || !strings.HasSuffix(doc.Issuer, "/") {
		t.Errorf("issuer %q, want %q", doc.Issuer, z.URL)
	}
	resp, err = client.PostForm(doc.Token, url.Values{"grant_type": {"client_credentials"}, "client_id": {"web"}, "client_secret": {zitadelSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if answer.Error != "invalid_client" {
		t.Errorf("client_credentials with the right secret: %d %q, want invalid_client (grants advertised: %v)", resp.StatusCode, answer.Error, doc.Grants)
	}
}

// TestServeAgainstZitadel: serve signs in through zitadel's op end to end
// over HTTP, with the issuer set exactly as discovery names it (slash and
// all): login, the op's login page, the callback, and a dashboard that
// greets the user by the name userinfo gave, asked once. The access
// token is opaque, so at its expires_in the session refreshes, and the
// name stays without another userinfo call.
func TestServeAgainstZitadel(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	z := startZitadel(t, appURL+"/api/auth/callback", 5*time.Minute)
	c := &clock{}
	app := startServe(t, ln, &testIdP{URL: z.URL}, c, "web", zitadelSecret, nil)

	b := newBrowser(t)
	login := b.get(app.URL + "/api/auth/login")
	if login.status != http.StatusFound || !strings.HasPrefix(login.location.String(), z.URL+"authorize?") {
		t.Fatalf("login: %d %v", login.status, login.location)
	}
	page := b.follow(login)
	if page.status != http.StatusFound || !strings.HasPrefix(page.location.String(), z.URL+"login?id=") {
		t.Fatalf("the op's authorize: %d %v %.300s", page.status, page.location, page.body)
	}
	back := b.follow(b.follow(page)) // the login page, then the op's callback
	if back.status != http.StatusFound || !strings.HasPrefix(back.location.String(), appURL+"/api/auth/callback?") {
		t.Fatalf("the op did not send the browser back: %d %v %.300s", back.status, back.location, back.body)
	}
	cb := b.follow(back)
	if cb.status != http.StatusFound || cb.location.Path != landing {
		t.Fatalf("callback: %d %v %q\n%s", cb.status, cb.location, pageTitle(cb.body), app.run.stderr)
	}
	dash := b.get(app.URL + "/dashboard")
	if dash.status != 200 || !strings.Contains(dash.body, "Welcome, Ada Lovelace") || !strings.Contains(dash.body, "ada@example.test") {
		t.Fatalf("dashboard: %d %.500s", dash.status, dash.body)
	}
	if n := z.count_("GET /userinfo"); n != 1 {
		t.Errorf("%d userinfo calls at sign-in, want 1", n)
	}

	// Past the opaque token's expires_in (300 s, due 10 s early).
	c.Advance(5 * time.Minute)
	dash = b.get(app.URL + "/dashboard")
	if dash.status != 200 || !strings.Contains(dash.body, "Welcome, Ada Lovelace") {
		t.Fatalf("dashboard at expiry: %d %.500s", dash.status, dash.body)
	}
	if n := z.count_("POST /oauth/token refresh_token"); n != 1 {
		t.Errorf("%d refreshes at the op, want 1", n)
	}
	if !setsSession(dash) {
		t.Errorf("the refresh did not rewrite the session cookie")
	}
	// Within the new token's life: no refresh, no userinfo.
	c.Advance(time.Minute)
	if dash := b.get(app.URL + "/dashboard"); dash.status != 200 || z.count_("POST /oauth/token refresh_token") != 1 || z.count_("GET /userinfo") != 1 {
		t.Errorf("after the refresh: %d, %d refreshes, %d userinfo calls; want 200, 1, 1", dash.status, z.count_("POST /oauth/token refresh_token"), z.count_("GET /userinfo"))
	}
}

// setsSession reports whether an answer sets a new session cookie.
func setsSession(p page) bool {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if strings.HasPrefix(c.Name, "skctl_session") && c.MaxAge >= 0 && c.Value != "" {
			return true
		}
	}
	return false
}

// TestCheckConfigAgainstZitadel: check-config passes a correct
// configuration of zitadel's op (whose client_credentials refuses web
// clients, and which looks a code up before it checks the client), by
// either token auth method, and fails a wrong secret with the message
// that says so.
func TestCheckConfigAgainstZitadel(t *testing.T) {
	t.Parallel()
	const redirect = "http://localhost:4321/api/auth/callback"
	z := startZitadel(t, redirect, 5*time.Minute)
	settings := func(secret, method string) map[string]string {
		return map[string]string{"environment-url": z.URL, "client-id": "web", "client-secret": secret, "redirect-uri": redirect,
			"token-auth-method": method}
	}
	for _, method := range []string{"client_secret_post", "client_secret_basic"} {
		code, out := checkConfig(t, settings(zitadelSecret, method))
		if code != 0 || statusOf(out, "credentials.client_credentials") != "PASS" || !strings.Contains(out, "("+method+")") {
			t.Errorf("%s, right secret: exit %d, credentials %s:\n%s", method, code, statusOf(out, "credentials.client_credentials"), out)
		}
		for _, id := range []string{"settings.environment_url", "discovery.issuer"} {
			if statusOf(out, id) != "PASS" {
				t.Errorf("%s: %s = %s, want PASS (the issuer ends in /)", method, id, statusOf(out, id))
			}
		}
		// "secret" is the real secret here: a warning, not a failure.
		if statusOf(out, "settings.client_secret") != "WARN" {
			t.Errorf("settings.client_secret = %s, want WARN", statusOf(out, "settings.client_secret"))
		}
	}
	code, out := checkConfig(t, settings("wrong-secret-value", "client_secret_post"))
	if code != 1 || statusOf(out, "credentials.client_credentials") != "FAIL" || !strings.Contains(out, "the client secret does not match this client ID") || strings.Contains(out, "wrong-secret-value") {
		t.Errorf("wrong secret: exit %d:\n%s", code, out)
	}
}
