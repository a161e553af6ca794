package mockidp

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
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
		Tenant:        s.tenant,
		Sessions:      apiSessions{s},
		Authorize:     func(token string) (string, error) { return s.authorizeAPI(tokens, token) },
		Issuer:        s.issuer,
		EnvironmentID: ids.Stable("env_", s.issuer),
		Mail:          &s.mail,
		Now:           s.now,
		NewID:         s.ids.New,
		Log:           s.log,
	}
	if s.opts.StateDir != "" {
		d.Persist = s.persistTenant
	}
	return mgmt.New(d)
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
	s.api.ServeHTTP(w, r)
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

// apiTokens remembers the bearer tokens the management API has verified,
// so that an SDK's calls, which all carry the same client_credentials
// token, pay for the RS256 signature check (and the JWS and JSON parsing)
// once rather than on every call: it was 40% of the mock's own time on a
// GetOrganization, and kept it below 0.8 of a bare connect-go handler
// (scripts/bench-mgmt.sh). An entry holds only the claims the signature
// vouched for; expiry and the client are still checked on every call. The
// entries are dropped whenever the published keys change (a rotation, a
// retired key's overlap ending), so a token of a key no longer published
// is refused at once, as before.
type apiTokens struct {
	keys   *store.Keyring
	issuer string

	mu   sync.Mutex
	jwks []byte // the /keys document the entries were verified under
	seen map[string]apiClaims
}

// apiClaims are the claims of a verified token that authorizeAPI reads.
type apiClaims struct {
	exp         float64
	client, sub string
}

// maxAPITokens bounds apiTokens: past it, it starts again empty.
const maxAPITokens = 1024

// verify checks a token's signature and issuer, or finds it checked under
// the keys published now.
func (c *apiTokens) verify(token string) (apiClaims, error) {
	jwks, err := c.keys.JWKS()
	if err != nil {
		return apiClaims{}, err
	}
	c.mu.Lock()
	if !bytes.Equal(c.jwks, jwks) {
		c.jwks, c.seen = jwks, nil
	}
	v, ok := c.seen[token]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	claims, err := c.keys.Verify(token, c.issuer)
	if err != nil {
		return apiClaims{}, err
	}
	v.exp, _ = claims["exp"].(float64)
	v.client, _ = claims["client_id"].(string)
	v.sub, _ = claims["sub"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(c.jwks, jwks) { // the keys changed meanwhile
		return v, nil
	}
	if c.seen == nil || len(c.seen) >= maxAPITokens {
		c.seen = map[string]apiClaims{}
	}
	c.seen[token] = v
	return v, nil
}

// apiSessions is the session API's view of the IdP sessions.
type apiSessions struct{ s *Server }

func (a apiSessions) info(ses store.Session) mgmt.SessionInfo {
	return mgmt.SessionInfo{
		ID: ses.ID, UserID: ses.UserID, OrgID: ses.OrgID,
		Created: ses.AuthTime, LastActive: ses.LastSeen,
		IdleExpires: ses.LastSeen.Add(a.s.life.SessionIdle), Expires: ses.Expires,
		UserAgent: ses.UserAgent, IP: ses.IP, Clients: ses.Clients,
	}
}

func (a apiSessions) Session(id string) (mgmt.SessionInfo, bool) {
	ses := a.s.store.PeekSession(id, a.s.now(), a.s.life.SessionIdle)
	if ses == nil {
		return mgmt.SessionInfo{}, false
	}
	return a.info(*ses), true
}

func (a apiSessions) OfUser(userID string) []mgmt.SessionInfo {
	var out []mgmt.SessionInfo
	for _, ses := range a.s.store.SessionsOfUser(userID, a.s.now(), a.s.life.SessionIdle) {
		out = append(out, a.info(ses))
	}
	return out
}

func (a apiSessions) End(id string) (mgmt.SessionInfo, bool) {
	ses, ok := a.Session(id)
	if !ok || !a.s.store.EndSession(id) {
		return mgmt.SessionInfo{}, false
	}
	return ses, true
}

func (a apiSessions) EndAllOfUser(userID string) []mgmt.SessionInfo {
	sessions := a.OfUser(userID)
	a.s.store.EndSessionsOfUser(userID)
	return sessions
}

// persistTenant makes a management API change durable before it is
// answered: the tenant, and the IdP sessions a revocation ended.
func (s *Server) persistTenant() error {
	if err := s.tenant.Persist(s.opts.StateDir); err != nil {
		return err
	}
	return s.store.Persist(s.opts.StateDir)
}
