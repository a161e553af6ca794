// Package report writes the result of a run of checks — check-config's
// configuration checks, conformance's tests of an app — in the formats
// their --output flag offers: text for a terminal, JSON for scripts,
// GitHub Actions workflow commands, and JUnit XML for CI test tabs. Both
// commands write through it, so that a CI job reads them alike.
package report

import (
	"fmt"
	"io"
	"strings"
)

// Status is one item's outcome.
type Status string

// The outcomes of an item.
const (
	Pass    Status = "pass"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Skipped Status = "skipped"
)

// Item is one check or test as the formats show it. A warn or fail
// should have a Hint that says what to change.
type Item struct {
	ID      string
	Status  Status
	Message string
	Hint    string
	// Details are further lines shown under the item: a failed test's
	// evidence. The text output indents them; JUnit puts them in the
	// failure's body.
	Details []string
}

// Doc is a run as the formats show it.
type Doc struct {
	Tool   string // the command: "check-config", "conformance"
	Header string // what the run was against, for the text output's first line
	Items  []Item
}

// Formats are the values of --output.
func Formats() []string { return []string{"text", "json", "github", "junit"} }

// UnknownFormat is the error for an --output value not in Formats.
func UnknownFormat(format string) error {
	return fmt.Errorf("unknown output %q: use %s", format, strings.Join(Formats(), ", "))
}

// Count returns how many items have each status.
func (d *Doc) Count() map[Status]int {
	n := map[Status]int{}
	for _, it := range d.Items {
		n[it.Status]++
	}
	return n
}

// Summary is the closing line of the text output, and the GitHub
// output's notice: "checks: 3 pass, 0 warn, 1 fail, 0 skipped".
func (d *Doc) Summary(noun string) string {
	n := d.Count()
	return fmt.Sprintf("%s: %d pass, %d warn, %d fail, %d skipped", noun, n[Pass], n[Warn], n[Fail], n[Skipped])
}

// Write writes d in one of the formats other than json, whose shape each
// command owns; color applies to text only, and only when the caller
// writes to a terminal. noun names the items in the summary line.
func (d *Doc) Write(w io.Writer, format, noun string, color bool) error {
	switch format {
	case "text":
		return d.writeText(w, noun, color)
	case "github":
		return d.writeGitHub(w, noun)
	case "junit":
		return d.writeJUnit(w)
	}
	return UnknownFormat(format)
}
