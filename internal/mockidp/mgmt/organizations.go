package mgmt

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	orgpb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// orgService is OrganizationService: the tenants of a B2B app.
type orgService struct{ a *API }

func (s *orgService) CreateOrganization(ctx context.Context, req *connect.Request[orgpb.CreateOrganizationRequest]) (*connect.Response[orgpb.CreateOrganizationResponse], error) {
	in := req.Msg.GetOrganization()
	if in == nil {
		return nil, required("organization")
	}
	if strings.TrimSpace(in.GetDisplayName()) == "" {
		return nil, required("organization.display_name")
	}
	o, err := s.a.d.Tenant.CreateOrg(tenant.Org{
		DisplayName: in.GetDisplayName(),
		ExternalID:  in.GetExternalId(),
		Slug:        in.GetSlug(),
		LogoURL:     in.GetLogoUrl(),
		RegionCode:  regionName(in.GetRegionCode()),
		Metadata:    in.GetMetadata(),
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&orgpb.CreateOrganizationResponse{Organization: orgMsg(o)}), nil
}

// orgByIdentity finds the organization a request names by id or by
// external id (the identities oneof).
func (a *API) orgByIdentity(id, externalID string) (tenant.Org, error) {
	switch {
	case id != "":
		return a.d.Tenant.Org(id)
	case externalID != "":
		return a.d.Tenant.OrgByExternalID(externalID)
	}
	return tenant.Org{}, required("id")
}

func (s *orgService) GetOrganization(ctx context.Context, req *connect.Request[orgpb.GetOrganizationRequest]) (*connect.Response[orgpb.GetOrganizationResponse], error) {
	o, err := s.a.orgByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&orgpb.GetOrganizationResponse{Organization: orgMsg(o)}), nil
}

// GetOrganizationByExternalId is GetOrganization by external id only: the
// RPC behind the REST route /api/v1/organizations:external/{external_id}.
func (s *orgService) GetOrganizationByExternalId(ctx context.Context, req *connect.Request[orgpb.GetOrganizationRequest]) (*connect.Response[orgpb.GetOrganizationResponse], error) {
	if req.Msg.GetExternalId() == "" {
		return nil, required("external_id")
	}
	o, err := s.a.d.Tenant.OrgByExternalID(req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&orgpb.GetOrganizationResponse{Organization: orgMsg(o)}), nil
}

