package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/spf13/cobra"
)

type devOptions struct {
	addr, idpAddr, fixtures, stateDir, autoLogin string
	global                                       *globalOptions
}

func newDevCmd(d *Deps, g *globalOptions, runF func(context.Context, *devOptions) error) *cobra.Command {
	o := &devOptions{global: g}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the web app against a built-in mock Scalekit environment, in one command",
		Long: `dev runs skctl serve and skctl mock-idp in one process: the web app on
--addr, signing users in against a local Scalekit environment on --idp-addr
seeded with the default fixtures. Open the app's URL and sign in by picking
a user; nothing else is needed.

It stops gracefully on SIGINT or SIGTERM.`,
		Example: `  skctl dev
  skctl dev --addr localhost:8080 --auto-login ada@acme.test`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runDev(cmd.Context(), d, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", config.DefaultAddr, "address of the web app")
	f.StringVar(&o.idpAddr, "idp-addr", DefaultMockAddr, "address of the built-in mock IdP")
	f.StringVar(&o.fixtures, "fixtures", "", "fixtures file of the mock IdP (default: the embedded fixtures/default.yaml)")
	f.StringVar(&o.stateDir, "state-dir", "", "directory that keeps the mock IdP's key, sessions, organizations and users across restarts")
	f.StringVar(&o.autoLogin, "auto-login", "", "email of a seeded user to sign in without the sign-in page")
	return cmd
}

func runDev(ctx context.Context, d *Deps, o *devOptions) error {
	log := o.global.logger(d)
	appLn, err := d.Listen("tcp", o.addr)
	if err != nil {
		return usageErrorf("dev: listen on %s: %w (pick another address with --addr)", o.addr, err)
	}
	defer appLn.Close()
	origin := "http://" + appHost(o.addr, appLn.Addr())
	redirect := origin + config.CallbackPath

	// The mock registers the app's actual callback, whatever port it got.
	fx, err := loadFixtures(&mockIDPOptions{fixtures: o.fixtures, redirectURIs: []string{redirect}, postLogoutURIs: []string{origin + "/"}})
	if err != nil {
		return err
	}
	idpLn, err := d.Listen("tcp", o.idpAddr)
	if err != nil {
		return usageErrorf("dev: listen on %s: %w (pick another address for the mock IdP with --idp-addr)", o.idpAddr, err)
	}
	defer idpLn.Close()
	idp, err := mockidp.New(mockidp.Options{Issuer: "http://" + idpLn.Addr().String(), Fixtures: fx, StateDir: o.stateDir,
		AutoLogin: o.autoLogin, Now: d.Now, Logger: log.With("component", "mock-idp")})
	if err != nil {
		return &usageError{fmt.Errorf("dev: %w", err)}
	}
	idpServer := &server{name: "dev-idp", ln: idpLn, hs: idp.HTTPServer(),
		readyAttrs: []any{"issuer", idp.Issuer(), "state_dir", o.stateDir}, fatal: idp.LoadKey, close: idp.Close}

	mockApp := idp.DefaultApp()
	settings := map[string]string{
		config.EnvEnvironmentURL: idp.Issuer(), config.EnvClientID: mockApp.ClientID,
		config.EnvClientSecret: mockApp.ClientSecret, config.EnvRedirectURI: redirect, config.EnvAddr: o.addr,
	}
	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) { v, ok := settings[k]; return v, ok }})
	if err != nil {
		idp.Close()
		return &usageError{fmt.Errorf("dev: %w", err)}
	}
	// dev serves /metrics on the app's address, as serve does by default.
	app, err := newApp(ctx, d, log, "dev", appLn, cfg, 10*time.Second, servemetrics.New())
	if err != nil {
		idp.Close()
		return err
	}
	fmt.Fprintf(d.Stdout, "skctl dev: open %s/ and sign in.\n  app       %s/\n  mock IdP  %s (users: %s)\n",
		origin, origin, idp.Issuer(), strings.Join(userEmails(fx), ", "))
	// The IdP first: the app's discovery starts at once, against it. Both
	// stop together, each bounded by the shutdown timeout, so a request
	// hung in the mock (net.hang) cannot hold Ctrl-C.
	return serveAll(ctx, d, log, idpServer, app)
}

// appHost is the host:port the browser uses for the app: the --addr host
// (localhost by default, as the guide's redirect URI) with the port the
// listener got.
func appHost(addr string, bound net.Addr) string {
	host, _, _ := net.SplitHostPort(addr)
	_, port, _ := net.SplitHostPort(bound.String())
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func userEmails(fx *fixture.Fixtures) []string {
	var out []string
	for _, u := range fx.Users {
		out = append(out, u.Email)
	}
	return out
}
