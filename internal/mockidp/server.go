// Package mockidp is a local Scalekit environment: the paths, token
// shapes, claims, ID formats and errors of the real service
// (docs/scalekit-contract.md), so that an app built on Scalekit's SDKs or
// any OIDC client signs users in against it unchanged.
//
// The package is the HTTP surface of one environment, and reads as the
// faithful mock: its state is in package store, its seed in package
// fixture, its messages in package wire. The failure drills (package
// fault) change it only at the points of the Drills seam, and the
// observation and control of drills (/__mock, scenario environments) are
// in control.go and scenarios.go.
package mockidp

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/mgmt"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
	"github.com/skctl/skctl/internal/mockidp/portal"
	"github.com/skctl/skctl/internal/mockidp/rest"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/webhook"
)

// Options configure a Server. Only Issuer is required.
type Options struct {
	// Issuer is the environment URL, as apps see it: scheme and host, no
	// path and no trailing slash (docs/scalekit-contract.md §1).
	Issuer string
	// Fixtures seed the environment; nil means the embedded default.
	Fixtures *fixture.Fixtures
	// StateDir, when set, keeps the signing key, IdP sessions, codes,
	// refresh tokens and the tenant (organizations, users, …) across
	// restarts.
	StateDir string
	// AutoLogin is the email of a user to sign in without showing the page,
	// for CI.
	AutoLogin string
	Lifetimes Lifetimes
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
	// SweepEvery and SaveEvery pace the background sweep of expired state
	// and the save of changed state to StateDir. Zero means 1 min and 1 s.
	SweepEvery, SaveEvery time.Duration
	// Scenarios are modes ("idt.nonce_wrong", "token.slow=3s") or named
	// sets of the fixtures, switched on at the root environment.
	Scenarios []string
	// Canary, when set, is put in every token (the skmock_canary claim),
	// code, refresh token and error description, so a test can assert it
	// never reaches an app's logs or pages (J2).
	Canary string
	// AllowRemoteControl lets clients other than loopback use the
	// /__mock control endpoints (for a mock bound to another address).
	AllowRemoteControl bool
	// ReadTimeout bounds how long a client may take to send a whole
	// request to HTTPServer's server; zero means 30 s.
	ReadTimeout time.Duration
	// MaxSessions caps the IdP sessions kept; past it the longest idle
	// are evicted, with their refresh tokens. Zero means 10,000.
	MaxSessions int
	// SigningKey, when set, is the key material of the environment's
	// first signing key (unless StateDir holds one already), under a kid
	// of its own; rotations make new keys. For Go tests that start many
	// environments: making an RSA key costs tens of milliseconds of CPU.
	// nil: a new key.
	SigningKey *rsa.PrivateKey
	// Strict makes the environment check the app's requests as the OpenID
	// conformance suite does; violations show in /__mock/requests?log=1.
	Strict bool
	// Webhooks are endpoints to deliver the environment's events to,
	// besides the fixtures' (docs/webhooks.md); WebhookPolicy tunes the
	// attempts (zero: 10 s each, three retries after 1 s, 5 s and 25 s).
	Webhooks      []webhook.Endpoint
	WebhookPolicy webhook.Policy
	// child marks a scenario environment at /<name> of a root one.
	child bool
}

// Lifetimes of what the mock issues. Zero values take Scalekit's defaults
// (docs/scalekit-contract.md §9).
type Lifetimes struct {
	Code            time.Duration // 10 min
	AccessToken     time.Duration // 5 min
	IDToken         time.Duration // 30 min
	M2MToken        time.Duration // 86399 s
	SessionAbsolute time.Duration // 7 days
	SessionIdle     time.Duration // 24 h
}

func (l *Lifetimes) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.Code, 10*time.Minute)
	def(&l.AccessToken, 5*time.Minute)
	def(&l.IDToken, 30*time.Minute)
	def(&l.M2MToken, 86399*time.Second)
	def(&l.SessionAbsolute, 7*24*time.Hour)
	def(&l.SessionIdle, 24*time.Hour)
}

