package cli

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/conformance"
)

var update = flag.Bool("update", false, "rewrite the generated lists of conformance tests in docs/conformance.md and README.md")

// The markers around a generated list. The catalog grows (a new test is
// a new entry in internal/conformance/tests_*.go): the docs follow with
//
//	go test ./internal/cli/ -run TestConformanceDocs -update
const (
	generatedBegin = "<!-- BEGIN generated from skctl conformance's catalog: go test ./internal/cli/ -run TestConformanceDocs -update rewrites it -->\n"
	generatedEnd   = "<!-- END generated -->\n"
)

// docsTestTables is the docs' list of tests: a table per group, each test
// with what it proves, what it arms and its source.
func docsTestTables(tests []conformance.Test) string {
	var b strings.Builder
	for _, g := range conformance.Groups() {
		var rows []string
		for _, t := range tests {
			if t.Group != g {
				continue
			}
			arms := "—"
			if len(t.Arms) > 0 {
				arms = "`" + strings.Join(t.Arms, "`, `") + "`"
			}
			rows = append(rows, "| `"+t.ID+"` | "+cell(t.Proves)+" | "+arms+" | "+cell(t.Source)+" |\n")
		}
		if len(rows) == 0 {
			continue
		}
		b.WriteString("\n### `" + string(g) + "`: " + groupSummary(g) + "\n\n")
		b.WriteString("| Test | Passing proves | Arms | Source |\n|---|---|---|---|\n")
		b.WriteString(strings.Join(rows, ""))
	}
	b.WriteString("\n")
	return b.String()
}

// readmeTestList is the README's short list: the IDs of each group.
func readmeTestList(tests []conformance.Test) string {
	var b strings.Builder
	b.WriteString("\n")
	for _, g := range conformance.Groups() {
		var ids []string
		for _, t := range tests {
			if t.Group == g {
				ids = append(ids, "`"+t.ID+"`")
			}
		}
		if len(ids) > 0 {
			b.WriteString("- **" + string(g) + "** (" + groupSummary(g) + "): " + strings.Join(ids, ", ") + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// TestConformanceDocs: the lists of tests in docs/conformance.md and the
// README are the catalog's, so that neither goes stale as tests are
// added; -update rewrites them. The docs' flags table has every flag.
func TestConformanceDocs(t *testing.T) {
	tests := conformance.Tests()
	for _, doc := range []struct {
		path string
		want string
	}{
		{"../../docs/conformance.md", docsTestTables(tests)},
		{"../../README.md", readmeTestList(tests)},
	} {
		b, err := os.ReadFile(doc.path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		i, j := strings.Index(text, generatedBegin), strings.Index(text, generatedEnd)
		if i < 0 || j < i {
			t.Errorf("%s has no generated list between the markers\n%s%s", doc.path, generatedBegin, generatedEnd)
			continue
		}
		got := text[i+len(generatedBegin) : j]
		if got == doc.want {
			continue
		}
		if *update {
			if err := os.WriteFile(doc.path, []byte(text[:i+len(generatedBegin)]+doc.want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: the list of tests differs from the catalog; run\n\tgo test ./internal/cli/ -run TestConformanceDocs -update\nto rewrite it as:\n%s", doc.path, doc.want)
	}

	b, err := os.ReadFile("../../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	cmd := newConformanceCmd(&Deps{Stdout: io.Discard, Stderr: io.Discard}, &globalOptions{}, nil)
	var firstCells []string
	for _, row := range readmeRows(string(b), "`--") {
		firstCells = append(firstCells, row[0])
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z-]+)`).FindAllStringSubmatch(cmd.LocalFlags().FlagUsages(), -1) {
		if m[1] != "help" && !strings.Contains(strings.Join(firstCells, " "), "`--"+m[1]+"`") {
			t.Errorf("docs/conformance.md: no row for --%s in the flags table", m[1])
		}
	}
}
