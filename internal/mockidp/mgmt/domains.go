package mgmt

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	domainspb "github.com/skctl/skctl/internal/scalekitpb/domains"
)

// domainService is DomainService: the email domains of an organization,
// which route sign-in (ORGANIZATION_DOMAIN) or admit members
// (ALLOWED_EMAIL_DOMAIN).
type domainService struct{ a *API }

// orgID resolves the organization a domain request names by id or
// external id.
func (s *domainService) orgID(id, externalID string) (string, error) {
	if id == "" && externalID == "" {
		return "", required("organization_id")
	}
	o, err := s.a.orgByIdentity(id, externalID)
	if err != nil {
		return "", fromTenant(err)
	}
	return o.ID, nil
}

func (s *domainService) CreateDomain(ctx context.Context, req *connect.Request[domainspb.CreateDomainRequest]) (*connect.Response[domainspb.CreateDomainResponse], error) {
	org, err := s.orgID(req.Msg.GetOrganizationId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(strings.TrimSpace(req.Msg.GetDomain().GetDomain()))
	if name == "" {
		return nil, required("domain.domain")
	}
	typ := tenant.DomainOrganization
	if req.Msg.GetDomain().GetDomainType() == domainspb.DomainType_ALLOWED_EMAIL_DOMAIN {
		typ = tenant.DomainAllowedEmail
	}
	d, err := s.a.d.Tenant.CreateDomain(tenant.Domain{OrgID: org, Name: name, Type: typ})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&domainspb.CreateDomainResponse{Domain: s.a.domainMsg(d)}), nil
}

func (s *domainService) GetDomain(ctx context.Context, req *connect.Request[domainspb.GetDomainRequest]) (*connect.Response[domainspb.GetDomainResponse], error) {
	org, err := s.orgID(req.Msg.GetOrganizationId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, err
	}
	if req.Msg.GetId() == "" {
		return nil, required("id")
	}
	d, err := s.a.d.Tenant.Domain(org, req.Msg.GetId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&domainspb.GetDomainResponse{Domain: s.a.domainMsg(d)}), nil
}

// ListDomains pages by number (page_number from 1), unlike the other
// lists, as Scalekit's DomainService does.
func (s *domainService) ListDomains(ctx context.Context, req *connect.Request[domainspb.ListDomainRequest]) (*connect.Response[domainspb.ListDomainResponse], error) {
	org, err := s.orgID(req.Msg.GetOrganizationId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, err
	}
	size, number := int(req.Msg.GetPageSize().GetValue()), int(req.Msg.GetPageNumber().GetValue())
	switch {
	case size < 0:
		return nil, invalid("page_size", "must not be negative")
	case number < 0:
		return nil, invalid("page_number", "must not be negative")
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	number = max(number, 1)
	var typ tenant.DomainType
	switch req.Msg.GetDomainType() {
	case domainspb.DomainType_ORGANIZATION_DOMAIN:
		typ = tenant.DomainOrganization
	case domainspb.DomainType_ALLOWED_EMAIL_DOMAIN:
		typ = tenant.DomainAllowedEmail
	}
	l, err := s.a.d.Tenant.ListDomains(org, typ, tenant.Page{Offset: (number - 1) * size, Size: size})
	if err != nil {
		return nil, fromTenant(err)
	}
	out := &domainspb.ListDomainResponse{PageSize: int32(size), PageNumber: int32(number)}
	for _, d := range l.Items {
		out.Domains = append(out.Domains, s.a.domainMsg(d))
	}
	return connect.NewResponse(out), nil
}

func (s *domainService) DeleteDomain(ctx context.Context, req *connect.Request[domainspb.DeleteDomainRequest]) (*connect.Response[emptypb.Empty], error) {
	org, err := s.orgID(req.Msg.GetOrganizationId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, err
	}
	if req.Msg.GetId() == "" {
		return nil, required("id")
	}
	if err := s.a.changed(s.a.d.Tenant.DeleteDomain(org, req.Msg.GetId())); err != nil {
		return nil, err
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (a *API) domainMsg(d tenant.Domain) *domainspb.Domain {
	m := &domainspb.Domain{
		Id:                 d.ID,
		Domain:             d.Name,
		EnvironmentId:      a.d.EnvironmentID,
		OrganizationId:     d.OrgID,
		CreateTime:         ts(d.CreateTime),
		UpdateTime:         ts(d.UpdateTime),
		DomainType:         domainspb.DomainType(domainspb.DomainType_value[string(d.Type)]),
		VerificationStatus: domainspb.VerificationStatus_PENDING,
		VerificationMethod: domainspb.VerificationMethod_DNS,
		// The TXT record a real environment asks the customer to publish;
		// the mock never looks it up.
		TxtRecordKey:    "_scalekit-verification." + d.Name,
		TxtRecordSecret: "scalekit-verification=" + d.ID,
	}
	if d.Verified {
		m.VerificationStatus, m.VerificationMethod = domainspb.VerificationStatus_VERIFIED, domainspb.VerificationMethod_ADMIN
	}
	return m
}
