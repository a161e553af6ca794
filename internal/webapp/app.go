// Package webapp is `skctl serve`: Scalekit's "Scalekit & Astro" guide as a
// Go web app, with the security of docs/serve-security.md (cited by row
// ID in comments). It is the relying party; it never imports the mock.
package webapp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/oidcx"
	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/skctl/skctl/internal/session"
	"golang.org/x/oauth2"
)

// Options configure an App.
type Options struct {
	Config *config.Config
	// HTTPClient makes every call to the IdP; nil means
	// oidcx.NewHTTPClient with a 10 s timeout (I1).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// SessionMaxAge bounds how long session cookies live; 0 means 7 days,
	// Scalekit's default absolute session timeout.
	SessionMaxAge time.Duration
	// Metrics counts requests, sign-ins, refreshes and IdP calls, and
	// the handler serves them at /metrics unless Config.MetricsAddr gives
	// them a listener of their own; nil counts nothing.
	Metrics *servemetrics.Metrics
	// Shared is the state shared with the other replicas; nil keeps
	// everything in this process.
	Shared Shared
}

// App is the web app. Its handlers answer 503 until the IdP's discovery
// document has been fetched; /readyz tells when.
type App struct {
	cfg     *config.Config
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	maxAge  time.Duration
	codec   *session.Codec
	cookies session.CookieOptions
	origin  string // scheme://host of the redirect URI: the app's own origin
	// host and port of the redirect URI (the port explicit), for
	// sameServer.
	host, port string

	idp      atomic.Pointer[idp] // nil until discovery succeeds
	fatal    chan error          // a discovery failure retrying cannot fix
	verified verifyCache
	sessions sessionCache
	pages    pageCache // signed-in pages, rendered once each
	refresh  refresher
	shared   Shared     // nil: one process
	revoked  revokedSet // sessions signed out (G3)
	consumed consumedTx // transactions whose callback has run (B3)
	metrics  *servemetrics.Metrics
	handler  http.Handler
}

// idp is everything discovery yields, built once and shared (K1).
type idp struct {
	provider   *oidcx.Provider
	oauth      oauth2.Config
	idVerifier *oidc.IDTokenVerifier
	atVerifier *oidc.IDTokenVerifier
	// scalekit: the IdP is held to Scalekit's rules (scalekitLike), such
	// as JWT access tokens.
	scalekit bool
}

// New builds the app. It does no I/O: Run fetches discovery.
func New(opts Options) (*App, error) {
	c := opts.Config
	if c == nil {
		return nil, errors.New("webapp: no configuration")
	}
	a := &App{cfg: c, client: opts.HTTPClient, log: opts.Logger, now: opts.Now, maxAge: opts.SessionMaxAge, fatal: make(chan error, 1), metrics: opts.Metrics, shared: opts.Shared}
	if a.client == nil {
		a.client = oidcx.NewHTTPClient(nil, 10*time.Second)
	}
	a.client = a.instrumentIdP(a.client)
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxAge <= 0 {
		a.maxAge = 7 * 24 * time.Hour
	}
	var err error
	if a.codec, err = session.NewCodec(c.CookieKeys, a.now, a.maxAge); err != nil {
		return nil, err
	}
	a.cookies = session.CookieOptions{Secure: c.Secure, MaxAge: a.maxAge}
	u, err := url.Parse(c.RedirectURI)
	if err != nil {
		return nil, err
	}
	a.origin = u.Scheme + "://" + u.Host
	a.host, a.port = u.Hostname(), portOf(u.Port(), u.Scheme)
	a.verified.init()
	a.sessions.init()
	a.refresh.init(a.metrics)
	a.revoked.init()
	if a.shared != nil {
		a.shared.OnRevoke(a.revokedElsewhere)
	}
	a.consumed.init()
	a.handler = a.routes()
	return a, nil
}

// Handler serves the app.
func (a *App) Handler() http.Handler { return a.handler }