// Server is one mock Scalekit environment.
type Server struct {
	issuer     string
	cookieName string
	secure     bool // the issuer is https: cookies get Secure
	life       Lifetimes
	now        func() time.Time
	log        *slog.Logger
	autoLogin  string
	opts       Options

	store *store.Store
	// tenant is the organizations, users and the rest, which the sign-in
	// flow and the management API share (tenant.go).
	tenant *tenant.Tenant
	dir    *store.Apps // the apps (OAuth clients)
	// api is the management API, over the same state; mail holds the
	// emails the environment would send.
	api *mgmt.API
	// rest serves the same API over REST (/api/v1/…, restapi.go).
	rest *rest.Handler
	mail mailbox.Box
	// mailLimit counts each address's passwordless emails, from the API
	// and the sign-in page together; signinMail holds the sign-in page's
	// codes and links (signinmail.go); inviteKey signs the invitation
	// links the mock's own page accepts (invitation.go).
	mailLimit  *passwordless.Limiter
	signinMail *passwordless.Store
	inviteKey  []byte
	// portals are the admin portal's sessions (portal.go).
	portals *portal.Sessions
	// events is the log of the tenant's changes and the IdP sessions'
	// starts and ends (events.go).
	events *events.Log
	keys   *store.Keyring
	ids    ids.Gen

	// webhooks delivers the events to the app's endpoints (webhooks.go).
	webhooks *webhook.Dispatcher

	routes    map[string]*route
	discovery []byte // the faithful document, served while no mode is on
	handler   http.Handler

	// drills is the seam to the failure modes; plane observes and
	// controls them (counters, request log, scenario environments).
	drills Drills
	plane  *plane

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New checks the options, loads or makes the signing key and the state, and
// starts the background sweep (and saves, with a StateDir).
func New(opts Options) (*Server, error) {
	issuer, err := checkIssuer(opts.Issuer, opts.child)
	if err != nil {
		return nil, err
	}
	fx := opts.Fixtures
	if fx == nil {
		if fx, err = fixture.Default(); err != nil {
			return nil, fmt.Errorf("embedded fixtures: %w", err)
		}
	}
	start, err := resolveScenarios(opts.Scenarios, fx)
	if err != nil {
		return nil, err
	}
	if opts.child && hasMode(start, fault.NetTLSSelfsigned) {
		return nil, fmt.Errorf("net.tls_selfsigned changes how the mock listens: use it with --scenario at the root")
	}
	s := &Server{
		issuer:    issuer,
		secure:    strings.HasPrefix(issuer, "https://"),
		life:      opts.Lifetimes,
		log:       opts.Logger,
		autoLogin: strings.ToLower(strings.TrimSpace(opts.AutoLogin)),
		opts:      opts,
		portals:   portal.NewSessions(),
		stop:      make(chan struct{}),
	}
	s.opts.Fixtures = fx
	// Browsers do not separate cookies by port, so two mocks on one host
	// need different names (docs/scalekit-contract.md §11).
	sum := sha256.Sum256([]byte(issuer))
	s.cookieName = "skmock_session_" + hex.EncodeToString(sum[:4])
	s.life.setDefaults()
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	base := opts.Now
	if base == nil {
		base = time.Now
	}
	// Each environment has its own clock, which drills may move.
	s.now = func() time.Time { return base().Add(s.drills.Offset()) }
	if opts.StateDir != "" {
		if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("--state-dir: %w", err)
		}
	}
	s.keys = store.NewKeyring(opts.StateDir, &s.ids, s.now, opts.SigningKey)
	drills := fault.New(fault.Config{Issuer: issuer, Start: start, Keys: s.keys, Log: s.log, Stop: s.stop})
	s.drills = drills
	s.store = store.New(fx, s.now)
	s.store.SetMaxSessions(opts.MaxSessions)
	s.store.SetIdle(s.life.SessionIdle)
	s.dir = s.store.Apps()
	if opts.StateDir != "" {
		if err := s.store.Load(opts.StateDir); err != nil {
			return nil, err
		}
	}
	if err := s.openTenant(fx); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	if err := s.checkScenarioSets(fx); err != nil {
		return nil, err
	}
	s.mailLimit = passwordless.NewLimiter()
	s.signinMail = passwordless.NewStore(s.mailLimit)
	s.inviteKey = newInviteKey()
	if err := s.openEvents(); err != nil { // and the management API
		return nil, err
	}
	if err := s.openWebhooks(fx); err != nil {
		return nil, err
	}
	if s.rest, err = s.newRESTAPI(); err != nil {
		return nil, fmt.Errorf("REST API: %w", err)
	}
	s.plane = newPlane(s, drills)
	s.discovery = s.encodeDiscovery(s.discoveryDocument())
	s.handler = s.logRequests(recoverPanics(s.log, http.HandlerFunc(s.dispatch)))

	sweepEvery, saveEvery := opts.SweepEvery, opts.SaveEvery
	if sweepEvery <= 0 {
		sweepEvery = time.Minute
	}
	if saveEvery <= 0 {
		saveEvery = time.Second
	}
	s.wg.Add(1)
	go s.background(sweepEvery, saveEvery)
	return s, nil
}

