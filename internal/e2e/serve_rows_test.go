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
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)
	b := newBrowser(t)
	b.signIn(app, idp, adaID, acmeOrgID)

	// Another site linking to the login does not sign the user out (G1).
	if login := b.get(app.URL+"/api/auth/login", "Sec-Fetch-Site", "cross-site"); sessionCleared(login) {
		t.Errorf("a cross-site link to the login cleared the session")
	}
	login := b.get(app.URL+"/api/auth/login", "Sec-Fetch-Site", "same-origin", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if !sessionCleared(login) {
		t.Errorf("starting a login kept the previous session (A8)")
	}
	if got := login.location.Query().Get("redirect_uri"); got != app.URL+"/api/auth/callback" {
		t.Errorf("redirect_uri %q follows the request's headers (A6)", got)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/auth/login", nil)
	req.Host = "evil.example"
	if p := b.do(req); p.location.Query().Get("redirect_uri") != app.URL+"/api/auth/callback" {
		t.Errorf("redirect_uri follows Host (A6)")
	}
	// Grace signs in on the same browser: the dashboard is hers.
	b.get(idp.URL + "/oidc/logout")
	b.signIn(app, idp, "usr_59615193906610315", acmeOrgID)
	if p := b.get(app.URL + "/dashboard"); !strings.Contains(p.body, "Grace Hopper") || strings.Contains(p.body, "Ada") {
		t.Errorf("after the second user signed in, the dashboard shows: %.200s", p.body)
	}
}

// TestServeDiscoveryOutageAtStart: with the IdP down at start, serve runs,
// /readyz says not ready and sign-in answers 503; once the IdP is back,
// it becomes ready without a restart (I3).
func TestServeDiscoveryOutageAtStart(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	idp.fault("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusInternalServerError)
	})
	env := map[string]string{
		"SCALEKIT_ENVIRONMENT_URL": idp.URL, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret,
		"SCALEKIT_REDIRECT_URI": appURL + "/api/auth/callback",
	}
	r := startCmdWith(t, func(d *cliDeps) {
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = listenerOnce(ln)
	}, "serve", "--env-file", "")
	b := newBrowser(t)
	if p := b.get(appURL + "/readyz"); p.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", p.status)
	}
	if p := b.get(appURL + "/api/auth/login"); p.status != http.StatusServiceUnavailable {
		t.Errorf("login during the outage: %d, want 503", p.status)
	}
	if p := b.get(appURL + "/healthz"); p.status != 200 {
		t.Errorf("/healthz: %d", p.status)
	}
	idp.fault("/.well-known/openid-configuration", nil)
	deadline := time.Now().Add(5 * time.Second)
	for b.get(appURL+"/readyz").status != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("not ready 5 s after the IdP came back; logs:\n%s", r.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(r.stderr.String(), "maintenance") {
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
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil, "--log-level", "debug")
	b := newBrowser(t)
	login := b.follow(b.get(app.URL + "/api/auth/login"))
	m := handleRE.FindStringSubmatch(login.body)
	toApp := b.post(idp.URL+"/oauth/login", map[string][]string{"handle": {m[1]}, "user": {adaID}, "org": {acmeOrgID}})
	code, state := toApp.location.Query().Get("code"), toApp.location.Query().Get("state")
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
