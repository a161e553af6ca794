package e2e_test

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestRotateKeysCommand: `skctl mock-idp rotate-keys` rotates a running
// mock's key, keeping the old one for the overlap asked.
func TestRotateKeysCommand(t *testing.T) {
	t.Parallel()
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0")
	issuer := envLines(t, r.stdout.String())["SCALEKIT_ENVIRONMENT_URL"]
	keys := func() []string {
		resp := httpGet(t, issuer+"/keys")
		var set struct{ Keys []struct{ Kid string } }
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatalf("GET /keys: %d %v", resp.StatusCode, err)
		}
		var kids []string
		for _, k := range set.Keys {
			kids = append(kids, k.Kid)
		}
		return kids
	}
	before := keys()
	code, out, errOut := run(t, "mock-idp", "rotate-keys", "--url", issuer, "--overlap", "10m")
	if code != 0 || !strings.Contains(out, "new signing key snk_") {
		t.Fatalf("rotate-keys: exit %d %s %s", code, out, errOut)
	}
	after := keys()
	if len(after) != 2 || after[1] != before[0] || after[0] == before[0] {
		t.Errorf("keys before %v, after %v: want a new first key and the old one kept", before, after)
	}
	if code, _, errOut := run(t, "mock-idp", "rotate-keys", "--url", "http://127.0.0.1:1"); code != 1 || !strings.Contains(errOut, "is skctl mock-idp running") {
		t.Errorf("no mock: exit %d %s", code, errOut)
	}
}

// TestTLSSelfSigned: with net.tls_selfsigned the mock speaks TLS with a
// certificate nobody trusts; serve never falls back to trusting it.
func TestTLSSelfSigned(t *testing.T) {
	t.Parallel()
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--scenario", "net.tls_selfsigned")
	issuer := envLines(t, r.stdout.String())["SCALEKIT_ENVIRONMENT_URL"]
	if !strings.HasPrefix(issuer, "https://") {
		t.Fatalf("issuer %s", issuer)
	}
	_, err := http.Get(issuer + "/.well-known/openid-configuration")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("GET over TLS: %v, want an unknown-authority error", err)
	}
	ln, _ := listenApp(t)
	app := startServeUnready(t, ln, issuer)
	// Serve has met the certificate once it logs the failed discovery,
	// with the certificate as its reason (not a timeout: its IdP timeout
	// is the generous one).
	e, ok := app.waitLog(hangDeadline, func(e logEntry) bool { return e["msg"] == "discovery failed, retrying" })
	if !ok {
		t.Fatalf("serve logged no failed discovery; stderr:\n%s", app.run.stderr)
	}
	if e["reason"] != "TLS: the IdP certificate did not verify" {
		t.Errorf("the failed discovery's reason: %q, want the untrusted certificate", e["reason"])
	}
	b := newBrowser(t)
	if p := b.get(app.URL + "/readyz"); p.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz against an untrusted certificate: %d", p.status)
	}
	p := b.get(app.URL + "/api/auth/login")
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("login against an untrusted certificate: %d %.300s", p.status, p.body)
	}
	if e := app.requestLog(t, p, "request failed"); e["reason"] != "discovery not done" {
		t.Errorf("serve logged %q for the login, want %q", e["reason"], "discovery not done")
	}
}

// TestServeDropOldKey: when the IdP drops the key that signed a live
// session, serve never answers 500: the session keeps working from its
// verified cache, and new sign-ins reload the keys (jwks.drop_old_key).
func TestServeDropOldKey(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	env := idp.URL + "/jwks.drop_old_key"
	app := startServe(t, ln, &testIdP{URL: env}, nil, app1ID, app1Secret, nil)
	first := newBrowser(t)
	first.signIn(app, &testIdP{URL: env}, adaID, acmeOrgID)
	second := newBrowser(t)
	if p := second.signIn(app, &testIdP{URL: env}, "usr_59615193906610315", acmeOrgID); p.status != 302 || p.location.Path != landing {
		t.Fatalf("a sign-in after the key was dropped: %d %v %.300s", p.status, p.location, p.body)
	}
	for _, b := range []*browser{first, second} {
		if p := b.get(app.URL + "/dashboard"); p.status != 200 {
			t.Errorf("dashboard: %d", p.status)
		}
	}
}
