package cli

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/config"
)

// readmeRows returns the rows of the README's tables whose first cell
// starts with prefix, as cells.
func readmeRows(readme, prefix string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(readme, "\n") {
		if !strings.HasPrefix(line, "| "+prefix) {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), " | ") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestREADMEAgrees: the README's command table is the command tree, every
// command ready, counted right in the sentence above it; its settings
// table has every setting with its flag, cites no requirement rows, and
// lists the words a yes/no setting takes.
func TestREADMEAgrees(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)

	var commands []string
	for _, row := range readmeRows(readme, "`skctl ") {
		name := strings.TrimSuffix(strings.TrimPrefix(row[0], "`skctl "), "`")
		commands = append(commands, name)
		if row[len(row)-1] != "ready" {
			t.Errorf("README: skctl %s is %q, not ready", name, row[len(row)-1])
		}
	}
	var tree []string
	for _, c := range newRootCmd(&Deps{Stdout: io.Discard, Stderr: io.Discard}).Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			tree = append(tree, c.Name())
		}
	}
	slices.Sort(commands)
	slices.Sort(tree)
	if !slices.Equal(commands, tree) {
		t.Errorf("README's command table %v, the command tree %v", commands, tree)
	}
	words := []string{"no", "one", "two", "three", "four", "five", "six"}
	if m := regexp.MustCompile(`It (has|will have) (\w+) jobs`).FindStringSubmatch(readme); m == nil || m[1] != "has" || m[2] != words[len(commands)] {
		t.Errorf("README says %q; want \"It has %s jobs\"", m, words[len(commands)])
	}

	for _, s := range config.Settings() {
		rows := readmeRows(readme, "`"+s.Env+"`")
		if len(rows) != 1 {
			t.Errorf("README: %d rows for %s, want 1", len(rows), s.Env)
			continue
		}
		row := strings.Join(rows[0], " | ")
		if s.Flag != "" && !strings.Contains(rows[0][1], "`--"+s.Flag+"`") {
			t.Errorf("README: the %s row lacks its flag --%s: %s", s.Env, s.Flag, row)
		}
		if m := rowID.FindString(row); m != "" {
			t.Errorf("README: the %s row cites %q: %s", s.Env, m, row)
		}
	}
	userinfo := strings.Join(readmeRows(readme, "`"+config.EnvUserinfo+"`")[0], " | ")
	for _, w := range []string{"true", "false", "1", "0", "yes", "no", "on", "off"} {
		if !strings.Contains(userinfo, "`"+w+"`") {
			t.Errorf("README: the %s row does not list `%s`: %s", config.EnvUserinfo, w, userinfo)
		}
	}
}
