// Package mgmt is Scalekit's management API as the mock serves it: the
// gRPC services the SDKs call on the environment URL itself
// (/scalekit.v1.<pkg>.<Service>/<Method>), over the environment's tenant.
// The handlers are connect-go's, which take gRPC over HTTP/1.1 (the Go
// SDK on http://) as well as over HTTP/2 (Node, always); every other
// /scalekit.v1.* procedure answers Unimplemented with its name.
//
// Auth is Scalekit's: a call without a valid bearer token of this
// environment is answered Unauthenticated with an ErrorInfo, which is
// what makes the Node SDK fetch a client_credentials token and retry.
package mgmt

import (
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/scalekitpb/auth/passwordless/passwordlesspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/connections/connectionspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/directories/directoriespbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/domains/domainspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/events/eventspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/sessions/sessionspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// Deps is what the API needs of its environment.
type Deps struct {
	Tenant   *tenant.Tenant
	Sessions Sessions
	// Authorize checks a call's bearer token (without "Bearer "), and
	// returns the client it was issued to.
	Authorize func(token string) (clientID string, err error)
	// Issuer is the environment URL, for the links the API returns.
	Issuer string
	// EnvironmentID is the env_… ID the API reports objects under.
	EnvironmentID string
	// Persist makes every change so far durable before a change is
	// answered (--state-dir); nil when the environment keeps no state.
	Persist func() error
	// InvitationLink is the link of an invitation email: where the
	// invited user starts signing in to the organization.
	InvitationLink func(email, orgID string) string
	// Mail receives the emails Scalekit would send.
	Mail *mailbox.Box
	// Events is the environment's event log, which EventsService lists.
	Events *events.Log
	// Passwordless counts the passwordless emails to each address; the
	// environment shares it with its sign-in page, since an address's
	// limit covers every email it is sent. nil: the API's own.
	Passwordless *passwordless.Limiter
	// PasswordlessType is what the environment's passwordless emails
	// carry (the fixtures' passwordless.type); "" leaves it to the call:
	// LINK_OTP with a magiclink_auth_uri, OTP without.
	PasswordlessType passwordless.Type
	Now              func() time.Time
	// NewID makes Scalekit-shaped IDs (prefix + 17 digits).
	NewID func(prefix string) string
	Log   *slog.Logger
}

// API serves the management API's procedures.
type API struct {
	d Deps
	// procs are the handlers of the served procedures, by path
	// ("/scalekit.v1.users.UserService/GetUser"). A connect service
	// handler answers its service's other methods with a 404 page, which
	// the SDKs would report as "HTTP 404": those go to unimplemented.
	procs map[string]http.Handler
	// services are the full names of the served services, in the order
	// they were mounted.
	services []string
	opts     connect.HandlerOption
	pwl      *passwordless.Store
	portal   *portalLinks
}

// New builds the API's handlers.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{d: d, procs: map[string]http.Handler{}, pwl: passwordless.NewStore(d.Passwordless), portal: newPortalLinks()}
	a.opts = connect.WithHandlerOptions(
		connect.WithInterceptors(a.authInterceptor()),
		// Requests are small; a hostile one must not make the mock
		// allocate more than this.
		connect.WithReadMaxBytes(maxRequestBytes),
	)
	a.mount(organizationspbconnect.NewOrganizationServiceHandler(&orgService{a: a}, a.opts))
	a.mount(userspbconnect.NewUserServiceHandler(&userService{a: a}, a.opts))
	a.mount(sessionspbconnect.NewSessionServiceHandler(&sessionService{a: a}, a.opts))
	a.mount(domainspbconnect.NewDomainServiceHandler(&domainService{a: a}, a.opts))
	a.mount(connectionspbconnect.NewConnectionServiceHandler(&connectionService{a: a}, a.opts))
	a.mount(directoriespbconnect.NewDirectoryServiceHandler(&directoryService{a: a}, a.opts))
	a.mount(passwordlesspbconnect.NewPasswordlessServiceHandler(&passwordlessService{a: a}, a.opts))
	a.mount(eventspbconnect.NewEventsServiceHandler(&eventsService{a: a}, a.opts))
	return a
}

// maxRequestBytes bounds a request message.
const maxRequestBytes = 1 << 20

// mount registers a service handler for each method its descriptor
// declares.
func (a *API) mount(path string, h http.Handler) {
	name := protoreflect.FullName(strings.Trim(path, "/"))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		panic("mgmt: service " + string(name) + " is not registered: " + err.Error())
	}
	a.services = append(a.services, string(name))
	methods := d.(protoreflect.ServiceDescriptor).Methods()
	for i := range methods.Len() {
		a.procs[path+string(methods.Get(i).Name())] = h
	}
}

// Procedures lists the served procedures, sorted, for the request
// counters and the docs.
func (a *API) Procedures() []string {
	return slices.Sorted(maps.Keys(a.procs))
}

// Services lists the full names of the served services
// (scalekit.v1.users.UserService), for the REST API, which transcodes
// those and no other.
func (a *API) Services() []string { return slices.Clone(a.services) }

// IsProcedure reports whether a path is a management API procedure's:
// every Scalekit service lives under the scalekit.v1 package.
func IsProcedure(path string) bool {
	return strings.HasPrefix(path, "/scalekit.v1.")
}

// ServeHTTP answers a procedure. One the mock does not serve gets
// Unimplemented naming it, in whichever protocol the caller speaks.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := a.procs[r.URL.Path]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	a.unimplemented(r.URL.Path).ServeHTTP(w, r)
}

// Serves reports whether the mock serves a procedure.
func (a *API) Serves(path string) bool { return a.procs[path] != nil }
