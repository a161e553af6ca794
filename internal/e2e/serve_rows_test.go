package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeSessionReplacement: starting a login and finishing one replace
// the session, so a shared browser never keeps the previous user (A8);
// the redirect URI comes from configuration, never from Host or
// X-Forwarded-Host (A6).
func TestServeSessionReplacement(t *testing.T) {
	t.Parallel()
	_, idp, app, b := signedInServe(t)

	// Another site linking to the login does not sign the user out (G1).
	if login := b.get(app.URL+"/api/auth/login", "Sec-Fetch-Site", "cross-site"); sessionCleared(login) {
		t.Errorf("a cross-site link to the login cleared the session")
	}
	login := b.get(app.URL+"/api/auth/login", "Sec-Fetch-Site", "same-origin", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if !sessionCleared(login) {
		t.Errorf("starting a login kept the previous session (A8)")
	}
	if got := b.loc(login).Query().Get("redirect_uri"); got != app.URL+"/api/auth/callback" {
		t.Errorf("redirect_uri %q follows the request's headers (A6)", got)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/auth/login", nil)
	req.Host = "evil.example"
	if p := b.do(req); b.loc(p).Query().Get("redirect_uri") != app.URL+"/api/auth/callback" {
		t.Errorf("redirect_uri follows Host (A6)")
	}
	// Grace signs in on the same browser: the dashboard is hers.
	b.get(idp.URL + "/oidc/logout")
	b.signIn(app, idp, "usr_59615193906610315", acmeOrgID)
	if p := b.get(app.URL + "/dashboard"); !strings.Contains(p.body, "Grace Hopper") || strings.Contains(p.body, "Ada") {
		t.Errorf("after the second user signed in, the dashboard shows: %.200s", p.body)
	}
}

// TestServeDiscoveryOutageAtStart: with the IdP down at start, serve runs;
// once its discovery has met the outage, /readyz says not ready and
// sign-in answers 503 for that reason; once the IdP is back, it becomes
// ready without a restart (I3).
func TestServeDiscoveryOutageAtStart(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	idp.fault("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusInternalServerError)
	})
	app := startServeUnready(t, ln, idp.URL)
	if _, ok := app.waitLog(hangDeadline, func(e logEntry) bool { return e["msg"] == "discovery failed, retrying" }); !ok {
		t.Fatalf("serve logged no failed discovery; stderr:\n%s", app.run.stderr)
	}
	if n := idp.count("GET /.well-known/openid-configuration"); n == 0 {
		t.Fatalf("serve logged a failed discovery, but no discovery request reached the IdP")
	}
	b := newBrowser(t)
	if p := b.get(appURL + "/readyz"); p.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", p.status)
	}
	p := b.get(appURL + "/api/auth/login")
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("login during the outage: %d, want 503: %.300s", p.status, p.body)
	}
	if e := app.requestLog(t, p, "request failed"); e["reason"] != "discovery not done" {
		t.Errorf("serve logged %q for the login, want %q", e["reason"], "discovery not done")
	}
	if p := b.get(appURL + "/healthz"); p.status != 200 {
		t.Errorf("/healthz: %d", p.status)
	}
	idp.fault("/.well-known/openid-configuration", nil)
	app.waitDiscovery(t)
	if strings.Contains(app.run.stderr.String(), "maintenance") {
		t.Errorf("the IdP's error body reached the logs")
	}
}

// TestServeLogsNoSecrets: after a sign-in, a refresh and a logout, the
// logs hold no token, code, cookie value or client secret (J2).
func TestServeLogsNoSecrets(t *testing.T) {
	t.Parallel()
	c := &clock{}
	ln, appURL := listenApp(t)
	idp := startIdP(t, c, appURL)
	// Text logs, the default: the other tests read serve's JSON ones.
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil, "--log-level", "debug", "--log-format", "text")
	b := newBrowser(t)
	login := b.follow(b.get(app.URL + "/api/auth/login"))
	toApp := b.post(idp.URL+"/oauth/login", map[string][]string{"handle": {b.handle(login)}, "user": {adaID}, "org": {acmeOrgID}})
	code, state := b.loc(toApp).Query().Get("code"), b.loc(toApp).Query().Get("state")
	b.follow(toApp)
	cookie := b.cookie(app.URL, "skctl_session").Value
	c.Advance(6 * time.Minute)
	b.get(app.URL + "/dashboard")
	b.get(app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin")
	logs := app.run.stderr.String()
	for name, secret := range map[string]string{"code": code, "state": state, "cookie": cookie[:40], "client secret": app1Secret, "a JWT": "eyJ"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
	if !strings.Contains(logs, "request_id=") {
		t.Errorf("no request IDs in the logs:\n%s", logs)
	}
}
