package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/webhook"
	"github.com/spf13/cobra"
)

// DefaultMockAddr is where `skctl mock-idp` listens without --addr.
const DefaultMockAddr = "127.0.0.1:4400"

type mockIDPOptions struct {
	addr, issuer, fixtures, stateDir, autoLogin string
	clientID, clientSecret                      string
	redirectURIs, postLogoutURIs, scenarios     []string
	strict, remoteControl                       bool
	maxSessions                                 int
	canary                                      string
	webhookURLs                                 []string
	webhookSecret                               string
	lifetimes                                   mockidp.Lifetimes
	global                                      *globalOptions
}

func newMockIDPCmd(d *Deps, g *globalOptions, runF func(context.Context, *mockIDPOptions) error) *cobra.Command {
	o := &mockIDPOptions{global: g}
	cmd := &cobra.Command{
		Use:   "mock-idp",
		Short: "Run a local Scalekit environment for development and CI",
		Long: `mock-idp runs a local Scalekit environment: the paths, tokens, claims, ID
formats and errors of the real service, so that an app built on Scalekit's
SDKs (or any OIDC client) signs users in against it unchanged.

The same port serves Scalekit's management API (organizations, users and
memberships, sessions, domains, connections, directories, passwordless), the
gRPC the SDKs call beside sign-in, over the same organizations and users: a
user created through the API signs in, and a sign-up is visible to the API.
GET /__mock/export saves that state as a fixtures file; GET /__mock/mail
shows the emails it would have sent.

Every change (an organization created, a sign-up, a sign-in, a membership…)
is an event of one of Scalekit's webhook types. --webhook-url delivers them to
the app as Scalekit does: signed, retried, in order; /__mock/webhooks shows
each delivery and resends it. Without --webhook-secret a secret is generated
and printed with the settings.

On start it prints the settings to paste into the app's .env (four, and
SCALEKIT_WEBHOOK_SECRET with webhooks). Users are
picked on a sign-in page; --auto-login, or a login_hint naming a seeded user,
signs in with no page, for CI. The seed data (organizations, users, apps) is
fixtures/default.yaml unless --fixtures names another file.

It stops gracefully on SIGINT or SIGTERM, saving its state to --state-dir.`,
		Example: `  # Start with the default fixtures and paste the output into .env
  skctl mock-idp

  # CI: sign every request in as one user, keep keys and sessions across restarts
  skctl mock-idp --auto-login ada@acme.test --state-dir .skctl-mock

  # Failure drills: any app pointed at http://127.0.0.1:4400/idt.nonce_wrong
  # gets ID tokens with a wrong nonce; or switch modes on at the root
  skctl mock-idp --scenario token.slow=3s --scenario jwks.status=503

  # Deliver webhooks to the app; paste SCALEKIT_WEBHOOK_SECRET into .env too
  skctl mock-idp --webhook-url http://localhost:3000/api/webhooks

  # Register your app's own client and callback
  skctl mock-idp --client-id skc_123 --client-secret s3cret \
    --redirect-uri http://localhost:3000/auth/callback`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runMockIDP(cmd.Context(), d, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", DefaultMockAddr, "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.issuer, "issuer", "", "public environment URL when behind a proxy (default http://<addr>)")
	f.StringVar(&o.fixtures, "fixtures", "", "YAML or JSON file of organizations, users and apps (default: the embedded fixtures/default.yaml)")
	f.StringVar(&o.stateDir, "state-dir", "", "directory that keeps the signing key, sessions, refresh tokens, the organizations and users (tenant.json) and undelivered webhooks across restarts")
	f.StringVar(&o.autoLogin, "auto-login", "", "email of a seeded user to sign in without the sign-in page (CI)")
	f.StringVar(&o.clientID, "client-id", "", "client ID of the default app (the first app of the fixtures)")
	f.StringVar(&o.clientSecret, "client-secret", "", "client secret of the default app")
	f.StringArrayVar(&o.redirectURIs, "redirect-uri", nil, "redirect URI of the default app, replacing the fixtures' (repeatable)")
	f.StringArrayVar(&o.postLogoutURIs, "post-logout-redirect-uri", nil, "post-logout redirect URI of the default app, replacing the fixtures' (repeatable)")
	f.StringVar(&o.canary, "canary", "", "a marker put in every token, code, refresh token and error description, to prove an app never logs or shows them")
	f.BoolVar(&o.remoteControl, "allow-remote-control", false, "let clients other than loopback use the /__mock control endpoints")
	f.IntVar(&o.maxSessions, "max-sessions", store.DefaultMaxSessions, "IdP sessions kept at most; past it the longest idle are evicted with their refresh tokens (counted as sessions.evicted in /__mock/requests)")
	f.BoolVar(&o.strict, "strict", false, "check the app's requests as the OpenID conformance suite does (violations in /__mock/requests?log=1)")
	f.StringArrayVar(&o.webhookURLs, "webhook-url", nil, "an endpoint of the app to deliver the environment's events to, signed as Scalekit's webhooks (repeatable; the log is at /__mock/webhooks)")
	f.StringVar(&o.webhookSecret, "webhook-secret", "", "signing secret of the --webhook-url endpoints: whsec_ and a base64 key (default: generated, kept in --state-dir, printed as SCALEKIT_WEBHOOK_SECRET)")
	f.StringArrayVar(&o.scenarios, "scenario", nil, "a mode (e.g. idt.nonce_wrong, token.slow=3s) or named set of the fixtures to switch on at the root (repeatable; see mock-idp scenarios)")
	f.DurationVar(&o.lifetimes.AccessToken, "access-token-ttl", 5*time.Minute, "access token lifetime")
	f.DurationVar(&o.lifetimes.IDToken, "id-token-ttl", 30*time.Minute, "ID token lifetime")
	f.DurationVar(&o.lifetimes.Code, "code-ttl", 10*time.Minute, "authorization code lifetime")
	f.DurationVar(&o.lifetimes.M2MToken, "m2m-token-ttl", 86399*time.Second, "client_credentials token lifetime")
	f.DurationVar(&o.lifetimes.SessionAbsolute, "session-ttl", 7*24*time.Hour, "IdP session absolute lifetime (refresh tokens die with it)")
	f.DurationVar(&o.lifetimes.SessionIdle, "session-idle-ttl", 24*time.Hour, "IdP session idle timeout")
	cmd.MarkFlagFilename("fixtures", "yaml", "yml", "json")
	cmd.MarkFlagDirname("state-dir")
	cmd.AddCommand(newScenariosCmd(d), newRotateKeysCmd(d), newTriggerCmd(d))
	return cmd
}

func runMockIDP(ctx context.Context, d *Deps, o *mockIDPOptions) error {
	log := o.global.logger(d)
	if strings.Trim(o.canary, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return usageErrorf("--canary %q: use letters, digits, _ and - only (it goes into URLs)", o.canary)
	}
	fx, err := loadFixtures(o)
	if err != nil {
		return err
	}
	hooks, hookSecret, err := webhookEndpoints(o, log)
	if err != nil {
		return err
	}
	ln, err := d.Listen("tcp", o.addr)
	if err != nil {
		return usageErrorf("mock-idp: listen on %s: %w (pick another port with --addr, or 127.0.0.1:0 for any free one)", o.addr, err)
	}
	defer ln.Close()
	issuer := o.issuer
	if issuer == "" {
		issuer = "http://" + ln.Addr().String()
	}
	if mockidp.UsesMode(o.scenarios, fx, fault.NetTLSSelfsigned) {
		cfg, err := mockidp.SelfSignedTLS()
		if err != nil {
			return err
		}
		ln = tls.NewListener(ln, cfg)
		if o.issuer == "" {
			issuer = "https://" + ln.Addr().String()
		}
	}
	srv, err := mockidp.New(mockidp.Options{
		Issuer: issuer, Fixtures: fx, StateDir: o.stateDir, AutoLogin: o.autoLogin,
		Lifetimes: o.lifetimes, Now: d.Now, Logger: log, Scenarios: o.scenarios, Strict: o.strict, MaxSessions: o.maxSessions, Canary: o.canary, AllowRemoteControl: o.remoteControl,
		Webhooks: hooks,
	})
	if err != nil {
		return &usageError{fmt.Errorf("mock-idp: %w", err)}
	}
	app := srv.DefaultApp()
	redirect := ""
	if len(app.RedirectURIs) > 0 {
		redirect = app.RedirectURIs[0]
	}
	// The settings go to stdout so that `skctl mock-idp > .env` works; logs
	// go to stderr. The secret is the mock's own, printed on purpose.
	fmt.Fprintf(d.Stdout, "SCALEKIT_ENVIRONMENT_URL=%s\nSCALEKIT_CLIENT_ID=%s\nSCALEKIT_CLIENT_SECRET=%s\nSCALEKIT_REDIRECT_URI=%s\n",
		srv.Issuer(), app.ClientID, app.ClientSecret, redirect)
	if hookSecret != "" {
		fmt.Fprintf(d.Stdout, "SCALEKIT_WEBHOOK_SECRET=%s\n", hookSecret)
	}
	return serveAll(ctx, d, log, &server{name: "mock-idp", ln: ln, hs: srv.HTTPServer(),
		readyAttrs: []any{"issuer", srv.Issuer(), "state_dir", o.stateDir}, fatal: srv.LoadKey, close: srv.Close})
}

// webhookEndpoints checks --webhook-url and --webhook-secret and returns
// the endpoints with their one secret: the given one, or one kept in
// --state-dir (so the app's setting survives a restart, as the
// undelivered webhooks do), or a new one.
func webhookEndpoints(o *mockIDPOptions, log *slog.Logger) ([]webhook.Endpoint, string, error) {
	if len(o.webhookURLs) == 0 {
		if o.webhookSecret != "" {
			return nil, "", usageErrorf("mock-idp: --webhook-secret needs --webhook-url: it signs the webhooks sent there (fixtures' webhooks have their own secret)")
		}
		return nil, "", nil
	}
	for _, u := range o.webhookURLs {
		if err := webhook.CheckURL(u); err != nil {
			return nil, "", usageErrorf("mock-idp: --webhook-url: %v", err)
		}
	}
	secret := o.webhookSecret
	switch {
	case secret != "":
		if err := webhook.CheckSecret(secret); err != nil {
			return nil, "", usageErrorf("mock-idp: --webhook-%v", err) // "secret: want whsec_…"
		}
	case o.stateDir != "":
		var created bool
		var err error
		if secret, created, err = mockidp.StateWebhookSecret(o.stateDir); err != nil {
			return nil, "", usageErrorf("mock-idp: --state-dir: %w", err)
		}
		if created {
			log.Info("webhook signing secret generated: printed as SCALEKIT_WEBHOOK_SECRET and kept in the state directory", "file", mockidp.WebhookSecretFile)
		}
	default:
		secret = webhook.NewSecret()
	}
	eps := make([]webhook.Endpoint, len(o.webhookURLs))
	for i, u := range o.webhookURLs {
		eps[i] = webhook.Endpoint{URL: u, Secret: secret}
	}
	return eps, secret, nil
}

func loadFixtures(o *mockIDPOptions) (*fixture.Fixtures, error) {
	var fx *fixture.Fixtures
	var err error
	if o.fixtures != "" {
		fx, err = fixture.Load(o.fixtures)
	} else {
		fx, err = fixture.Default()
	}
	if err == nil {
		err = fx.OverrideDefaultApp(o.clientID, o.clientSecret, o.redirectURIs, o.postLogoutURIs)
	}
	if err != nil {
		return nil, &usageError{fmt.Errorf("mock-idp: %w", err)}
	}
	return fx, nil
}