// URL is where a user opens the app: the redirect URI's origin. The
// transaction cookie lives on that host, so a sign-in started on any
// other name of the app ends in "Sign-in expired".
func (a *App) URL() string { return a.origin + "/" }

// Ready reports whether discovery has succeeded.
func (a *App) Ready() bool { return a.idp.Load() != nil }

// Fatal delivers a configuration error that retrying cannot fix, such as
// an issuer mismatch (C9): the caller should stop.
func (a *App) Fatal() <-chan error { return a.fatal }

// Run fetches discovery until it succeeds or ctx ends, backing off from
// 1 s to 30 s between tries (I3): the app never hangs on a down IdP, and
// /readyz says not-ready meanwhile. An issuer mismatch is not retried.
func (a *App) Run(ctx context.Context) {
	wait := time.Second
	for {
		err := a.discover(ctx)
		if err == nil {
			a.log.Info("discovery done", "issuer", a.cfg.EnvironmentURL)
			return
		}
		var mismatch *oidc.IssuerMismatchError
		var endpoint *oidcx.EndpointError
		switch {
		case errors.As(err, &mismatch):
			a.fatal <- &IssuerMismatchError{Configured: mismatch.Provided, Discovered: mismatch.Discovered}
			return
		case errors.As(err, &endpoint):
			a.fatal <- endpoint
			return
		}
		if ctx.Err() != nil {
			return // stopping: the failure is the stop's, not the IdP's
		}
		a.log.Warn("discovery failed, retrying", "issuer", a.cfg.EnvironmentURL, "in", wait, "reason", safeReason(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (a *App) discover(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.client.Timeout+time.Second)
	defer cancel()
	p, err := oidcx.Discover(ctx, a.client, a.cfg.EnvironmentURL, a.now)
	if err != nil {
		return err
	}
	p.KeySet.Observe(a.jwksFetched)
	// go-oidc has no leeway on exp: verifying against a clock set back by
	// the skew gives one (C7). Scalekit signs with RS256 only (C1).
	skewed := func() time.Time { return a.now().Add(-a.cfg.ClockSkew) }
	algs := []string{oidc.RS256}
	a.idp.Store(&idp{
		provider: p,
		oauth: oauth2.Config{
			ClientID: a.cfg.ClientID, ClientSecret: a.cfg.ClientSecret.Reveal(), RedirectURL: a.cfg.RedirectURI,
			// Every official Scalekit client uses client_secret_post; never
			// auto-detect, which tries Basic first and repeats the request.
			Endpoint: oauth2.Endpoint{AuthURL: p.Meta.AuthorizationEndpoint, TokenURL: p.Meta.TokenEndpoint, AuthStyle: authStyle(a.cfg)},
			Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		},
		idVerifier: oidc.NewVerifier(p.Meta.Issuer, p.KeySet, &oidc.Config{ClientID: a.cfg.ClientID, Now: skewed, SupportedSigningAlgs: algs}),
		atVerifier: oidc.NewVerifier(p.Meta.Issuer, p.KeySet, &oidc.Config{ClientID: a.cfg.ClientID, Now: skewed, SupportedSigningAlgs: algs}),
		scalekit:   scalekitLike(p.Meta.Issuer, &p.Meta),
	})
	return nil
}

// authStyle is client_secret_post unless configured otherwise: never
// auto-detect, which tries Basic first and repeats the request.
func authStyle(c *config.Config) oauth2.AuthStyle {
	if c.TokenAuthBasic {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}

// IssuerMismatchError says the environment URL and the issuer in its
// discovery document differ (C9).
type IssuerMismatchError struct{ Configured, Discovered string }

func (e *IssuerMismatchError) Error() string {
	return "the discovery document of " + e.Configured + " names the issuer " + e.Discovered + ": " + config.IssuerHint(e.Discovered)
}

// oauthContext carries the IdP client for x/oauth2 calls (I1b).
func (a *App) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, a.client)
}
