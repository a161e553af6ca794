package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/skctl/skctl/internal/webapp"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	config     configFlags
	idpTimeout time.Duration
	global     *globalOptions
	cmd        *cobra.Command
}

func newServeCmd(d *Deps, g *globalOptions, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{global: g}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web app that signs users in with Scalekit",
		Long: `serve runs Scalekit's "Scalekit & Astro" guide as a Go web app:
/api/auth/login, /api/auth/callback, /api/auth/logout, a session middleware
that validates and refreshes tokens, a /dashboard for signed-in users, and
/metrics for Prometheus (on --metrics-addr instead, when it is set).

Settings come from flags, then the environment, then the .env file
(--env-file), then defaults:
` + settingsHelp() + `
Unlike the guide it uses state, nonce and PKCE, keeps the tokens in
encrypted cookies, and checks every token's signature, issuer, audience
and expiry (the README says what else it does differently, and why).

It stops gracefully on SIGINT or SIGTERM.`,
		Example: `  # Against a real environment, settings in ./.env
  skctl serve

  # Against a local mock: skctl mock-idp prints the settings
  skctl mock-idp > .env & skctl serve`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd = cmd
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runServe(cmd.Context(), d, o)
		},
	}
	o.config.add(cmd)
	cmd.Flags().DurationVar(&o.idpTimeout, "idp-timeout", 10*time.Second, "timeout of each call to the IdP (discovery, keys, token)")
	return cmd
}

func settingsHelp() string {
	s := ""
	for _, st := range config.Settings() {
		flag := "(environment only)"
		if st.Flag != "" {
			flag = "--" + st.Flag
		}
		s += fmt.Sprintf("  %-34s %s\n", st.Env, flag)
	}
	return s
}

// configFlags are the flags that mirror config.Settings, shared by serve
// and check-config.
type configFlags struct {
	envFile string
	values  map[string]*string // by variable name
}

// add adds a flag for each setting that has one, and --env-file.
func (c *configFlags) add(cmd *cobra.Command) {
	c.values = map[string]*string{}
	f := cmd.Flags()
	f.StringVar(&c.envFile, "env-file", ".env", "the .env file to read settings from (a missing default ./.env is fine)")
	for _, s := range config.Settings() {
		if s.Flag == "" {
			continue
		}
		v := new(string)
		c.values[s.Env] = v
		f.StringVar(v, s.Flag, "", s.Meaning+" ($"+s.Env+")")
	}
	cmd.MarkFlagFilename("env-file", "env")
}

// sources are where the settings come from: the flags the user set, the
// environment, the .env file.
func (c *configFlags) sources(d *Deps, cmd *cobra.Command) config.Sources {
	src := config.Sources{LookupEnv: d.LookupEnv, Environ: d.Environ, EnvFile: c.envFile, EnvFileExplicit: cmd.Flags().Changed("env-file"), Flags: map[string]string{}}
	for _, s := range config.Settings() {
		if s.Flag != "" && cmd.Flags().Changed(s.Flag) {
			src.Flags[s.Env] = *c.values[s.Env]
		}
	}
	return src
}

func runServe(ctx context.Context, d *Deps, o *serveOptions) error {
	src := o.config.sources(d, o.cmd)
	log := o.global.logger(d)
	strays, err := config.Strays(src)
	if err != nil {
		return &usageError{err}
	}
	// Before Load, so that a misspelt setting is named even when it leaves
	// the configuration valid (a misspelt SKCTL_USERINFO falls back to
	// its default).
	logStrays(log, strays)
	cfg, err := config.Load(src)
	if err != nil {
		return &usageError{err}
	}
	if f := config.EnvironmentURLAdvice(cfg.EnvironmentURL); f != nil {
		// A warning, not a refusal: discovery decides (its issuer check
		// fails, with the value to set, if Scalekit's issuer has no slash).
		log.Warn(config.EnvEnvironmentURL+" "+f.Message, "hint", f.Hint)
	}
	ln, err := d.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageErrorf("serve: listen on %s: %w (pick another address with --addr or SKCTL_ADDR)", cfg.Addr, err)
	}
	defer ln.Close()
	// The metrics' own listener, when they have one, is bound before
	// anything runs, so that a taken port stops serve at once.
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = d.Listen("tcp", cfg.MetricsAddr); err != nil {
			return usageErrorf("serve: listen on %s for /metrics: %w (pick another address with --metrics-addr or SKCTL_METRICS_ADDR, or leave it unset to serve /metrics on --addr)", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}
	metrics := servemetrics.New()
	app, err := newApp(ctx, d, log, "serve", ln, cfg, o.idpTimeout, metrics)
	if err != nil {
		return err
	}
	servers := []*server{app}
	if metricsLn != nil {
		servers = append(servers, metricsServer(metricsLn, metrics))
	}
	return serveAll(ctx, d, log, servers...)
}

