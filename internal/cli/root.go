package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X github.com/skctl/skctl/internal/cli.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// Version returns skctl's version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

// globalOptions are the flags every command has.
type globalOptions struct {
	logFormat string
	logLevel  string
}

// Run runs skctl with args (without the program name) and returns the exit
// code. It prints an error once, as "error: …", to d.Stderr.
func Run(ctx context.Context, args []string, d *Deps) int {
	root := newRootCmd(d)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var q *quietExit
	if err != nil && !errors.As(err, &q) {
		fmt.Fprintf(d.Stderr, "error: %v\n", err)
	}
	return exitCode(err)
}

// unknownCommand is the root's argument check. With Args set, cobra hands
// an unknown subcommand to the root as an argument instead of failing with
// a plain error, so it comes back here as a usage error (exit code 2).
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return usageErrorf("%s; see %s --help", msg, cmd.CommandPath())
}

// noArgs is cobra.NoArgs with a usage error's exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}

func newRootCmd(d *Deps) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "skctl",
		Short: "Sign users in with Scalekit: a local environment, a web app and a CI check",
		Long: `skctl is the command-line tool for apps that sign users in with Scalekit.

  skctl dev           the web app against a built-in mock IdP, in one command
  skctl serve         the web app that signs users in with Scalekit
  skctl mock-idp      a local Scalekit environment for development and CI
  skctl check-config  a CI gate: will sign-in work with this configuration?
  skctl conformance   a CI gate: does an app's sign-in hold against the mock's failure modes?

` + fmt.Sprintf(`Exit codes: %d success, %d error (check-config: a check failed; conformance:
a test failed), %d usage or configuration error, %d the IdP (conformance: the
app or the mock) could not be reached.`, ExitOK, ExitError, ExitUsage, ExitUnreachable),
		Version:       Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		// A bare `skctl` shows the help, as cobra does for a root with no
		// Run; the root needs one for Args to be checked.
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.logFormat != "text" && g.logFormat != "json" {
				return usageErrorf("--log-format %q: use text or json", g.logFormat)
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
				return usageErrorf("--log-level %q: use debug, info, warn or error", g.logLevel)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
	})
	root.SetOut(d.Stdout)
	root.SetErr(d.Stderr)
	root.AddCommand(newDevCmd(d, g, nil), newServeCmd(d, g, nil), newMockIDPCmd(d, g, nil), newCheckConfigCmd(d, g, nil), newConformanceCmd(d, g, nil))
	return root
}

// logger builds the slog logger the flags ask for, writing to stderr.
func (g *globalOptions) logger(d *Deps) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(g.logLevel)) // checked in PersistentPreRunE
	opts := &slog.HandlerOptions{Level: lvl}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(d.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(d.Stderr, opts))
}
