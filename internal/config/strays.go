package config

import (
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/suggest"
)

// The namespaces of skctl's settings. A variable in one of them that is
// not a setting is most often a misspelt setting, which leaves the
// setting it was meant to be unset or at its default, silently.
const (
	scalekitPrefix = "SCALEKIT_"
	skctlPrefix    = "SKCTL_"
)

// inEnvironment is Stray.In for a variable of the process environment.
const inEnvironment = "the environment"

// Stray is a SCALEKIT_* or SKCTL_* variable that is set but is not one of
// the settings.
type Stray struct {
	Name string // as it is set
	// In says where: "the environment", or the .env file's path.
	In string
	// Nearest is the setting nearest to Name by edit distance.
	Nearest string
	// Likely is true when Name is probably a misspelling of Nearest: near
	// it, or in skctl's own namespace SKCTL_, which nothing else uses. A
	// SCALEKIT_* variable far from every setting may well belong to
	// another program (Scalekit's SDKs, a webhook handler) and is only
	// mentioned.
	Likely bool
}

// String says what is wrong; it never holds the variable's value.
func (s Stray) String() string {
	msg := s.Name + " is set in " + s.In + " but is not a setting skctl reads"
	if s.Likely {
		return msg + ": did you mean " + s.Nearest + "?"
	}
	return msg + " (the nearest is " + s.Nearest + "); it is ignored"
}

// Strays returns the SCALEKIT_* and SKCTL_* variables of the environment
// and the .env file that are not settings, the environment's first, each
// source's sorted by name. Only names are read, never values. The error
// is a *FileError for an unreadable .env, as Load's.
func Strays(src Sources) ([]Stray, error) {
	file, err := readEnvFile(src.EnvFile, src.EnvFileExplicit)
	if err != nil {
		return nil, err
	}
	return src.strays(file), nil
}

// strays finds the strays of the environment and of file, the parsed
// .env.
func (src Sources) strays(file map[string]string) []Stray {
	var out []Stray
	add := func(names []string, in string) {
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			if s, ok := stray(n, in); ok {
				out = append(out, s)
			}
		}
	}
	add(src.environNames(), inEnvironment)
	var fileNames []string
	for n := range file {
		fileNames = append(fileNames, n)
	}
	add(fileNames, src.EnvFile)
	return out
}

// environNames are the names of the environment's variables. Environ
// lists them with their values (os.Environ); a name counts only when
// LookupEnv agrees it is set, so that Sources whose LookupEnv is not the
// process's (a test's, dev's) never report the process's variables.
func (src Sources) environNames() []string {
	if src.Environ == nil || src.LookupEnv == nil {
		return nil
	}
	var names []string
	for _, kv := range src.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "" {
			continue // Windows' per-drive "=C:=C:\dir" entries
		}
		if _, ok := src.LookupEnv(name); ok {
			names = append(names, name)
		}
	}
	return names
}

// stray returns the Stray of variable name, if it is one.
func stray(name, in string) (Stray, bool) {
	upper := strings.ToUpper(name)
	if !strings.HasPrefix(upper, scalekitPrefix) && !strings.HasPrefix(upper, skctlPrefix) {
		return Stray{}, false
	}
	if _, known := Lookup(name); known {
		return Stray{}, false
	}
	s := Stray{Name: name, In: in}
	best := -1
	for _, st := range Settings() {
		// Compared upper-cased, so that scalekit_client_id is a near miss
		// (variable names are case-sensitive on Unix).
		if d := suggest.Distance(upper, st.Env); best < 0 || d < best {
			s.Nearest, best = st.Env, d
		}
	}
	// A quarter of the name is about the slips a hand makes: a swapped
	// pair, a dropped letter, a wrong word ending (…_URL for …_URI).
	s.Likely = strings.HasPrefix(upper, skctlPrefix) || best <= max(2, len(s.Nearest)/4)
	return s, true
}

// strayHint is the start of the hint of unset setting env when a likely
// stray was probably meant to be it, or "".
func strayHint(strays []Stray, env string) string {
	var names []string
	for _, s := range strays {
		if s.Likely && s.Nearest == env {
			names = append(names, s.Name+" is set in "+s.In)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return strings.Join(names, " and ") + ": did you mean " + env + "?"
}

// WithStrays returns f with its hint led by what strays say about the
// unset setting env: that a variable set nearby was probably meant to be
// it.
func WithStrays(f *Fault, strays []Stray, env string) *Fault {
	h := strayHint(strays, env)
	if f == nil || h == "" {
		return f
	}
	out := *f
	if out.Hint == "" {
		out.Hint = h
	} else {
		out.Hint = h + " Otherwise, " + out.Hint
	}
	return &out
}
