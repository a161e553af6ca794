package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/spf13/cobra"
)

func newScenariosCmd(d *Deps) *cobra.Command {
	var fixtures string
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the failure modes the mock can switch on",
		Long: `scenarios lists every mode of mock-idp with what it does. A mode is
switched on three ways:

  skctl mock-idp --scenario MODE          at the root environment
  http://127.0.0.1:4400/MODE              a scenario environment: point an app's
                                          SCALEKIT_ENVIRONMENT_URL here
  POST /__mock/faults {"mode":"MODE"}     at runtime (loopback only)

Named sets of modes can be declared in the fixtures file (scenarios:), and
are listed too with --fixtures.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(d.Stdout, 0, 4, 2, ' ', 0)
			for _, m := range fault.Modes() {
				fmt.Fprintf(tw, "%s\t%s\n", m.Name, m.Summary)
			}
			if fixtures != "" {
				fx, err := fixture.Load(fixtures)
				if err != nil {
					return &usageError{err}
				}
				for name, modes := range fx.Scenarios {
					fmt.Fprintf(tw, "%s\tnamed set: %s\n", name, strings.Join(modes, ", "))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&fixtures, "fixtures", "", "also list the named sets of this fixtures file")
	return cmd
}

func newRotateKeysCmd(d *Deps) *cobra.Command {
	var url, scenario, overlap string
	cmd := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Rotate the signing key of a running mock (a key-rotation drill)",
		Long: `rotate-keys asks a running mock-idp (on this machine) for a new signing key.
With --overlap 10m the old public key stays in /keys for ten minutes, so
tokens it signed keep verifying meanwhile (--overlap forever keeps it);
without, it disappears at once. Apps built on Scalekit's SDKs
cache /keys for their whole life and fail until restarted: that is the
drill. go-oidc apps (skctl serve) reload the keys on the new kid.`,
		Example: `  skctl mock-idp rotate-keys --overlap 10m
  skctl mock-idp rotate-keys --url http://127.0.0.1:4400 --scenario flaky`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body, _ := json.Marshal(map[string]any{"overlap": overlap, "scenario": scenario})
			resp, err := d.client(10*time.Second).Post(strings.TrimRight(url, "/")+"/__mock/rotate-keys", "application/json", bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("rotate-keys: %w (is skctl mock-idp running at %s? pass --url)", err, url)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("rotate-keys: the mock answered %d: %s", resp.StatusCode, bytes.TrimSpace(out))
			}
			var r struct {
				KID string `json:"kid"`
			}
			json.Unmarshal(out, &r)
			if overlap == "" {
				overlap = "0"
			}
			fmt.Fprintf(d.Stdout, "new signing key %s (the old key stays published for: %s)\n", r.KID, overlap)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://"+DefaultMockAddr, "the running mock's root URL")
	cmd.Flags().StringVar(&scenario, "scenario", "", "rotate the key of this scenario environment instead of the root")
	cmd.Flags().StringVar(&overlap, "overlap", "0", `how long the old public key stays published: a duration such as 10m, 0, or "forever"`)
	return cmd
}
