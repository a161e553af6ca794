package mgmt

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	connpb "github.com/skctl/skctl/internal/scalekitpb/connections"
	domainspb "github.com/skctl/skctl/internal/scalekitpb/domains"
)

// connectionService is ConnectionService: an organization's SSO
// connections. A disabled connection is not offered at sign-in.
type connectionService struct{ a *API }

func (s *connectionService) ListConnections(ctx context.Context, req *connect.Request[connpb.ListConnectionsRequest]) (*connect.Response[connpb.ListConnectionsResponse], error) {
	org, domain := req.Msg.GetOrganizationId(), req.Msg.GetDomain()
	if org != "" {
		if _, err := s.a.d.Tenant.Org(org); err != nil {
			return nil, fromTenant(err)
		}
	}
	out := &connpb.ListConnectionsResponse{}
	for _, c := range s.a.d.Tenant.ListConnections(org, domain) {
		out.Connections = append(out.Connections, s.a.listConnMsg(c))
	}
	return connect.NewResponse(out), nil
}

func (s *connectionService) GetConnection(ctx context.Context, req *connect.Request[connpb.GetConnectionRequest]) (*connect.Response[connpb.GetConnectionResponse], error) {
	if err := need2(req.Msg.GetOrganizationId(), req.Msg.GetId()); err != nil {
		return nil, err
	}
	c, err := s.a.d.Tenant.Connection(req.Msg.GetOrganizationId(), req.Msg.GetId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&connpb.GetConnectionResponse{Connection: connMsg(c)}), nil
}

func (s *connectionService) CreateConnection(ctx context.Context, req *connect.Request[connpb.CreateConnectionRequest]) (*connect.Response[connpb.CreateConnectionResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	in := req.Msg.GetConnection()
	switch {
	case in == nil:
		return nil, required("connection")
	case in.GetType() == connpb.ConnectionType_INVALID:
		return nil, invalid("connection.type", "is required: OIDC or SAML for an SSO connection")
	}
	provider := in.GetProvider()
	if provider == connpb.ConnectionProvider_CONNECTION_PROVIDER_UNSPECIFIED {
		provider = connpb.ConnectionProvider_CUSTOM
	}
	c, err := s.a.d.Tenant.CreateConnection(tenant.Connection{
		OrgID:    req.Msg.GetOrganizationId(),
		Type:     in.GetType().String(),
		Provider: provider.String(),
		KeyID:    in.GetKeyId(),
		// A new connection is a draft until its IdP is configured, and
		// Scalekit leaves it off until it is enabled.
		Status: "DRAFT",
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&connpb.CreateConnectionResponse{Connection: connMsg(c)}), nil
}

func (s *connectionService) EnableConnection(ctx context.Context, req *connect.Request[connpb.ToggleConnectionRequest]) (*connect.Response[connpb.ToggleConnectionResponse], error) {
	return s.toggle(req.Msg, true)
}

func (s *connectionService) DisableConnection(ctx context.Context, req *connect.Request[connpb.ToggleConnectionRequest]) (*connect.Response[connpb.ToggleConnectionResponse], error) {
	return s.toggle(req.Msg, false)
}

func (s *connectionService) toggle(in *connpb.ToggleConnectionRequest, on bool) (*connect.Response[connpb.ToggleConnectionResponse], error) {
	if err := need2(in.GetOrganizationId(), in.GetId()); err != nil {
		return nil, err
	}
	c, err := s.a.d.Tenant.SetConnectionEnabled(in.GetOrganizationId(), in.GetId(), on)
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&connpb.ToggleConnectionResponse{Enabled: c.Enabled}), nil
}

func (s *connectionService) DeleteConnection(ctx context.Context, req *connect.Request[connpb.DeleteConnectionRequest]) (*connect.Response[emptypb.Empty], error) {
	if err := need2(req.Msg.GetOrganizationId(), req.Msg.GetId()); err != nil {
		return nil, err
	}
	if err := s.a.changed(s.a.d.Tenant.DeleteConnection(req.Msg.GetOrganizationId(), req.Msg.GetId())); err != nil {
		return nil, err
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

// need2 checks the organization_id and id every per-connection and
// per-directory request carries.
func need2(org, id string) error {
	if org == "" {
		return required("organization_id")
	}
	if id == "" {
		return required("id")
	}
	return nil
}

// canonicalProvider maps the provider names of the mock's fixtures to the
// API's enum names where they differ (Entra ID is MICROSOFT_AD there).
func canonicalProvider(name string) string {
	switch name {
	case "AZURE_AD", "ENTRA_ID":
		return "MICROSOFT_AD"
	}
	return name
}

func providerOf(name string) connpb.ConnectionProvider {
	name = canonicalProvider(name)
	if v, ok := connpb.ConnectionProvider_value[name]; ok {
		return connpb.ConnectionProvider(v)
	}
	return connpb.ConnectionProvider_CUSTOM
}

func statusOf(name string) connpb.ConnectionStatus {
	if v, ok := connpb.ConnectionStatus_value[name]; ok {
		return connpb.ConnectionStatus(v)
	}
	return connpb.ConnectionStatus_COMPLETED
}

func connMsg(c tenant.Connection) *connpb.Connection {
	m := &connpb.Connection{
		Id:             c.ID,
		Provider:       providerOf(c.Provider),
		Type:           connpb.ConnectionType(connpb.ConnectionType_value[c.Type]),
		Status:         statusOf(c.Status),
		Enabled:        c.Enabled,
		OrganizationId: optional(c.OrgID),
		UiButtonTitle:  "Sign in with " + c.Provider,
		CreateTime:     ts(c.CreateTime),
		UpdateTime:     ts(c.UpdateTime),
		KeyId:          optional(c.KeyID),
		ProviderKey:    strings.ToLower(providerOf(c.Provider).String()),
	}
	for _, d := range c.Domains {
		m.Domains = append(m.Domains, &domainspb.Domain{Domain: d, OrganizationId: c.OrgID})
	}
	return m
}

func (a *API) listConnMsg(c tenant.Connection) *connpb.ListConnection {
	m := &connpb.ListConnection{
		Id:             c.ID,
		Provider:       providerOf(c.Provider),
		Type:           connpb.ConnectionType(connpb.ConnectionType_value[c.Type]),
		Status:         statusOf(c.Status),
		Enabled:        c.Enabled,
		OrganizationId: c.OrgID,
		UiButtonTitle:  "Sign in with " + c.Provider,
		Domains:        c.Domains,
		KeyId:          c.KeyID,
		ProviderKey:    strings.ToLower(providerOf(c.Provider).String()),
		CreatedAt:      ts(c.CreateTime),
	}
	if o, err := a.d.Tenant.Org(c.OrgID); err == nil {
		m.OrganizationName = o.DisplayName
	}
	return m
}