func (s *orgService) UpdateOrganization(ctx context.Context, req *connect.Request[orgpb.UpdateOrganizationRequest]) (*connect.Response[orgpb.UpdateOrganizationResponse], error) {
	o, err := s.a.orgByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	in := req.Msg.GetOrganization()
	if in == nil {
		return nil, required("organization")
	}
	if (in.DisplayName != nil || slices.Contains(req.Msg.GetUpdateMask().GetPaths(), "display_name")) && strings.TrimSpace(in.GetDisplayName()) == "" {
		return nil, invalid("organization.display_name", "must not be empty")
	}
	mask := req.Msg.GetUpdateMask().GetPaths()
	for i, p := range mask {
		if !slices.Contains(orgUpdatable(), p) {
			return nil, invalid("update_mask.paths["+itoa(i)+"]", "is not a field of organization that can change: one of "+strings.Join(orgUpdatable(), ", "))
		}
	}
	// Without a mask (the SDKs send none), the fields sent change; with
	// one, the fields it names do, an absent one being cleared.
	change := func(field string, sent bool) bool {
		if len(mask) > 0 {
			return slices.Contains(mask, field)
		}
		return sent
	}
	o, err = s.a.d.Tenant.UpdateOrg(o.ID, func(o *tenant.Org) error {
		if change("display_name", in.DisplayName != nil) {
			o.DisplayName = in.GetDisplayName()
		}
		if change("external_id", in.ExternalId != nil) {
			o.ExternalID = in.GetExternalId()
		}
		if change("slug", in.Slug != nil) {
			o.Slug = in.GetSlug()
		}
		if change("logo_url", in.LogoUrl != nil) {
			o.LogoURL = in.GetLogoUrl()
		}
		if change("metadata", len(in.GetMetadata()) > 0) {
			o.Metadata = in.GetMetadata()
		}
		return nil
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&orgpb.UpdateOrganizationResponse{Organization: orgMsg(o)}), nil
}

func (s *orgService) DeleteOrganization(ctx context.Context, req *connect.Request[orgpb.DeleteOrganizationRequest]) (*connect.Response[emptypb.Empty], error) {
	o, err := s.a.orgByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	if err := s.a.changed(s.a.d.Tenant.DeleteOrg(o.ID)); err != nil {
		return nil, err
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (s *orgService) ListOrganization(ctx context.Context, req *connect.Request[orgpb.ListOrganizationsRequest]) (*connect.Response[orgpb.ListOrganizationsResponse], error) {
	p, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	l := s.a.d.Tenant.ListOrgs(p, req.Msg.GetExternalId())
	out := &orgpb.ListOrganizationsResponse{TotalSize: uint32(l.Total)}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, o := range l.Items {
		out.Organizations = append(out.Organizations, orgMsg(o))
	}
	return connect.NewResponse(out), nil
}

func (s *orgService) GeneratePortalLink(ctx context.Context, req *connect.Request[orgpb.GeneratePortalLinkRequest]) (*connect.Response[orgpb.GeneratePortalLinkResponse], error) {
	if req.Msg.GetId() == "" {
		return nil, required("id")
	}
	o, err := s.a.d.Tenant.Org(req.Msg.GetId())
	if err != nil {
		return nil, fromTenant(err)
	}
	l, ok := s.a.portal.issue(o.ID, s.a.d.Now())
	if !ok {
		return nil, withInfo(connect.CodeResourceExhausted, fmt.Sprintf("%d admin portal links are waiting to be opened, the most the mock keeps: links expire within a minute", maxPortalLinks), nil)
	}
	return connect.NewResponse(&orgpb.GeneratePortalLinkResponse{Link: &orgpb.Link{
		Id:         l.ID,
		Location:   s.a.d.Issuer + PortalPath + l.ID,
		ExpireTime: timestamppb.New(l.Expires),
	}}), nil
}

func (s *orgService) UpdateOrganizationSettings(ctx context.Context, req *connect.Request[orgpb.UpdateOrganizationSettingsRequest]) (*connect.Response[orgpb.GetOrganizationResponse], error) {
	if req.Msg.GetId() == "" {
		return nil, required("id")
	}
	features := req.Msg.GetSettings().GetFeatures()
	for i, f := range features {
		if _, known := orgpb.Feature_value[f.GetName()]; !known || f.GetName() == "UNSPECIFIED" || f.GetName() == "FEATURE_UNSPECIFIED" {
			return nil, invalid("settings.features["+itoa(i)+"].name", "must be one of sso, dir_sync")
		}
	}
	o, err := s.a.d.Tenant.UpdateOrg(req.Msg.GetId(), func(o *tenant.Org) error {
		if o.Features == nil {
			o.Features = map[string]bool{}
		}
		for _, f := range features {
			o.Features[f.GetName()] = f.GetEnabled()
		}
		return nil
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&orgpb.GetOrganizationResponse{Organization: orgMsg(o)}), nil
}

// orgUpdatable lists the fields of UpdateOrganization an update_mask may
// name.
func orgUpdatable() []string {
	return []string{"display_name", "external_id", "slug", "logo_url", "metadata"}
}

// orgMsg is an organization on the wire.
func orgMsg(o tenant.Org) *orgpb.Organization {
	m := &orgpb.Organization{
		Id:          o.ID,
		CreateTime:  ts(o.CreateTime),
		UpdateTime:  ts(o.UpdateTime),
		DisplayName: o.DisplayName,
		RegionCode:  commonspb.RegionCode(commonspb.RegionCode_value[o.RegionCode]),
		ExternalId:  optional(o.ExternalID),
		Metadata:    o.Metadata,
		Slug:        optional(o.Slug),
		LogoUrl:     optional(o.LogoURL),
		Settings:    &orgpb.OrganizationSettings{},
	}
	for _, name := range slices.Sorted(mapsKeys(o.Features)) {
		m.Settings.Features = append(m.Settings.Features, &orgpb.OrganizationSettingsFeature{Name: name, Enabled: o.Features[name]})
	}
	return m
}

// regionName is a region code's name, US when unset (Scalekit's default).
func regionName(c commonspb.RegionCode) string {
	if c == commonspb.RegionCode_REGION_CODE_UNSPECIFIED {
		return "US"
	}
	return c.String()
}
