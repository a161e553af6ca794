package checkconfig

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
)

// TestHeaderWithoutEnvironment: with no environment URL, the header says
// so rather than ending in nothing.
func TestHeaderWithoutEnvironment(t *testing.T) {
	r := Run(context.Background(), Options{Offline: true, Settings: Settings{}})
	var out bytes.Buffer
	r.Write(&out, "text", false)
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "skctl check-config: no environment URL set (SCALEKIT_ENVIRONMENT_URL)" {
		t.Errorf("header %q", first)
	}
}

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "skctl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key}
}

// leaf issues a server certificate for 127.0.0.1, changed by edit; a nil
// CA makes it self-signed.
func (ca *testCA) leaf(t *testing.T, edit func(*x509.Certificate)) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if edit != nil {
		edit(tmpl)
	}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestTLSFailuresNamed: a certificate check-config cannot trust is named
// (unknown authority, self-signed, expired, for another host), with what
// to do, and is a failed check, not an unreachable environment.
func TestTLSFailuresNamed(t *testing.T) {
	trusted, other := newTestCA(t), newTestCA(t)
	pool := x509.NewCertPool()
	pool.AddCert(trusted.cert)
	cases := []struct {
		name      string
		cert      tls.Certificate
		msg, hint string
	}{
		{"unknown authority", other.leaf(t, nil), "signed by an authority this machine does not trust (skctl test CA)", "SSL_CERT_FILE"},
		{"self-signed", (*testCA)(nil).leaf(t, nil), "is self-signed", "SSL_CERT_FILE"},
		{"expired", trusted.leaf(t, func(c *x509.Certificate) { c.NotAfter = time.Now().Add(-time.Minute) }), "has expired", "clock"},
		{"another host", trusted.leaf(t, func(c *x509.Certificate) { c.IPAddresses, c.DNSNames = nil, []string{"other.test"} }), "is for other.test, not 127.0.0.1", "host name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{tc.cert}}
			// The refused handshakes are the test, not news.
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			defer srv.Close()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			r := Run(context.Background(), Options{Client: client, Settings: Settings{config.EnvEnvironmentURL: srv.URL, config.EnvClientID: "skc_1", config.EnvClientSecret: "s3cret-value"}})
			citesNoRows(t, r)
			c, _ := r.Find(DiscoveryFetch)
			if c.Status != Fail || !strings.Contains(c.Message, "TLS: the certificate of "+strings.TrimPrefix(srv.URL, "https://")) ||
				!strings.Contains(c.Message, tc.msg) || !strings.Contains(c.Hint, tc.hint) {
				t.Errorf("%s: %s / fix: %s\nwant the message to contain %q and the hint %q", c.Status, c.Message, c.Hint, tc.msg, tc.hint)
			}
			if r.Result(false) != Failed {
				t.Errorf("result %d, want a failed check (%d): the environment answered", r.Result(false), Failed)
			}
		})
	}
}

// pageEnv answers in-process with fixed bodies by path; any other path
// gets a 404.
type pageEnv struct {
	pages map[string]func(*http.Request) (int, string, string) // status, content type, body
}

func (p *pageEnv) RoundTrip(req *http.Request) (*http.Response, error) {
	code, ctype, body := http.StatusNotFound, "text/plain", "404 page not found"
	if page, ok := p.pages[req.URL.Path]; ok {
		code, ctype, body = page(req)
	}
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {ctype}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// misconfigured is an environment at env that refuses the client secret,
// the redirect URI and the post-logout URI; mock makes its root page the
// mock's.
func misconfigured(env string, mock bool) *pageEnv {
	json := func(body string) func(*http.Request) (int, string, string) {
		return func(*http.Request) (int, string, string) { return http.StatusOK, "application/json", body }
	}
	p := &pageEnv{pages: map[string]func(*http.Request) (int, string, string){
		"/.well-known/openid-configuration": json(`{"issuer":"` + env + `","authorization_endpoint":"` + env + `/oauth/authorize","token_endpoint":"` + env + `/oauth/token",
			"jwks_uri":"` + env + `/keys","end_session_endpoint":"` + env + `/oidc/logout","code_challenge_methods_supported":["S256"],"id_token_signing_alg_values_supported":["RS256"]}`),
		"/keys": json(`{"keys":[{"kty":"RSA","kid":"snk_1","alg":"RS256","n":"AQAB","e":"AQAB"}]}`),
		"/oauth/token": func(*http.Request) (int, string, string) {
			return http.StatusUnauthorized, "application/json", `{"error":"invalid_client"}`
		},
		"/oauth/authorize": func(*http.Request) (int, string, string) {
			return http.StatusBadRequest, "text/html", "redirect_uri is not registered"
		},
		"/oidc/logout": func(*http.Request) (int, string, string) { return http.StatusBadRequest, "text/html", "not registered" },
	}}
	if mock {
		// The page every skctl mock-idp serves at its root.
		p.pages["/"] = func(*http.Request) (int, string, string) {
			return http.StatusOK, "text/html; charset=utf-8", "<!doctype html><title>skctl mock-idp · skctl mock-idp</title><footer>skctl mock-idp · a local Scalekit environment at " + env + "</footer>"
		}
	}
	return p
}

// TestHintsAgainstTheMock: against skctl mock-idp, the hints say what to
// change in the mock (its flags, its fixtures), not in the Scalekit
// dashboard; against anything else they still name the dashboard.
func TestHintsAgainstTheMock(t *testing.T) {
	const env = "http://127.0.0.1:4400"
	settings := Settings{config.EnvEnvironmentURL: env, config.EnvClientID: "skc_1", config.EnvClientSecret: "wrong-secret",
		config.EnvRedirectURI: "http://localhost:3000/api/auth/callback"}
	want := map[CheckID][]string{
		Credentials:        {"--client-id", "--client-secret", "apps[].client_secret"},
		RedirectRegistered: {"--redirect-uri http://localhost:3000/api/auth/callback", "apps[].redirect_uris"},
		RedirectPostLogout: {"--post-logout-redirect-uri http://localhost:3000/", "apps[].post_logout_redirect_uris"},
	}
	for _, mock := range []bool{true, false} {
		r := Run(context.Background(), Options{Settings: settings, Client: &http.Client{Transport: misconfigured(env, mock)}})
		citesNoRows(t, r)
		if r.MockIDP != mock {
			t.Errorf("mock %v: the report says mock_idp %v", mock, r.MockIDP)
		}
		for id, words := range want {
			c, _ := r.Find(id)
			if c.Status != Fail {
				t.Errorf("mock %v: %s = %s %q, want fail", mock, id, c.Status, c.Message)
				continue
			}
			for _, w := range words {
				if strings.Contains(c.Hint, w) != mock {
					t.Errorf("mock %v: the %s hint %q has %q: %v", mock, id, c.Hint, w, !mock)
				}
			}
			if strings.Contains(c.Hint, "Scalekit dashboard") == mock {
				t.Errorf("mock %v: the %s hint %q names the Scalekit dashboard: %v", mock, id, c.Hint, mock)
			}
		}
	}
}
