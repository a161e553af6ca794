package e2e_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
)

// TestMgmtOverTLS: under net.tls_selfsigned, the command's listener
// offers h2 by ALPN, so a gRPC client reaches the management API over
// HTTP/2 with TLS, as SDKs do on an https:// environment URL. The client
// trusts the self-signed certificate on purpose: what is tested is the
// protocol, not the trust (TestTLSSelfSigned tests that).
func TestMgmtOverTLS(t *testing.T) {
	t.Parallel()
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0", "--scenario", "net.tls_selfsigned")
	env := envLines(t, r.stdout.String())
	issuer := env["SCALEKIT_ENVIRONMENT_URL"]
	if !strings.HasPrefix(issuer, "https://") {
		t.Fatalf("issuer %s, want https://", issuer)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	ctx, hc, rec, token := mgmtClient(t, env, tr)
	orgs := organizationspbconnect.NewOrganizationServiceClient(hc, issuer, connect.WithGRPC())
	req := connect.NewRequest(&organizationspb.CreateOrganizationRequest{Organization: &organizationspb.CreateOrganization{DisplayName: "TLS Inc"}})
	req.Header().Set("Authorization", "Bearer "+token)
	resp, err := orgs.CreateOrganization(ctx, req)
	if err != nil {
		t.Fatalf("CreateOrganization over TLS: %v", err)
	}
	if !strings.HasPrefix(resp.Msg.GetOrganization().GetId(), "org_") {
		t.Errorf("created %v, want an org_ ID", resp.Msg.GetOrganization())
	}
	if got := rec.protoOf("/scalekit.v1.organizations.OrganizationService/CreateOrganization"); got != "HTTP/2.0" {
		t.Errorf("the call went over %q, want HTTP/2.0 (h2 by ALPN)", got)
	}
}

// mgmtClient is an HTTP client over tr for a mock the command started,
// with a client_credentials token of its default app, the protocol of
// each answer recorded, and a context bounding the test's calls.
func mgmtClient(t *testing.T, env map[string]string, tr *http.Transport) (context.Context, *http.Client, *protoRecorder, string) {
	t.Helper()
	t.Cleanup(tr.CloseIdleConnections)
	rec := &protoRecorder{next: tr}
	hc := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	issuer := env["SCALEKIT_ENVIRONMENT_URL"]
	cc := clientcredentials.Config{ClientID: env["SCALEKIT_CLIENT_ID"], ClientSecret: env["SCALEKIT_CLIENT_SECRET"], TokenURL: issuer + "/oauth/token"}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	return ctx, hc, rec, tok.AccessToken
}

// protoRecorder records the protocol each path was answered over.
type protoRecorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	proto map[string]string
}

func (p *protoRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
	if err == nil {
		p.mu.Lock()
		if p.proto == nil {
			p.proto = map[string]string{}
		}
		p.proto[req.URL.Path] = resp.Proto
		p.mu.Unlock()
	}
	return resp, err
}

func (p *protoRecorder) protoOf(path string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proto[path]
}
