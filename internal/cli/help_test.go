package cli

import (
	"io"
	"regexp"
	"testing"

	"github.com/spf13/cobra"
)

// rowID matches what user-facing text must not cite: a requirement row
// ("C10", "F1"), a contract section, or the documents they live in.
var rowID = regexp.MustCompile(`\b[A-K][0-9]{1,2}\b|§|serve-security|contract|shared\/`)

// TestHelpCitesNoRows: no --help text (descriptions, examples, flag
// usages) cites a row ID or a document; it says the reason in words.
func TestHelpCitesNoRows(t *testing.T) {
	walked := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		walked[c.CommandPath()] = true
		for _, text := range []string{c.Short, c.Long, c.Example, c.LocalFlags().FlagUsages()} {
			if m := rowID.FindString(text); m != "" {
				t.Errorf("%s --help cites %q in:\n%s", c.CommandPath(), m, text)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&Deps{Stdout: io.Discard, Stderr: io.Discard}))
	for _, c := range []string{"skctl dev", "skctl serve", "skctl mock-idp", "skctl check-config", "skctl conformance"} {
		if !walked[c] {
			t.Errorf("the walk missed %s", c)
		}
	}
}