// metricsServer serves /metrics alone on ln (SKCTL_METRICS_ADDR): an
// address a deployment keeps off the public one.
func metricsServer(ln net.Listener, m *servemetrics.Metrics) *server {
	return &server{name: "metrics", ln: ln, hs: &http.Server{
		Handler: m.ServeMux(), MaxHeaderBytes: 64 << 10,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
	}, readyAttrs: []any{"path", servemetrics.Path}}
}

// logStrays warns of each variable that is probably a misspelt setting,
// and mentions the others of skctl's namespaces, which may belong to
// another program.
func logStrays(log *slog.Logger, strays []config.Stray) {
	for _, s := range strays {
		if s.Likely {
			log.Warn("not a setting skctl reads", "variable", s.Name, "in", s.In, "did_you_mean", s.Nearest)
		} else {
			log.Info("not a setting skctl reads; ignored", "variable", s.Name, "in", s.In, "nearest", s.Nearest)
		}
	}
}

// newApp returns the web app's server on ln, calling the IdP through
// d.Transport and counting into metrics. It fetches discovery in the background until ctx ends; the
// server is ready (its log says so, /readyz answers 200) once discovery
// is done. An issuer mismatch (C9) is its fatal error, a configuration
// error, and then it is never ready.
func newApp(ctx context.Context, d *Deps, log *slog.Logger, name string, ln net.Listener, cfg *config.Config, idpTimeout time.Duration, metrics *servemetrics.Metrics) (*server, error) {
	if idpTimeout <= 0 {
		return nil, usageErrorf("%s: --idp-timeout must be positive", name)
	}
	shared, err := newShared(d, log, cfg, idpTimeout, metrics)
	if err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", name, err)}
	}
	opts := webapp.Options{Config: cfg, HTTPClient: d.client(idpTimeout), Logger: log, Now: d.Now, Metrics: metrics}
	if shared != nil {
		opts.Shared = shared
	}
	app, err := webapp.New(opts)
	if err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", name, err)}
	}
	// The background work (discovery, the shared state) outlives the
	// signal, which ends ctx: requests still in flight during the
	// graceful shutdown need it. It stops, and is waited for, in the
	// server's close, which runs once every server has shut down.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if shared != nil {
		// After New, which registered the app's revoked set: the first
		// subscription's reload must reach it.
		wg.Go(func() { shared.Run(bg) })
	}
	discovered := make(chan struct{})
	wg.Go(func() {
		app.Run(bg)
		// Run returns once discovery is done, on a fatal error, or when
		// bg ends; only the first makes the app ready.
		if app.Ready() {
			close(discovered)
		}
	})
	return &server{
		name: name, ln: ln, hs: newAppServer(app.Handler()), fatal: app.Fatal, ready: discovered,
		close: func() error { stop(); wg.Wait(); return nil },
		// open first: addr is the listener's, which may be another name
		// than the redirect URI's, on which sign-in cannot work.
		readyAttrs: []any{"open", app.URL(), "redirect_uri", cfg.RedirectURI, "environment", cfg.EnvironmentURL, "client_id", cfg.ClientID},
	}, nil
}

// newAppServer returns the http.Server of the web app, with the limits of
// F6: 64 KiB of headers and every timeout set.
func newAppServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}