// checkIssuer enforces the issuer rule: scheme and host only
// (docs/scalekit-contract.md §1); a scenario environment adds its /<name>.
func checkIssuer(raw string, child bool) (string, error) {
	u, err := url.Parse(raw)
	if child && err == nil {
		u.Path = ""
	}
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", fmt.Errorf("issuer %q: want an absolute http(s) URL such as http://127.0.0.1:4400", raw)
	case u.Path == "/":
		return "", fmt.Errorf("issuer %q: remove the trailing slash: Scalekit SDKs would build %s//oauth/authorize", raw, strings.TrimSuffix(raw, "/"))
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("issuer %q: a Scalekit environment URL is scheme and host only, with no path, query or user", raw)
	}
	return raw, nil
}

// Issuer returns the environment URL.
func (s *Server) Issuer() string { return s.issuer }

// Handler serves the environment's endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// DefaultApp returns the first app of the fixtures, the one whose settings
// `skctl mock-idp` prints for the user's .env.
func (s *Server) DefaultApp() fixture.App { return *s.dir.Apps()[0] }

// LoadKey loads (or makes) the signing key now rather than on first use,
// in the background, and reports why it could not (a damaged key file in
// StateDir). The channel never fires when the key is good. Call it once
// the server serves: discovery does not need the key, so start-up does
// not wait for it.
func (s *Server) LoadKey() <-chan error {
	c := make(chan error, 1)
	go func() {
		if err := s.keys.Wait(); err != nil {
			c <- err
		}
	}()
	return c
}

// Stats counts the sessions, codes and tokens held now.
func (s *Server) Stats() store.Stats { return s.store.Stats() }

// Sweep drops expired codes, sessions, refresh tokens and pages now, rather
// than at the next tick.
func (s *Server) Sweep() { s.store.Sweep(s.now(), s.life.SessionIdle) }

// Close stops the background work and saves the state to StateDir. The
// caller shuts the HTTP server down first, so no request changes the state
// after it is saved.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.plane.closeScenarios()
		close(s.stop)
		s.wg.Wait()
		s.closeWebhooks()
		if s.opts.StateDir != "" {
			s.closeErr = s.saveState()
		}
	})
	return s.closeErr
}

func (s *Server) background(sweepEvery, saveEvery time.Duration) {
	defer s.wg.Done()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	var save <-chan time.Time
	if s.opts.StateDir != "" {
		t := time.NewTicker(saveEvery)
		defer t.Stop()
		save = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-sweep.C:
			s.Sweep()
		case <-save:
			// Grants are saved before they are answered (persist); the
			// rest (sessions touched, sign-ups, pages) is saved on this
			// tick, so a crash loses at most SaveEvery of those, a graceful
			// stop nothing.
			if err := s.saveState(); err != nil {
				s.log.Error("saving state", "err", err)
			}
		}
	}
}
