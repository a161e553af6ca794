package e2e_test

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
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
		json.NewDecoder(resp.Body).Decode(&set)
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
	ln, appURL := listenApp(t)
	env := map[string]string{"SCALEKIT_ENVIRONMENT_URL": issuer, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret,
		"SCALEKIT_REDIRECT_URI": appURL + "/api/auth/callback"}
	startCmdWith(t, func(d *cliDeps) {
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = listenerOnce(ln)
	}, "serve", "--env-file", "", "--idp-timeout", "1s")
	time.Sleep(300 * time.Millisecond)
	b := newBrowser(t)
	if p := b.get(appURL + "/readyz"); p.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz against an untrusted certificate: %d", p.status)
	}
	if p := b.get(appURL + "/api/auth/login"); p.status != http.StatusServiceUnavailable {
		t.Errorf("login against an untrusted certificate: %d", p.status)
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
	if p := second.signIn(app, &testIdP{URL: env}, "usr_59615193906610315", acmeOrgID); p.status != 302 || p.location.Path != "/" {
		t.Fatalf("a sign-in after the key was dropped: %d %v", p.status, p.location)
	}
	for _, b := range []*browser{first, second} {
		if p := b.get(app.URL + "/dashboard"); p.status != 200 {
			t.Errorf("dashboard: %d", p.status)
		}
	}
}
