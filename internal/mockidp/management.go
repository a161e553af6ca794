package mockidp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/mgmt"
	"github.com/skctl/skctl/internal/mockidp/observe"
	"github.com/skctl/skctl/internal/mockidp/store"
)

// newManagementAPI builds the environment's management API over the same
// tenant and IdP sessions the sign-in flow uses: the API and the sign-in
// page are two doors into one environment.
func (s *Server) newManagementAPI() *mgmt.API {
	tokens := &apiTokens{keys: s.keys, issuer: s.issuer}
	d := mgmt.Deps{
		Tenant:           s.tenant,
		Sessions:         apiSessions{s},
		Authorize:        func(token string) (string, error) { return s.authorizeAPI(tokens, token) },
		Issuer:           s.issuer,
		EnvironmentID:    ids.Stable("env_", s.issuer),
		Mail:             &s.mail,
		Events:           s.events,
		Passwordless:     s.mailLimit,
		PasswordlessType: s.opts.Fixtures.PasswordlessType(),
		InvitationLink:   s.invitationLink,
		Now:              s.now,
		NewID:            s.ids.New,
		Log:              s.log,
	}
	if s.opts.StateDir != "" {
		d.Persist = s.persistTenant
	}
	return mgmt.New(d)
}

// invitationLink is where an invitation sends the invited user: the
// default app's Initiate login URL (Scalekit sends accepted invitations
// to the app's), with login_hint and organization_id for the app to pass
// on to the authorization request, so that the first sign-in accepts the
// invitation; without one, the mock's own page, which accepts it and
// signs the user in to the environment (invitation.go).
func (s *Server) invitationLink(email, orgID string) string {
	app := s.DefaultApp()
	if app.InitiateLoginURI != "" {
		if u, err := url.Parse(app.InitiateLoginURI); err == nil {
			q := u.Query()
			q.Set("organization_id", orgID)
			q.Set("login_hint", email)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return s.acceptLink(email, orgID)
}

// grpcCounter names a procedure's counter in /__mock/requests:
// grpc.scalekit.v1.users.UserService/GetUser.
func grpcCounter(procedure string) observe.Counter {
	return observe.Counter("grpc." + strings.TrimPrefix(procedure, "/"))
}

// unimplementedCounter counts the calls of procedures the mock does not
// serve.
const unimplementedCounter observe.Counter = "grpc.unimplemented"

// serveAPI answers a management API call: counted by procedure, with the
// grpc.* drills and the net.* ones applied first.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	c := grpcCounter(r.URL.Path)
	if !s.api.Serves(r.URL.Path) {
		c = unimplementedCounter
	}
	s.withAPIDrills(w, r, c, s.api)
}

// withAPIDrills counts and logs a management API call, gRPC or REST,
// applies the net.* and grpc.* drills, then has h answer it. A grpc.*
// refusal reaches the procedure as a status its interceptor answers
// with, so that each caller gets it in its own protocol.
func (s *Server) withAPIDrills(w http.ResponseWriter, r *http.Request, c observe.Counter, h http.Handler) {
	s.plane.counts.Add(c)
	r = s.plane.log.Record(r, s.now())
	client := bearerClient(r)
	w, finish, done := s.drills.Intercept(w, r, client)
	if done {
		return
	}
	defer finish()
	if s.drills.Active() {
		code, done := s.drills.GRPC(w, r, client)
		if done {
			return
		}
		if code != 0 {
			r = r.WithContext(mgmt.WithRefusal(r.Context(), code))
		}
	}
	h.ServeHTTP(w, r)
}

// bearerClient is the client_id claim of a request's bearer token, read
// without verifying it: it only scopes faults armed for one client.
func bearerClient(r *http.Request) string {
	return userinfoClient(r)
}

// authorizeAPI admits a bearer token this environment issued by the
// client_credentials grant to one of its own clients. A user's access
// token is not a management credential, and an organization's M2M client
// calls the app's APIs, not Scalekit's.
func (s *Server) authorizeAPI(tokens *apiTokens, token string) (string, error) {
	claims, err := tokens.verify(token)
	if err != nil {
		return "", err
	}
	exp := claims.exp
	if exp == 0 || !s.now().Before(time.Unix(int64(exp), 0)) {
		return "", mgmt.ErrExpired
	}
	client := claims.client
	if sub := claims.sub; client == "" || sub != client {
		return "", errors.New("not a client_credentials token")
	}
	app := s.dir.Client(client)
	switch {
	case app == nil:
		return "", errors.New("no such client")
	case app.Organization != "" || strings.HasPrefix(client, "m2morg_"):
		return "", mgmt.ErrForbidden
	}
	return client, nil
}

// apiSessions is the session API's view of the IdP sessions: the live
// ones, and the ended ones the store still keeps.
type apiSessions struct{ s *Server }

func (a apiSessions) info(ses store.Session) mgmt.SessionInfo {
	return mgmt.SessionInfo{
		ID: ses.ID, UserID: ses.UserID, OrgID: ses.OrgID, Status: mgmt.SessionActive,
		Created: ses.AuthTime, LastActive: ses.LastSeen,
		IdleExpires: ses.LastSeen.Add(a.s.life.SessionIdle), Expires: ses.Expires,
		UserAgent: ses.UserAgent, IP: ses.IP, Clients: ses.Clients,
	}
}

func (a apiSessions) endedInfo(e store.EndedSession) mgmt.SessionInfo {
	info := a.info(e.Session)
	info.Status, info.Ended = mgmt.SessionStatus(e.Reason), e.EndedAt
	return info
}

func (a apiSessions) Session(id string) (mgmt.SessionInfo, bool) {
	if ses := a.s.store.PeekSession(id, a.s.now(), a.s.life.SessionIdle); ses != nil {
		return a.info(*ses), true
	}
	if e, ok := a.s.store.Ended(id); ok {
		return a.endedInfo(e), true
	}
	if ses := a.s.store.PeekExpired(id, a.s.now(), a.s.life.SessionIdle); ses != nil {
		return a.expiredInfo(*ses), true
	}
	return mgmt.SessionInfo{}, false
}

// expiredInfo reports a timed-out session, expired at the earlier of its
// idle and absolute timeouts.
func (a apiSessions) expiredInfo(ses store.Session) mgmt.SessionInfo {
	info := a.info(ses)
	info.Status, info.Ended = mgmt.SessionExpired, info.Expires
	if info.IdleExpires.Before(info.Expires) {
		info.Ended = info.IdleExpires
	}
	return info
}

func (a apiSessions) OfUser(userID string) []mgmt.SessionInfo {
	var out []mgmt.SessionInfo
	for _, ses := range a.s.store.SessionsOfUser(userID, a.s.now(), a.s.life.SessionIdle) {
		out = append(out, a.info(ses))
	}
	for _, ses := range a.s.store.ExpiredOfUser(userID, a.s.now(), a.s.life.SessionIdle) {
		out = append(out, a.expiredInfo(ses))
	}
	for _, e := range a.s.store.EndedOfUser(userID) {
		out = append(out, a.endedInfo(e))
	}
	return out
}

func (a apiSessions) End(id string) (mgmt.SessionInfo, bool) {
	ses := a.s.store.PeekSession(id, a.s.now(), a.s.life.SessionIdle)
	if ses == nil || !a.s.store.EndSession(id, store.EndRevoked) {
		return mgmt.SessionInfo{}, false
	}
	a.s.sessionsEnded(id)
	info := a.info(*ses)
	info.Status, info.Ended = mgmt.SessionRevoked, a.s.now()
	return info, true
}

func (a apiSessions) EndAllOfUser(userID string) []mgmt.SessionInfo {
	live := a.s.store.SessionsOfUser(userID, a.s.now(), a.s.life.SessionIdle)
	a.s.sessionsEnded(a.s.store.EndSessionsOfUser(userID)...)
	now := a.s.now()
	out := make([]mgmt.SessionInfo, 0, len(live))
	for _, ses := range live {
		info := a.info(ses)
		info.Status, info.Ended = mgmt.SessionRevoked, now
		out = append(out, info)
	}
	return out
}

// persistTenant makes a management API change durable before it is
// answered: the tenant, the IdP sessions a revocation ended, and the
// webhook deliveries of the change's events.
func (s *Server) persistTenant() error {
	if err := s.tenant.Persist(s.opts.StateDir); err != nil {
		return err
	}
	if err := s.store.Persist(s.opts.StateDir); err != nil {
		return err
	}
	return s.persistWebhooks()
}
