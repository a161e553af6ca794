package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/checkconfig"
	"github.com/skctl/skctl/internal/config"
	"github.com/spf13/cobra"
)

type checkConfigOptions struct {
	config          configFlags
	output          string
	strict, offline bool
	timeout         time.Duration
	cmd             *cobra.Command
}

func newCheckConfigCmd(d *Deps, g *globalOptions, runF func(context.Context, *checkConfigOptions) error) *cobra.Command {
	o := &checkConfigOptions{}
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Check that sign-in will work with this configuration (for CI)",
		Long: `check-config reads the same configuration as serve (flags, environment,
.env) and checks, with no browser: the settings; the environment's discovery
document, issuer and endpoints; its signing keys; the client ID and secret
(with requests for a made-up code or refresh token: the token endpoint
answers invalid_client to wrong credentials, invalid_grant once they have
passed, which a second request with a wrong secret confirms); that the
redirect URI and post-logout
URI are registered; and the clock. A SCALEKIT_* or SKCTL_* variable that is
not a setting is named with the setting it was probably meant to be. It runs
every check it can and says, for each problem, exactly what to change and
where: in the Scalekit dashboard, or, against skctl mock-idp, in the mock's
flags or fixtures file.

` + fmt.Sprintf(`Exit codes:
  %d  every check passed (warnings allowed, unless --strict)
  %d  a check failed
  %d  usage error, or an unreadable --env-file
  %d  the environment could not be reached`, checkConfigExit(checkconfig.Passed), checkConfigExit(checkconfig.Failed), ExitUsage, checkConfigExit(checkconfig.Unreachable)),
		Example: `  skctl check-config
  skctl check-config --output github --strict     # in a GitHub Actions step
  skctl check-config --offline                    # settings only, no network`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd = cmd
			if !slices.Contains(checkconfig.Formats(), o.output) {
				return usageErrorf("--output %q: use %s", o.output, strings.Join(checkconfig.Formats(), ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runCheckConfig(cmd.Context(), d, o)
		},
	}
	o.config.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output: text, json, github (workflow annotations) or junit (XML)")
	f.BoolVar(&o.strict, "strict", false, "treat warnings as failures")
	f.BoolVar(&o.offline, "offline", false, "run only the checks that need no network")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "timeout of each request to the environment")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(checkconfig.Formats(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runCheckConfig(ctx context.Context, d *Deps, o *checkConfigOptions) error {
	src := o.config.sources(d, o.cmd)
	settings, err := config.Resolve(src)
	if err != nil {
		return &usageError{err}
	}
	strays, err := config.Strays(src)
	if err != nil {
		return &usageError{err}
	}
	client := d.client(o.timeout)
	// Redirects are the answers being judged (is the redirect URI
	// registered?), never followed.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	report := checkconfig.Run(ctx, checkconfig.Options{
		Settings: settings, Strays: strays, Offline: o.offline, Client: client, Now: d.Now, Leeway: 90 * time.Second,
	})
	colored := o.output == "text" && isTerminal(d.Stdout) && !noColor(d.LookupEnv)
	if err := report.Write(d.Stdout, o.output, colored); err != nil {
		return err
	}
	if code := checkConfigExit(report.Result(o.strict)); code != ExitOK {
		return &quietExit{code}
	}
	return nil
}

// noColor reports whether the user asked for no colour (no-color.org:
// NO_COLOR set and not empty).
func noColor(lookupEnv func(string) (string, bool)) bool {
	if lookupEnv == nil {
		return false
	}
	v, _ := lookupEnv("NO_COLOR")
	return v != ""
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
