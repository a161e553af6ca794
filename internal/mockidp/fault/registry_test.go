package fault

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRegistryIsTheConstants: every mode constant is registered once, with
// a summary that says what it does in words (no row IDs of the docs), and
// parses back to itself.
func TestRegistryIsTheConstants(t *testing.T) {
	consts := modeConstants(t)
	seen := map[Mode]bool{}
	rowID := regexp.MustCompile(`\b[A-L][0-9]{1,2}\b|§`)
	rfcSection := regexp.MustCompile(`RFC [0-9]+ §[0-9.]+`)
	for _, in := range registry {
		if seen[in.Mode] {
			t.Errorf("%s is registered twice", in.Mode)
		}
		seen[in.Mode] = true
		if _, ok := consts[in.Mode]; !ok {
			t.Errorf("%s is registered but is no constant of modes.go", in.Mode)
		}
		if in.Summary == "" || rowID.MatchString(rfcSection.ReplaceAllString(in.Summary, "")) {
			t.Errorf("%s: the summary %q must say what the mode does, in words", in.Mode, in.Summary)
		}
	}
	for m := range consts {
		if !seen[m] {
			t.Errorf("the constant for %s is in no registry entry: `skctl mock-idp scenarios` would not list it", m)
		}
	}
}

// TestEveryModeIsUsedAndTested: a registered mode that no code reads does
// nothing, and one that no test names is unproven. The code is this
// package's (outside the registry) and the environment's; the tests are
// every test file of the repository.
func TestEveryModeIsUsedAndTested(t *testing.T) {
	consts := modeConstants(t)
	used := map[string]bool{}
	for _, dir := range []string{".", ".."} {
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			base := filepath.Base(name)
			if strings.HasSuffix(base, "_test.go") || base == "modes.go" || base == "registry_table.go" {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.Ident:
					used[x.Name] = true
				case *ast.SelectorExpr:
					used[x.Sel.Name] = true
				}
				return true
			})
		}
	}
	var tests strings.Builder
	root := filepath.Join("..", "..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || (d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), "."))) {
			if d != nil && d.IsDir() && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, "_test.go") && !strings.HasSuffix(path, "registry_test.go") {
			b, err := os.ReadFile(path)
			if err == nil {
				tests.Write(b)
			}
		}
		return nil
	})
	// Every word of the tests that could be a mode, or a constant of
	// this package.
	named := map[string]bool{}
	for _, w := range regexp.MustCompile(`[a-z][a-z0-9_]*\.[a-z0-9_]+|fault\.[A-Z][A-Za-z0-9]*`).FindAllString(tests.String(), -1) {
		named[w] = true
	}
	var unused, untested []string
	for m, name := range consts {
		if !used[name] {
			unused = append(unused, string(m))
		}
		if !named[string(m)] && !named["fault."+name] {
			untested = append(untested, string(m))
		}
	}
	slices.Sort(unused)
	slices.Sort(untested)
	if len(unused) > 0 {
		t.Errorf("%d modes are registered but read by no code: %s", len(unused), strings.Join(unused, ", "))
	}
	if len(untested) > 0 {
		t.Errorf("%d modes are named by no test: %s", len(untested), strings.Join(untested, ", "))
	}
}

// modeConstants maps each Mode constant of modes.go to its name.
func modeConstants(t *testing.T) map[Mode]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "modes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[Mode]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for i, n := range v.Names {
				if lit, ok := v.Values[i].(*ast.BasicLit); ok {
					out[Mode(strings.Trim(lit.Value, `"`))] = n.Name
				}
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("found %d mode constants in modes.go", len(out))
	}
	return out
}
