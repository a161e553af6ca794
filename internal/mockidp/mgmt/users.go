package mgmt

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// userService is UserService: users and their memberships of
// organizations.
type userService struct{ a *API }

func (s *userService) CreateUserAndMembership(ctx context.Context, req *connect.Request[userspb.CreateUserAndMembershipRequest]) (*connect.Response[userspb.CreateUserAndMembershipResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	in := req.Msg.GetUser()
	email := strings.TrimSpace(in.GetEmail())
	switch {
	case in == nil:
		return nil, required("user")
	case email == "":
		return nil, required("user.email")
	case !plausibleEmail(email):
		return nil, invalid("user.email", "is not an email address")
	}
	p := in.GetUserProfile()
	u := tenant.User{
		Email:         email,
		EmailVerified: true,
		ExternalID:    in.GetExternalId(),
		GivenName:     first(p.GetFirstName(), p.GetGivenName()),
		FamilyName:    first(p.GetLastName(), p.GetFamilyName()),
		Name:          p.GetName(),
		Locale:        p.GetLocale(),
		PhoneNumber:   p.GetPhoneNumber(),
		Picture:       p.GetPicture(),
		Metadata:      in.GetMetadata(),
	}
	if u.Name == "" {
		u.Name = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	if err := s.a.checkRoles(in.GetMembership().GetRoles()); err != nil {
		return nil, err
	}
	m := membershipIn(in.GetMembership().GetRoles(), in.GetMembership().GetMetadata())
	invite := req.Msg.GetSendInvitationEmail()
	u, err := s.a.d.Tenant.CreateUserAndMembership(req.Msg.GetOrganizationId(), u, m, invite)
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	if invite {
		s.a.sendInvitation(u.Email, req.Msg.GetOrganizationId())
	}
	return connect.NewResponse(&userspb.CreateUserAndMembershipResponse{User: s.a.userMsg(u)}), nil
}

// userByIdentity finds the user a request names by id or external id.
func (a *API) userByIdentity(id, externalID string) (tenant.User, error) {
	switch {
	case id != "":
		return a.d.Tenant.User(id)
	case externalID != "":
		return a.d.Tenant.UserByExternalID(externalID)
	}
	return tenant.User{}, required("id")
}

func (s *userService) GetUser(ctx context.Context, req *connect.Request[userspb.GetUserRequest]) (*connect.Response[userspb.GetUserResponse], error) {
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&userspb.GetUserResponse{User: s.a.userMsg(u)}), nil
}

func (s *userService) UpdateUser(ctx context.Context, req *connect.Request[userspb.UpdateUserRequest]) (*connect.Response[userspb.UpdateUserResponse], error) {
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	in := req.Msg.GetUser()
	if in == nil {
		return nil, required("user")
	}
	p := in.GetUserProfile()
	u, err = s.a.d.Tenant.UpdateUser(u.ID, func(u *tenant.User) error {
		if in.ExternalId != nil {
			u.ExternalID = in.GetExternalId()
		}
		if len(in.GetMetadata()) > 0 {
			u.Metadata = in.GetMetadata()
		}
		if p == nil {
			return nil
		}
		set := func(dst *string, vals ...*string) {
			for _, v := range vals {
				if v != nil {
					*dst = *v
					return
				}
			}
		}
		set(&u.GivenName, p.FirstName, p.GivenName)
		set(&u.FamilyName, p.LastName, p.FamilyName)
		set(&u.Name, p.Name)
		set(&u.Locale, p.Locale)
		set(&u.PhoneNumber, p.PhoneNumber)
		set(&u.Picture, p.Picture)
		set(&u.PreferredUsername, p.PreferredUsername)
		return nil
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userspb.UpdateUserResponse{User: s.a.userMsg(u)}), nil
}

func (s *userService) DeleteUser(ctx context.Context, req *connect.Request[userspb.DeleteUserRequest]) (*connect.Response[emptypb.Empty], error) {
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	if err := s.a.changed(s.a.d.Tenant.DeleteUser(u.ID)); err != nil {
		return nil, err
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (s *userService) ListUsers(ctx context.Context, req *connect.Request[userspb.ListUsersRequest]) (*connect.Response[userspb.ListUsersResponse], error) {
	p, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	l := s.a.d.Tenant.ListUsers(p)
	out := &userspb.ListUsersResponse{TotalSize: uint32(l.Total)}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, u := range l.Items {
		out.Users = append(out.Users, s.a.userMsg(u))
	}
	return connect.NewResponse(out), nil
}

func (s *userService) ListOrganizationUsers(ctx context.Context, req *connect.Request[userspb.ListOrganizationUsersRequest]) (*connect.Response[userspb.ListOrganizationUsersResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	p, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	l, err := s.a.d.Tenant.ListOrgUsers(req.Msg.GetOrganizationId(), p)
	if err != nil {
		return nil, fromTenant(err)
	}
	out := &userspb.ListOrganizationUsersResponse{TotalSize: uint32(l.Total)}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, u := range l.Items {
		out.Users = append(out.Users, s.a.userMsg(u))
	}
	return connect.NewResponse(out), nil
}

func (s *userService) CreateMembership(ctx context.Context, req *connect.Request[userspb.CreateMembershipRequest]) (*connect.Response[userspb.CreateMembershipResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	if err := s.a.checkRoles(req.Msg.GetMembership().GetRoles()); err != nil {
		return nil, err
	}
	m := membershipIn(req.Msg.GetMembership().GetRoles(), req.Msg.GetMembership().GetMetadata())
	invite := req.Msg.GetSendInvitationEmail()
	u, err = s.a.d.Tenant.CreateMembership(req.Msg.GetOrganizationId(), u.ID, m, invite)
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	if invite {
		s.a.sendInvitation(u.Email, req.Msg.GetOrganizationId())
	}
	return connect.NewResponse(&userspb.CreateMembershipResponse{User: s.a.userMsg(u)}), nil
}

func (s *userService) UpdateMembership(ctx context.Context, req *connect.Request[userspb.UpdateMembershipRequest]) (*connect.Response[userspb.UpdateMembershipResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	in := req.Msg.GetMembership()
	if err := s.a.checkRoles(in.GetRoles()); err != nil {
		return nil, err
	}
	u, err = s.a.d.Tenant.UpdateMembership(req.Msg.GetOrganizationId(), u.ID, func(m *tenant.Membership) error {
		if len(in.GetRoles()) > 0 {
			m.Roles = roleNames(in.GetRoles())
		}
		if len(in.GetMetadata()) > 0 {
			m.Metadata = in.GetMetadata()
		}
		return nil
	})
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userspb.UpdateMembershipResponse{User: s.a.userMsg(u)}), nil
}

func (s *userService) DeleteMembership(ctx context.Context, req *connect.Request[userspb.DeleteMembershipRequest]) (*connect.Response[emptypb.Empty], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	u, err := s.a.userByIdentity(req.Msg.GetId(), req.Msg.GetExternalId())
	if err != nil {
		return nil, fromTenant(err)
	}
	if err := s.a.changed(s.a.d.Tenant.DeleteMembership(req.Msg.GetOrganizationId(), u.ID)); err != nil {
		return nil, err
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (s *userService) ResendInvite(ctx context.Context, req *connect.Request[userspb.ResendInviteRequest]) (*connect.Response[userspb.ResendInviteResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	if req.Msg.GetId() == "" {
		return nil, required("id")
	}
	m, err := s.a.d.Tenant.ResendInvite(req.Msg.GetOrganizationId(), req.Msg.GetId())
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	u, err := s.a.d.Tenant.User(req.Msg.GetId())
	if err != nil {
		return nil, fromTenant(err)
	}
	s.a.sendInvitation(u.Email, m.OrgID)
	inv := &userspb.Invite{OrganizationId: m.OrgID, UserId: u.ID, Status: string(m.Status)}
	if i := m.Invite; i != nil {
		inv.CreatedAt, inv.ExpiresAt, inv.ResentAt = ts(i.CreatedAt), ts(i.ExpiresAt), ts(i.ResentAt)
		inv.ResentCount = int32(i.ResentCount)
		inv.InviterEmail = optional(i.InvitedBy)
	}
	return connect.NewResponse(&userspb.ResendInviteResponse{Invite: inv}), nil
}

// sendInvitation puts the invitation Scalekit would email in the mailbox.
// Its link starts a sign-in of that user into that organization (the
// first sign-in accepts a pending invitation).
func (a *API) sendInvitation(email, orgID string) {
	if a.d.Mail == nil || a.d.InvitationLink == nil {
		return
	}
	name := orgID
	if o, err := a.d.Tenant.Org(orgID); err == nil {
		name = o.DisplayName
	}
	a.d.Mail.Deliver(mailbox.Message{
		To: email, Kind: mailbox.Invitation, Created: a.d.Now(),
		Subject: "You have been invited to " + name,
		Link:    a.d.InvitationLink(email, orgID),
	})
}

// membershipIn is a requested membership: roles by name (the tenant
// applies the default role when none is given).
func membershipIn(roles []*commonspb.Role, metadata map[string]string) tenant.Membership {
	return tenant.Membership{Roles: roleNames(roles), Metadata: metadata}
}

func roleNames(roles []*commonspb.Role) []string {
	var out []string
	for _, r := range roles {
		if n := strings.TrimSpace(r.GetName()); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// checkRoles refuses a role the environment does not define, as Scalekit
// does, naming the field.
func (a *API) checkRoles(roles []*commonspb.Role) error {
	for i, r := range roles {
		if _, ok := a.d.Tenant.Role(r.GetName()); !ok {
			return invalid("membership.roles["+itoa(i)+"].name", "role "+quote(r.GetName())+" is not defined in this environment")
		}
	}
	return nil
}

// userMsg is a user on the wire, with its memberships.
func (a *API) userMsg(u tenant.User) *userspb.User {
	m := &userspb.User{
		Id:            u.ID,
		EnvironmentId: a.d.EnvironmentID,
		CreateTime:    ts(u.CreateTime),
		UpdateTime:    ts(u.UpdateTime),
		Email:         u.Email,
		ExternalId:    optional(u.ExternalID),
		Metadata:      u.Metadata,
		LastLoginTime: ts(u.LastLogin),
		UserProfile: &commonspb.UserProfile{
			Id:                u.ID,
			GivenName:         u.GivenName,
			FamilyName:        u.FamilyName,
			FirstName:         u.GivenName,
			LastName:          u.FamilyName,
			Name:              u.Name,
			Locale:            u.Locale,
			EmailVerified:     u.EmailVerified,
			PhoneNumber:       u.PhoneNumber,
			Picture:           u.Picture,
			PreferredUsername: u.PreferredUsername,
			Metadata:          u.Metadata,
		},
	}
	for _, ms := range u.Memberships {
		om := &commonspb.OrganizationMembership{
			OrganizationId:   ms.OrgID,
			JoinTime:         ts(ms.CreateTime),
			MembershipStatus: commonspb.MembershipStatus(commonspb.MembershipStatus_value[string(ms.Status)]),
			Metadata:         ms.Metadata,
			CreatedAt:        ts(ms.CreateTime),
			AcceptedAt:       ts(ms.AcceptTime),
			Permissions:      a.d.Tenant.Permissions(ms),
		}
		if o, err := a.d.Tenant.Org(ms.OrgID); err == nil {
			om.Name, om.DisplayName = optional(o.DisplayName), optional(o.DisplayName)
		}
		if ms.Invite != nil {
			om.ExpiresAt = ts(ms.Invite.ExpiresAt)
			om.InviterEmail = optional(ms.Invite.InvitedBy)
		}
		for _, r := range ms.Roles {
			role := &commonspb.Role{Name: r, DisplayName: r}
			if def, ok := a.d.Tenant.Role(r); ok && def.DisplayName != "" {
				role.DisplayName = def.DisplayName
			}
			om.Roles = append(om.Roles, role)
		}
		m.Memberships = append(m.Memberships, om)
	}
	return m
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// plausibleEmail is the check Scalekit's own form makes: one @ with
// something on both sides and a dot in the domain.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t\r\n<>")
}

func quote(s string) string { return `"` + s + `"` }
