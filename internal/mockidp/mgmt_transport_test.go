package mockidp_test

import (
	"io"
	"log/slog"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// TestMgmtTransportCRUD runs an organization's whole life (create, get by
// id and by external id, update, list, delete) over gRPC on HTTP/1.1, as
// the Go SDK speaks it on http://, and over h2c, as the Node SDK does, on
// the environment's one port; the protocol of every answer is recorded,
// so a client that quietly fell back to the other is caught, and the
// mock's per-procedure counters show it served each call. The request log
// is on, as `skctl mock-idp` runs: its writer sits between connect-go and
// the connection.
func TestMgmtTransportCRUD(t *testing.T) {
	t.Parallel()
	for _, p := range []mgProto{mgHTTP1, mgH2C} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			env := startEnv(t, mockidp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			c := newMgAPI(t, env, mgOver(p))
			before := mgCounters(env)

			o := c.createOrg("Transport Co", "TRANSPORT-1")
			got, err := c.getOrg(o.GetId())
			if err != nil || got.GetDisplayName() != "Transport Co" || got.GetExternalId() != "TRANSPORT-1" {
				t.Fatalf("GetOrganization %s = %v, %v; want Transport Co / TRANSPORT-1", o.GetId(), got, err)
			}
			r, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(&organizationspb.GetOrganizationRequest{
				Identities: &organizationspb.GetOrganizationRequest_ExternalId{ExternalId: "TRANSPORT-1"}}))
			if id := mgMust(t, "GetOrganization by external_id", r, err).GetOrganization().GetId(); id != o.GetId() {
				t.Fatalf("GetOrganization by external_id = %s, want %s", id, o.GetId())
			}
			name := "Transport Co Renamed"
			ur, err := c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
				Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
				Organization: &organizationspb.UpdateOrganization{DisplayName: &name}}))
			if n := mgMust(t, "UpdateOrganization", ur, err).GetOrganization().GetDisplayName(); n != name {
				t.Fatalf("UpdateOrganization: display_name %q, want %q", n, name)
			}
			lr, err := c.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{PageSize: 100}))
			found := false
			for _, x := range mgMust(t, "ListOrganization", lr, err).GetOrganizations() {
				found = found || x.GetId() == o.GetId() && x.GetDisplayName() == name
			}
			if !found {
				t.Fatalf("ListOrganization does not list %s as %q", o.GetId(), name)
			}
			dr, err := c.orgs.DeleteOrganization(mgCtx(t), connect.NewRequest(&organizationspb.DeleteOrganizationRequest{
				Identities: &organizationspb.DeleteOrganizationRequest_Id{Id: o.GetId()}}))
			mgMust(t, "DeleteOrganization", dr, err)
			_, err = c.getOrg(o.GetId())
			mgWantErr(t, "GetOrganization after the delete", err, connect.CodeNotFound, "NOT_FOUND", o.GetId())

			seen := c.rec.seen()
			if len(seen) != 1 || seen[p.wantProto()] != 7 {
				t.Errorf("answers came over %v, want all 7 over %s", seen, p.wantProto())
			}
			after := mgCounters(env)
			for proc, n := range map[string]int64{
				"CreateOrganization": 1, "GetOrganization": 3, "UpdateOrganization": 1,
				"ListOrganization": 1, "DeleteOrganization": 1,
			} {
				name := mgCounter(mgOrgService + proc)
				if got := after[name] - before[name]; got != n {
					t.Errorf("counter %s grew by %d, want %d", name, got, n)
				}
			}
		})
	}
}

// TestMgmtTransportBothAtOnce: one environment answers an HTTP/1.1 client
// and an h2c client side by side, and both see the same organizations
// (one store, whichever protocol wrote it).
func TestMgmtTransportBothAtOnce(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	h1 := newMgAPI(t, env, mgOver(mgHTTP1))
	h2 := newMgAPI(t, env, mgOver(mgH2C))

	a := h1.createOrg("Written Over HTTP1", "")
	b := h2.createOrg("Written Over H2C", "")
	if got, err := h2.getOrg(a.GetId()); err != nil || got.GetDisplayName() != "Written Over HTTP1" {
		t.Errorf("h2c GetOrganization of the HTTP/1.1 client's org = %v, %v", got, err)
	}
	if got, err := h1.getOrg(b.GetId()); err != nil || got.GetDisplayName() != "Written Over H2C" {
		t.Errorf("HTTP/1.1 GetOrganization of the h2c client's org = %v, %v", got, err)
	}
	if s := h1.rec.seen(); len(s) != 1 || s["HTTP/1.1"] != 2 {
		t.Errorf("the HTTP/1.1 client's answers came over %v", s)
	}
	if s := h2.rec.seen(); len(s) != 1 || s["HTTP/2.0"] != 2 {
		t.Errorf("the h2c client's answers came over %v", s)
	}
}
