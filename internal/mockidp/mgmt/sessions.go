package mgmt

import (
	"context"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"

	sessionspb "github.com/skctl/skctl/internal/scalekitpb/sessions"
)

// SessionStatus is a session's status as the SDKs document it.
type SessionStatus string

const (
	SessionActive  SessionStatus = "active"
	SessionRevoked SessionStatus = "revoked" // by the session API, or its user or membership deleted
	SessionLogout  SessionStatus = "logout"  // the user signed out
	SessionExpired SessionStatus = "expired" // timed out, idle or in all
)

// SessionInfo is an IdP session as the session API reports it.
type SessionInfo struct {
	ID, UserID, OrgID    string
	Status               SessionStatus
	Ended                time.Time // when it was revoked or logged out; zero while active
	Created, LastActive  time.Time
	IdleExpires, Expires time.Time
	UserAgent, IP        string
	Clients              []string // the apps that signed in with it
}

// Sessions is what the session API needs of the environment's IdP
// sessions: the same sessions /oidc/logout ends and refresh grants check,
// so that a revoked session's next refresh is invalid_grant.
type Sessions interface {
	// Session is a live session, or an ended one still kept.
	Session(id string) (SessionInfo, bool)
	// OfUser lists a user's live sessions, newest first, then the ended
	// ones still kept.
	OfUser(userID string) []SessionInfo
	// End ends a session and returns what it was.
	End(id string) (SessionInfo, bool)
	// EndAllOfUser ends every session of a user.
	EndAllOfUser(userID string) []SessionInfo
}

// sessionService is SessionService: the "active sessions" screens and
// forced sign-out.
type sessionService struct{ a *API }

func (s *sessionService) GetSession(ctx context.Context, req *connect.Request[sessionspb.SessionDetailsRequest]) (*connect.Response[sessionspb.SessionDetails], error) {
	if req.Msg.GetSessionId() == "" {
		return nil, required("session_id")
	}
	ses, ok := s.a.d.Sessions.Session(req.Msg.GetSessionId())
	if !ok {
		return nil, withInfo(connect.CodeNotFound, "session "+req.Msg.GetSessionId()+" not found: it never existed, or it ended long enough ago to be forgotten", nil)
	}
	return connect.NewResponse(sessionMsg(ses)), nil
}

func (s *sessionService) GetUserSessions(ctx context.Context, req *connect.Request[sessionspb.UserSessionDetailsRequest]) (*connect.Response[sessionspb.UserSessionDetails], error) {
	if req.Msg.GetUserId() == "" {
		return nil, required("user_id")
	}
	if _, err := s.a.d.Tenant.User(req.Msg.GetUserId()); err != nil {
		return nil, fromTenant(err)
	}
	p, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	f := req.Msg.GetFilter()
	all := s.a.d.Sessions.OfUser(req.Msg.GetUserId())
	all = slices.DeleteFunc(all, func(ses SessionInfo) bool {
		if len(f.GetStatus()) > 0 && !slices.ContainsFunc(f.GetStatus(), func(st string) bool {
			return strings.EqualFold(st, string(ses.Status))
		}) {
			return true
		}
		if t := f.GetStartTime(); t != nil && ses.Created.Before(t.AsTime()) {
			return true
		}
		if t := f.GetEndTime(); t != nil && ses.Created.After(t.AsTime()) {
			return true
		}
		return false
	})
	out := &sessionspb.UserSessionDetails{TotalSize: uint32(len(all))}
	l := window(all, p)
	out.NextPageToken, out.PrevPageToken = tokens(p, l)
	for _, ses := range l.Items {
		out.Sessions = append(out.Sessions, sessionMsg(ses))
	}
	return connect.NewResponse(out), nil
}

func (s *sessionService) RevokeSession(ctx context.Context, req *connect.Request[sessionspb.RevokeSessionRequest]) (*connect.Response[sessionspb.RevokeSessionResponse], error) {
	if req.Msg.GetSessionId() == "" {
		return nil, required("session_id")
	}
	ses, ok := s.a.d.Sessions.End(req.Msg.GetSessionId())
	if !ok {
		return nil, withInfo(connect.CodeNotFound, "session "+req.Msg.GetSessionId()+" not found, or it has already ended", nil)
	}
	if err := s.a.changed(nil); err != nil {
		return nil, err
	}
	return connect.NewResponse(&sessionspb.RevokeSessionResponse{RevokedSession: revokedMsg(ses)}), nil
}

func (s *sessionService) RevokeAllUserSessions(ctx context.Context, req *connect.Request[sessionspb.RevokeAllUserSessionsRequest]) (*connect.Response[sessionspb.RevokeAllUserSessionsResponse], error) {
	if req.Msg.GetUserId() == "" {
		return nil, required("user_id")
	}
	if _, err := s.a.d.Tenant.User(req.Msg.GetUserId()); err != nil {
		return nil, fromTenant(err)
	}
	ended := s.a.d.Sessions.EndAllOfUser(req.Msg.GetUserId())
	if err := s.a.changed(nil); err != nil {
		return nil, err
	}
	out := &sessionspb.RevokeAllUserSessionsResponse{TotalRevoked: uint32(len(ended))}
	for _, ses := range ended {
		out.RevokedSessions = append(out.RevokedSessions, revokedMsg(ses))
	}
	return connect.NewResponse(out), nil
}

func sessionMsg(ses SessionInfo) *sessionspb.SessionDetails {
	m := &sessionspb.SessionDetails{
		SessionId:                  ses.ID,
		UserId:                     ses.UserID,
		OrganizationId:             ses.OrgID,
		AuthenticatedOrganizations: nonEmpty(ses.OrgID),
		CreatedAt:                  ts(ses.Created),
		UpdatedAt:                  ts(ses.LastActive),
		LastActiveAt:               ts(ses.LastActive),
		IdleExpiresAt:              ts(ses.IdleExpires),
		AbsoluteExpiresAt:          ts(ses.Expires),
		Status:                     string(ses.Status),
		Device:                     &sessionspb.DeviceDetails{UserAgent: ses.UserAgent, Ip: ses.IP},
	}
	switch {
	case ses.Status == SessionExpired:
		m.ExpiredAt = ts(ses.Ended)
	case !ses.Ended.IsZero():
		m.UpdatedAt, m.LogoutAt = ts(ses.Ended), ts(ses.Ended)
		m.IdleExpiresAt, m.AbsoluteExpiresAt = nil, nil
		m.ExpiredAt = ts(ses.Ended)
	}
	for _, c := range ses.Clients {
		m.AuthenticatedClients = append(m.AuthenticatedClients, &sessionspb.AuthenticatedClients{ClientId: c, OrganizationId: ses.OrgID})
	}
	return m
}

func revokedMsg(ses SessionInfo) *sessionspb.RevokedSessionDetails {
	return &sessionspb.RevokedSessionDetails{
		SessionId:         ses.ID,
		UserId:            ses.UserID,
		CreatedAt:         ts(ses.Created),
		UpdatedAt:         ts(ses.Ended),
		IdleExpiresAt:     ts(ses.IdleExpires),
		AbsoluteExpiresAt: ts(ses.Expires),
		ExpiredAt:         ts(ses.Ended),
		LogoutAt:          ts(ses.Ended),
		LastActiveAt:      ts(ses.LastActive),
		Status:            string(SessionRevoked),
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
