package mockidp

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/httpx"
	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/mgmt"
	"github.com/skctl/skctl/internal/mockidp/observe"
	"github.com/skctl/skctl/internal/mockidp/scim"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// route is one endpoint of the environment (docs/scalekit-contract.md §2).
// The table of routes is the one place an endpoint is added: the router,
// the request counters, the scenario names an environment refuses, the
// request log and the discovery document all read it.
type route struct {
	path string
	// methods are the methods allowed ("GET, POST"); "" when the handler
	// answers other methods itself.
	methods string
	handle  func(*Server, http.ResponseWriter, *http.Request)
	// counter counts the endpoint's requests in /__mock/requests; "" for
	// none.
	counter observe.Counter
	// outage is the group of outage modes the endpoint has, applied before
	// the handler runs.
	outage fault.Group
	fail   fault.StatusWriter // how an outage's status is answered; nil: JSON
	// quiet routes are counted but not logged: apps fetch them constantly.
	quiet bool
	// client tells which client a request is for, to scope the faults
	// armed for one client; nil means requestClient.
	client func(*http.Request) string
	// advertise puts the endpoint's URL in the discovery document.
	advertise func(d *wire.Discovery, url string)
}

// refreshCounter counts refresh grants, which share the token endpoint.
const refreshCounter observe.Counter = "refresh.requests"

// routeTable returns the environment's endpoints, the key set at the path
// the drills chose.
func (s *Server) routeTable() map[string]*route {
	logout := route{methods: "GET, POST", handle: (*Server).handleLogout, counter: "logout.requests",
		outage: fault.LogoutOutage, fail: s.logoutOutagePage, client: logoutClient}
	table := []route{
		{path: "/.well-known/openid-configuration", methods: "GET", handle: (*Server).handleDiscovery,
			counter: "discovery.requests", outage: fault.DiscoveryOutage, quiet: true},
		{path: s.drills.KeysPath(), methods: "GET", handle: (*Server).handleKeys,
			counter: "jwks.requests", outage: fault.KeysOutage, quiet: true,
			advertise: func(d *wire.Discovery, u string) { d.JWKSURI = u }},
		{path: "/oauth/authorize", methods: "GET, POST", handle: (*Server).handleAuthorize, counter: "authorize.requests",
			advertise: func(d *wire.Discovery, u string) { d.AuthorizationEndpoint = u }},
		{path: "/oauth/login", methods: "POST", handle: (*Server).handleLogin},
		{path: passwordlessPath, methods: "POST", handle: (*Server).handlePasswordless},
		{path: magicLinkPath, methods: "GET", handle: (*Server).handleMagicLink},
		{path: invitationPath, methods: "GET", handle: (*Server).handleInvitation},
		// The token endpoint answers other methods itself, as JSON; its
		// outage comes after client authentication, by grant.
		{path: "/oauth/token", handle: (*Server).handleToken, counter: "token.requests",
			advertise: func(d *wire.Discovery, u string) { d.TokenEndpoint = u }},
		{path: "/userinfo", methods: "GET, POST", handle: (*Server).handleUserinfo, counter: "userinfo.requests",
			outage: fault.UserinfoOutage, client: userinfoClient, advertise: func(d *wire.Discovery, u string) { d.UserinfoEndpoint = u }},
		with(logout, "/oidc/logout", func(d *wire.Discovery, u string) { d.EndSessionEndpoint = u }),
		with(logout, "/end_session", nil), // the 2024 path
		{path: "/", methods: "GET", handle: (*Server).handleIndex},
	}
	m := make(map[string]*route, len(table))
	for i := range table {
		m[table[i].path] = &table[i]
	}
	return m
}

func with(r route, path string, advertise func(*wire.Discovery, string)) route {
	r.path, r.advertise = path, advertise
	return r
}

// counters are the request counters of the table, the refresh grant's,
// and one per management API procedure.
func counters(routes map[string]*route, procedures []string) *observe.Counters {
	names := []observe.Counter{refreshCounter, unimplementedCounter, scimCounter, restCounter}
	for _, p := range procedures {
		names = append(names, grpcCounter(p))
	}
	for _, r := range routes {
		if r.counter != "" {
			names = append(names, r.counter)
		}
	}
	return observe.NewCounters(names...)
}

// reserved reports whether a scenario environment at /<name> would shadow
// a path of the environment: the first segment of a route, or the control
// endpoints'.
func (s *Server) reserved(name string) bool {
	if name == "__mock" || name == strings.Trim(mgmt.PortalPath, "/") || name == restRoot {
		return true
	}
	for path := range s.routes {
		if first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/"); first != "" && first == name {
			return true
		}
	}
	return false
}

