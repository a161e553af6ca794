package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
	"github.com/spf13/cobra"
)

type conformanceOptions struct {
	run        conformance.Options
	only, skip []string
	output     string
	junitFile  string
	list       bool
	global     *globalOptions
	cmd        *cobra.Command
}

func newConformanceCmd(d *Deps, g *globalOptions, runF func(context.Context, *conformanceOptions) error) *cobra.Command {
	o := &conformanceOptions{global: g}
	defaults := conformance.Defaults()
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Prove an app's sign-in against the mock's failure modes (for CI)",
		Long: `conformance tests the sign-in of any app, in any language, against a running
skctl mock-idp: the OpenID Foundation's RP certification rows that apply to a
web app's code flow, the access-token checks of a Scalekit app, observations
of the authorization request, and drills of what Scalekit does in production.

Each test starts from a fresh cookie jar, arms its failure mode for the app's
client only, signs in through the app's --login-path and the mock's page,
follows the app's redirects one hop at a time, then asks --protected-path,
and decides from what it saw: signed in, refused (no session, no 5xx) or
broken (a 5xx, no answer within --timeout, a redirect loop). A test passes
when the outcome is the right one; a failure shows its evidence. A refusal
counts only when a plain sign-in works: otherwise the tests that expect one
are skipped, with that reason.

The run changes the mock: it arms and clears failure modes, and rotates the
signing keys. Give it a mock of its own, not one other apps use.

The mock and the client default to SCALEKIT_ENVIRONMENT_URL and
SCALEKIT_CLIENT_ID, the settings the app itself reads, when the flags are
not given; --client-id defaults to the mock's first web app.

` + fmt.Sprintf(`Exit codes:
  %d  every test passed (skipped tests allowed)
  %d  a test failed, or the run was interrupted
  %d  usage error: a bad flag, an unknown test, no such client on the mock
  %d  the app or the mock could not be reached`, ExitOK, ExitError, ExitUsage, ExitUnreachable),
		Example: `  skctl mock-idp --addr 127.0.0.1:4400 --redirect-uri http://localhost:3000/api/auth/callback \
    --post-logout-redirect-uri http://localhost:3000/ &
  # start the app with SCALEKIT_ENVIRONMENT_URL=http://127.0.0.1:4400 and the printed credentials
  skctl conformance --idp-url http://127.0.0.1:4400 --app-url http://localhost:3000

  # in a GitHub Actions step, with a JUnit report for the test tab
  skctl conformance --idp-url http://127.0.0.1:4400 --app-url http://localhost:3000 \
    --output github --junit-file conformance.xml

  # the tests, with what each proves; a group or a few tests only
  skctl conformance --list
  skctl conformance --idp-url http://127.0.0.1:4400 --app-url http://localhost:3000 --only rp --skip rp-key-rotation-op-sign-key`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd = cmd
			if !slices.Contains(report.Formats(), o.output) {
				return usageErrorf("--output: %v", report.UnknownFormat(o.output))
			}
			if o.run.Timeout <= 0 {
				return usageErrorf("--timeout %s: give a positive duration such as 10s", o.run.Timeout)
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runConformance(cmd.Context(), d, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.run.IdPURL, "idp-url", "", "URL of the running skctl mock-idp the app signs in with, such as http://127.0.0.1:4400 ($"+config.EnvEnvironmentURL+")")
	f.StringVar(&o.run.ClientID, "client-id", "", "the app's client ID on the mock (default: the mock's first web app) ($"+config.EnvClientID+")")
	f.StringVar(&o.run.AppURL, "app-url", "", "origin of the app under test, such as http://localhost:3000 (required)")
	f.StringVar(&o.run.LoginPath, "login-path", defaults.LoginPath, "the app's path that starts a sign-in")
	f.StringVar(&o.run.ProtectedPath, "protected-path", defaults.ProtectedPath, "a path of the app that only a signed-in user sees")
	f.IntVar(&o.run.SignedInStatus, "signed-in-status", defaults.SignedInStatus, "status of --protected-path for a signed-in user, answered without a redirect")
	f.StringVar(&o.run.SignedInText, "signed-in-text", "", "text --protected-path shows a signed-in user only (default: the status alone decides)")
	f.StringVar(&o.run.LogoutPath, "logout-path", defaults.LogoutPath, "the app's path that signs the user out")
	f.StringVar(&o.run.ReturnToParam, "return-to-param", defaults.ReturnToParam, "the login path's query parameter naming where to land after sign-in, tried with open-redirect URLs")
	f.StringVar(&o.run.User, "user", "", "email of the mock's user to sign in as (default: the first user its sign-in page lists)")
	f.StringSliceVar(&o.only, "only", nil, "run only these tests or groups (comma-separated or repeated; --list names them)")
	f.StringSliceVar(&o.skip, "skip", nil, "skip these tests or groups (comma-separated or repeated)")
	f.DurationVar(&o.run.Timeout, "timeout", defaults.Timeout, "how long each test may take")
	f.StringVarP(&o.output, "output", "o", "text", "output: text, json, github (workflow annotations) or junit (XML)")
	f.StringVar(&o.junitFile, "junit-file", "", "also write the report as JUnit XML to this file, whatever --output is (for a CI test tab)")
	f.BoolVar(&o.list, "list", false, "list the tests (those --only and --skip select) with what each proves, and exit; with --output json, their arms and sources too")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("only", completeTests)
	cmd.RegisterFlagCompletionFunc("skip", completeTests)
	cmd.MarkFlagFilename("junit-file", "xml")
	return cmd
}

// completeTests completes a test ID or group, after the commas of a list
// already typed.
func completeTests(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	typed := ""
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		typed = toComplete[:i+1]
	}
	var out []cobra.Completion
	add := func(name, desc string) {
		if strings.HasPrefix(typed+name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(typed+name, desc))
		}
	}
	for _, g := range conformance.Groups() {
		add(string(g), "group: "+groupSummary(g))
	}
	for _, t := range conformance.Tests() {
		add(t.ID, t.Proves)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// groupSummary says what a group's tests are, for completions and the
// docs.
func groupSummary(g conformance.Group) string {
	switch g {
	case conformance.GroupAuthorize:
		return "observations of the app's authorization request"
	case conformance.GroupRP:
		return "the OpenID Foundation's RP certification rows"
	case conformance.GroupAccessToken:
		return "the access-token checks of a Scalekit app"
	case conformance.GroupDrill:
		return "drills of what Scalekit does in production"
	}
	return string(g)
}

func runConformance(ctx context.Context, d *Deps, o *conformanceOptions) error {
	tests, err := conformance.Select(conformance.Tests(), o.only, o.skip)
	if err != nil {
		return conformanceUsage(err)
	}
	if o.list {
		if o.output == "json" {
			return writeTestsJSON(d, tests)
		}
		return conformance.WriteList(d.Stdout, tests)
	}
	log := o.global.logger(d)
	opts := o.run
	// The app reads these two settings too: in a CI job that sets them
	// for the app, the runner needs no flag for them.
	for _, m := range []struct {
		flag, env string
		v         *string
	}{{"idp-url", config.EnvEnvironmentURL, &opts.IdPURL}, {"client-id", config.EnvClientID, &opts.ClientID}} {
		if o.cmd.Flags().Changed(m.flag) || d.LookupEnv == nil {
			continue
		}
		if val, ok := d.LookupEnv(m.env); ok && val != "" {
			*m.v = val
			log.Info("conformance: a flag from the environment", "flag", "--"+m.flag, "variable", m.env, "value", val)
		}
	}
	switch {
	case opts.IdPURL == "":
		return usageErrorf("--idp-url is required (or %s): the URL of a running skctl mock-idp, such as http://127.0.0.1:4400", config.EnvEnvironmentURL)
	case opts.AppURL == "":
		return usageErrorf("--app-url is required: the origin of the app under test, such as http://localhost:3000")
	}
	opts.Log = log
	opts.UserAgent = "skctl-conformance/" + Version()
	// Not d.client: its caps are for an IdP's answers, and the mock's
	// export of a large directory is bigger; the runner bounds what it
	// reads itself. A nil Transport is net/http's default.
	rn, err := conformance.NewRunner(ctx, opts, &http.Client{Transport: d.Transport, Timeout: opts.Timeout})
	switch {
	case err != nil && ctx.Err() != nil:
		return errors.New("interrupted before the first test")
	case errors.Is(err, conformance.ErrUsage):
		return conformanceUsage(err)
	case errors.Is(err, conformance.ErrUnreachable):
		return &unreachableError{err}
	case err != nil:
		return err
	}
	// The JUnit file is created before the run, so that a path that
	// cannot be written is a usage error at once, not after every test.
	var junit *os.File
	if o.junitFile != "" {
		if junit, err = os.Create(o.junitFile); err != nil {
			return usageErrorf("--junit-file: %w", err)
		}
		defer junit.Close()
	}
	log.Info("conformance start", "app_url", opts.AppURL, "idp_url", opts.IdPURL, "client_id", rn.ClientID(), "tests", len(tests))
	start := time.Now()
	rep := rn.Run(ctx, tests)
	log.Info("conformance done", "tests", len(rep.Results), "failed", len(rep.Failed()), "elapsed", time.Since(start).Round(time.Millisecond))
	colored := o.output == "text" && isTerminal(d.Stdout) && !noColor(d.LookupEnv)
	if err := rep.Write(d.Stdout, o.output, colored); err != nil {
		return err
	}
	if junit != nil {
		if err := rep.Write(junit, "junit", false); err != nil {
			return fmt.Errorf("--junit-file %s: %w", o.junitFile, err)
		}
		if err := junit.Close(); err != nil {
			return fmt.Errorf("--junit-file %s: %w", o.junitFile, err)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: the report holds %d of the %d tests, the last maybe cut short", len(rep.Results), len(tests))
	}
	if !rep.Passed() {
		return &quietExit{ExitError}
	}
	return nil
}

// conformanceUsage is a usage error of the runner, without the sentinel's
// "usage: " prefix, which the exit code already says.
func conformanceUsage(err error) error {
	return &usageError{errors.New(strings.TrimPrefix(err.Error(), conformance.ErrUsage.Error()+": "))}
}

// listedTest is a test as --list --output json shows it.
type listedTest struct {
	ID     string            `json:"id"`
	Group  conformance.Group `json:"group"`
	Proves string            `json:"proves"`
	Arms   []string          `json:"arms,omitempty"`
	Source string            `json:"source"`
}

func writeTestsJSON(d *Deps, tests []conformance.Test) error {
	out := make([]listedTest, 0, len(tests))
	for _, t := range tests {
		out = append(out, listedTest{ID: t.ID, Group: t.Group, Proves: t.Proves, Arms: t.Arms, Source: t.Source})
	}
	enc := json.NewEncoder(d.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
