package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
)

// TestMgmtHTTP1FromTheCommand: `skctl mock-idp` as users start it (its
// request log at the default level) answers gRPC over HTTP/1.1, the Go
// SDK's transport on http://, with the Grpc-Status trailer: a successful
// call succeeds, and a refused one carries its code. The request log's
// writer once hid the flush connect-go needs, so every successful call
// failed with "no Grpc-Status trailer" though its change was made.
func TestMgmtHTTP1FromTheCommand(t *testing.T) {
	t.Parallel()
	r := startCmd(t, "mock-idp", "--addr", "127.0.0.1:0")
	env := envLines(t, r.stdout.String())
	issuer := env["SCALEKIT_ENVIRONMENT_URL"]
	ctx, hc, rec, token := mgmtClient(t, env, &http.Transport{}) // HTTP/1.1 only on http://, as Go's default
	orgs := organizationspbconnect.NewOrganizationServiceClient(hc, issuer, connect.WithGRPC())
	create := func() (*connect.Response[organizationspb.CreateOrganizationResponse], error) {
		req := connect.NewRequest(&organizationspb.CreateOrganizationRequest{Organization: &organizationspb.CreateOrganization{
			DisplayName: "HTTP/1 Inc", ExternalId: new("HTTP1-1")}})
		req.Header().Set("Authorization", "Bearer "+token)
		return orgs.CreateOrganization(ctx, req)
	}
	resp, err := create()
	if err != nil {
		t.Fatalf("CreateOrganization over HTTP/1.1: %v", err)
	}
	if !strings.HasPrefix(resp.Msg.GetOrganization().GetId(), "org_") {
		t.Errorf("created %v, want an org_ ID", resp.Msg.GetOrganization())
	}
	if got := rec.protoOf("/scalekit.v1.organizations.OrganizationService/CreateOrganization"); got != "HTTP/1.1" {
		t.Errorf("the call went over %q, want HTTP/1.1", got)
	}
	if _, err := create(); connect.CodeOf(err) != connect.CodeAlreadyExists {
		t.Errorf("the same external id again: %v, want AlreadyExists", err)
	}
	if !strings.Contains(r.stderr.String(), "path=/scalekit.v1.organizations.OrganizationService/CreateOrganization status=200") {
		t.Errorf("the calls are not in the request log at the default level with their HTTP status; stderr:\n%s", r.stderr.String())
	}
}