// dispatch sends each request to its route by the exact path. A ServeMux
// would clean the path first, turning //oauth/token into a redirect (a 301
// turns the Go SDK's POST into a GET, docs/scalekit-contract.md §1).
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	rt := s.routes[r.URL.Path]
	switch path := r.URL.Path; {
	case rt != nil:
	case mgmt.IsProcedure(path):
		s.serveAPI(w, r)
		return
	case scim.Match(path): // a directory's SCIM endpoint, before any other /api/v1/ route
		s.serveSCIM(w, r)
		return
	// Scalekit's REST API; isRESTPath never claims a SCIM path anyway.
	case isRESTPath(path):
		s.serveREST(w, r)
		return
	case strings.HasPrefix(path, mgmt.PortalPath): // the admin portal checks its methods itself
		s.withFaults(w, s.recordPortal(r), nil, s.handlePortal)
		return
	case strings.HasPrefix(path, "//"):
		s.withFaults(w, s.plane.record(r, nil), nil, doubleSlash)
		return
	case strings.HasPrefix(path, "/__mock/") && !s.opts.child:
		s.plane.handleControl(w, r) // exempt from the net.* modes, to stay in control
		return
	default:
		if s.plane.serveScenario(w, r) { // the scenario's own modes apply there
			return
		}
		s.withFaults(w, s.plane.record(r, nil), nil, http.NotFound)
		return
	}
	s.withFaults(w, s.plane.record(r, rt), rt, func(w http.ResponseWriter, r *http.Request) { rt.handle(s, w, r) })
}

// withFaults runs h with the net.* modes applied, then the method check,
// then the route's outage: a request the endpoint would refuse with 405
// never meets (nor uses up) an outage.
func (s *Server) withFaults(w http.ResponseWriter, r *http.Request, rt *route, h http.HandlerFunc) {
	client := requestClient
	if rt != nil && rt.client != nil {
		client = rt.client
	}
	w, answered := s.plane.log.Answered(w, r)
	defer answered()
	w, finish, done := s.drills.Intercept(w, r, requestClient(r))
	if done {
		return
	}
	defer finish()
	if rt != nil && rt.methods != "" && !methodAllowed(r.Method, rt.methods) {
		w.Header().Set("Allow", rt.methods)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if rt != nil && s.drills.Active() && s.drills.Outage(w, r, rt.outage, client(r), rt.fail) {
		return
	}
	h(w, r)
}

// requestClient is the client a request names, when it is cheap to tell:
// client_id in the query or an already parsed form, or the Basic user. It
// scopes faults armed for one client; "" matches every armed fault.
func requestClient(r *http.Request) string {
	if c := r.URL.Query().Get("client_id"); c != "" {
		return c
	}
	if r.PostForm != nil {
		if c := r.PostForm.Get("client_id"); c != "" {
			return c
		}
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return ""
}

// logoutClient is the client_id of a logout request, in its query or its
// form body, which it parses (bounded) for the handler too.
func logoutClient(r *http.Request) string {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return ""
	}
	return r.Form.Get("client_id")
}

// userinfoClient is the client_id claim of a userinfo request's bearer
// token, read without verifying it: it only scopes faults, and the handler
// verifies the token.
func userinfoClient(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	_, payload, _ := strings.Cut(strings.TrimSpace(token), ".")
	payload, _, _ = strings.Cut(payload, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var c struct {
		ClientID string `json:"client_id"`
	}
	json.Unmarshal(raw, &c)
	return c.ClientID
}

func doubleSlash(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "404 page not found: the path starts with //, so the app's SCALEKIT_ENVIRONMENT_URL ends with a slash: remove the trailing slash", http.StatusNotFound)
}

// methodAllowed reports whether method is in allow ("GET, POST"); HEAD
// goes wherever GET does.
func methodAllowed(method, allow string) bool {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return slices.Contains(strings.Split(allow, ", "), method)
}

// recoverPanics turns a panic in a handler into a logged 500 rather than a
// dropped connection. http.ErrAbortHandler goes on to net/http, which
// drops the connection as it is meant to (the *.reset modes).
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if v != nil {
				log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error in skctl mock-idp", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests logs one line per request: method, path, status, time and
// the SDK headers of docs/scalekit-contract.md §15. Never the query string
// or a header value that could hold a secret: queries carry codes, state
// and tokens.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &httpx.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(sw, r) // the recorder passes flushes and hijacks through
		attrs := []any{"method", r.Method, "path", portalLogPath(r.URL.Path), "status", sw.Status, "duration", time.Since(start).Round(time.Microsecond)}
		if v := r.Header.Get("X-Sdk-Version"); v != "" {
			attrs = append(attrs, "sdk", v)
		}
		s.log.Info("request", attrs...)
	})
}
