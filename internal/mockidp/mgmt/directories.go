package mgmt

import (
	"context"
	"encoding/json"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/skctl/skctl/internal/mockidp/tenant"
	dirpb "github.com/skctl/skctl/internal/scalekitpb/directories"
)

// directoryService is DirectoryService: the SCIM directories that
// provision an organization's users and groups.
type directoryService struct{ a *API }

func (s *directoryService) ListDirectories(ctx context.Context, req *connect.Request[dirpb.ListDirectoriesRequest]) (*connect.Response[dirpb.ListDirectoriesResponse], error) {
	if req.Msg.GetOrganizationId() == "" {
		return nil, required("organization_id")
	}
	dirs, err := s.a.d.Tenant.ListDirectories(req.Msg.GetOrganizationId())
	if err != nil {
		return nil, fromTenant(err)
	}
	out := &dirpb.ListDirectoriesResponse{}
	for _, d := range dirs {
		out.Directories = append(out.Directories, s.a.dirMsg(d))
	}
	return connect.NewResponse(out), nil
}

func (s *directoryService) GetDirectory(ctx context.Context, req *connect.Request[dirpb.GetDirectoryRequest]) (*connect.Response[dirpb.GetDirectoryResponse], error) {
	if err := need2(req.Msg.GetOrganizationId(), req.Msg.GetId()); err != nil {
		return nil, err
	}
	d, err := s.a.d.Tenant.Directory(req.Msg.GetOrganizationId(), req.Msg.GetId())
	if err != nil {
		return nil, fromTenant(err)
	}
	return connect.NewResponse(&dirpb.GetDirectoryResponse{Directory: s.a.dirMsg(d)}), nil
}

func (s *directoryService) ListDirectoryUsers(ctx context.Context, req *connect.Request[dirpb.ListDirectoryUsersRequest]) (*connect.Response[dirpb.ListDirectoryUsersResponse], error) {
	in := req.Msg
	d, p, after, err := s.listArgs(in.GetOrganizationId(), in.GetDirectoryId(), in.GetPageSize(), in.GetPageToken(), in.GetUpdatedAfter())
	if err != nil {
		return nil, err
	}
	l, err := s.a.d.Tenant.DirectoryUsers(req.Msg.GetOrganizationId(), req.Msg.GetDirectoryId(), req.Msg.GetDirectoryGroupId(), after, p)
	if err != nil {
		return nil, fromTenant(err)
	}
	groups := map[string]tenant.DirGroup{}
	for _, g := range d.Groups {
		groups[g.ID] = g
	}
	out := &dirpb.ListDirectoryUsersResponse{TotalSize: uint32(l.Total)}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, u := range l.Items {
		m := &dirpb.DirectoryUser{
			Id:                u.ID,
			Email:             u.Email,
			PreferredUsername: u.UserName(),
			GivenName:         u.GivenName,
			FamilyName:        u.FamilyName,
			UpdatedAt:         ts(u.UpdateTime),
			Emails:            u.Emails,
		}
		if len(m.Emails) == 0 {
			m.Emails = nonEmpty(u.Email)
		}
		if in.GetIncludeDetail() {
			m.UserDetail = scimDetail(u.SCIM)
		}
		for _, id := range u.Groups {
			if g, ok := groups[id]; ok {
				m.Groups = append(m.Groups, &dirpb.DirectoryGroup{Id: g.ID, DisplayName: g.DisplayName, UpdatedAt: ts(g.UpdateTime)})
			}
		}
		out.Users = append(out.Users, m)
	}
	return connect.NewResponse(out), nil
}

func (s *directoryService) ListDirectoryGroups(ctx context.Context, req *connect.Request[dirpb.ListDirectoryGroupsRequest]) (*connect.Response[dirpb.ListDirectoryGroupsResponse], error) {
	in := req.Msg
	d, p, after, err := s.listArgs(in.GetOrganizationId(), in.GetDirectoryId(), in.GetPageSize(), in.GetPageToken(), in.GetUpdatedAfter())
	if err != nil {
		return nil, err
	}
	l, err := s.a.d.Tenant.DirectoryGroups(req.Msg.GetOrganizationId(), req.Msg.GetDirectoryId(), after, p)
	if err != nil {
		return nil, fromTenant(err)
	}
	out := &dirpb.ListDirectoryGroupsResponse{TotalSize: uint32(l.Total)}
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, g := range l.Items {
		n := 0
		for _, u := range d.Users {
			for _, id := range u.Groups {
				if id == g.ID {
					n++
				}
			}
		}
		m := &dirpb.DirectoryGroup{Id: g.ID, DisplayName: g.DisplayName, TotalUsers: int32(n), UpdatedAt: ts(g.UpdateTime)}
		if in.GetIncludeDetail() {
			m.GroupDetail = scimDetail(g.SCIM)
		}
		out.Groups = append(out.Groups, m)
	}
	return connect.NewResponse(out), nil
}

