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

	"github.com/spf13/cobra"

	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/suggest"
)

func newTriggerCmd(d *Deps) *cobra.Command {
	var url, org string
	var list bool
	cmd := &cobra.Command{
		Use:   "trigger EVENT_TYPE",
		Short: "Make a running mock emit a webhook event of any type",
		Long: `trigger asks a running mock-idp (on this machine) to make the change an
event type describes, so that it logs and delivers that event to the
webhook endpoints with real IDs, as stripe trigger does for Stripe: an app's
handler for a rare event can be tried on demand. A change that needs others
first makes them too, on objects of its own (organization.sso_disabled
creates and enables a connection, then disables it), so that a trigger never
disables or deletes what the app signs in with.

The event goes to the organization named by --org, or the environment's
first one. --list names every type.`,
		Example: `  skctl mock-idp trigger --list
  skctl mock-idp trigger user.signup
  skctl mock-idp trigger organization.sso_enabled --org org_59615193906282635`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return noArgs(cmd, args)
			}
			if len(args) != 1 {
				return usageErrorf("trigger takes one event type, such as user.signup: skctl mock-idp trigger --list names them")
			}
			if _, ok := events.Lookup(events.Type(args[0])); !ok {
				var names []string
				for _, i := range events.Types() {
					names = append(names, string(i.Type))
				}
				if near, d := suggest.Nearest(args[0], names); d >= 0 && d <= 3 {
					return usageErrorf("no event type %q: did you mean %s? skctl mock-idp trigger --list names them", args[0], near)
				}
				return usageErrorf("no event type %q: skctl mock-idp trigger --list names them", args[0])
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, i := range events.Types() {
				out = append(out, cobra.CompletionWithDesc(string(i.Type), i.When))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				tw := tabwriter.NewWriter(d.Stdout, 0, 4, 2, ' ', 0)
				for _, i := range events.Types() {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", i.Type, i.Object, i.When)
				}
				return tw.Flush()
			}
			return runTrigger(d, strings.TrimRight(url, "/"), args[0], org)
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://"+DefaultMockAddr, "the running mock's root URL")
	cmd.Flags().StringVar(&org, "org", "", "the organization (org_…) the event is in; default: the environment's first")
	cmd.Flags().BoolVar(&list, "list", false, "list the event types, with their object and what makes the mock log them")
	return cmd
}

func runTrigger(d *Deps, url, typ, org string) error {
	body, _ := json.Marshal(map[string]string{"type": typ, "organization_id": org})
	resp, err := d.client(30*time.Second).Post(url+"/__mock/trigger", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(d.Stderr, "error: trigger: no mock answered at %s (%v): start skctl mock-idp, or pass --url\n", url, err)
		return &quietExit{ExitUnreachable}
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Description string `json:"error_description"`
		}
		if json.Unmarshal(out, &e) == nil && e.Description != "" {
			out = []byte(e.Description)
		}
		return fmt.Errorf("trigger: the mock answered %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	var r struct {
		Event     *events.Event  `json:"event"`
		Events    []events.Event `json:"events"`
		Endpoints int            `json:"webhook_endpoints"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Event == nil {
		return fmt.Errorf("trigger: the mock's answer is not a triggered event: %.200s", out)
	}
	for _, e := range r.Events {
		mark := " "
		if e.ID == r.Event.ID {
			mark = "*"
		}
		fmt.Fprintf(d.Stdout, "%s %s %s", mark, e.ID, e.Type)
		if e.OrganizationID != "" {
			fmt.Fprintf(d.Stdout, " in %s", e.OrganizationID)
		}
		fmt.Fprintln(d.Stdout)
	}
	if r.Endpoints == 0 {
		fmt.Fprintf(d.Stdout, "logged %d event(s); the mock has no webhook endpoint to deliver them to: start it with --webhook-url (listEventsPaginated lists them meanwhile)\n", len(r.Events))
	} else {
		fmt.Fprintf(d.Stdout, "logged %d event(s); the webhook endpoints get them in this order (see %s/__mock/webhooks)\n", len(r.Events), url)
	}
	return nil
}