// listArgs reads what a list of a directory's users or groups names: the
// directory, the page and updated_after.
func (s *directoryService) listArgs(org, dir string, size uint32, token string, updatedAfter *timestamppb.Timestamp) (tenant.Directory, tenant.Page, time.Time, error) {
	var after time.Time
	if org == "" {
		return tenant.Directory{}, tenant.Page{}, after, required("organization_id")
	}
	if dir == "" {
		return tenant.Directory{}, tenant.Page{}, after, required("directory_id")
	}
	p, err := page(size, token)
	if err != nil {
		return tenant.Directory{}, tenant.Page{}, after, err
	}
	if updatedAfter != nil {
		after = updatedAfter.AsTime()
	}
	d, err := s.a.d.Tenant.Directory(org, dir)
	if err != nil {
		return tenant.Directory{}, tenant.Page{}, after, fromTenant(err)
	}
	return d, p, after, nil
}

func (s *directoryService) EnableDirectory(ctx context.Context, req *connect.Request[dirpb.ToggleDirectoryRequest]) (*connect.Response[dirpb.ToggleDirectoryResponse], error) {
	return s.toggle(req.Msg, true)
}

func (s *directoryService) DisableDirectory(ctx context.Context, req *connect.Request[dirpb.ToggleDirectoryRequest]) (*connect.Response[dirpb.ToggleDirectoryResponse], error) {
	return s.toggle(req.Msg, false)
}

func (s *directoryService) toggle(in *dirpb.ToggleDirectoryRequest, on bool) (*connect.Response[dirpb.ToggleDirectoryResponse], error) {
	if err := need2(in.GetOrganizationId(), in.GetId()); err != nil {
		return nil, err
	}
	d, err := s.a.d.Tenant.SetDirectoryEnabled(in.GetOrganizationId(), in.GetId(), on)
	if err := s.a.changed(err); err != nil {
		return nil, err
	}
	return connect.NewResponse(&dirpb.ToggleDirectoryResponse{Enabled: d.Enabled}), nil
}

func (a *API) dirMsg(d tenant.Directory) *dirpb.Directory {
	var userAt, groupAt time.Time
	for _, u := range d.Users {
		if u.UpdateTime.After(userAt) {
			userAt = u.UpdateTime
		}
	}
	for _, g := range d.Groups {
		if g.UpdateTime.After(groupAt) {
			groupAt = g.UpdateTime
		}
	}
	provider := canonicalProvider(d.Provider)
	return &dirpb.Directory{
		Id:                d.ID,
		Name:              d.Name,
		DirectoryType:     dirpb.DirectoryType(dirpb.DirectoryType_value[d.Type]),
		OrganizationId:    d.OrgID,
		Enabled:           d.Enabled,
		DirectoryProvider: dirpb.DirectoryProvider(dirpb.DirectoryProvider_value[provider]),
		LastSyncedAt:      ts(d.LastSync),
		// Where the organization's IdP pushes SCIM requests.
		DirectoryEndpoint: a.d.Issuer + "/api/v1/directories/" + d.ID + "/scim/v2",
		TotalUsers:        int32(len(d.Users)),
		TotalGroups:       int32(len(d.Groups)),
		Stats: &dirpb.Stats{TotalUsers: int32(len(d.Users)), TotalGroups: int32(len(d.Groups)),
			UserUpdatedAt: ts(userAt), GroupUpdatedAt: ts(groupAt)},
		Status: d.Status,
	}
}

// scimDetail is what include_detail adds to a directory user or group: the
// SCIM document the IdP last wrote, as a Struct; nil for one the fixtures
// made, which no IdP wrote.
func scimDetail(doc string) *structpb.Struct {
	if doc == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(doc), &m) != nil {
		return nil
	}
	st, err := structpb.NewStruct(m)
	if err != nil {
		return nil
	}
	return st
}
