// Package fault is the failure drills of a mock environment: the modes
// (typed constants and their registry), parsing a mode from a flag or a
// request with a suggestion for a typo, the set of modes armed in one
// environment, and what each mode does to a request, a token or a
// document. The faithful environment (package mockidp) calls it at named
// points only; by default no mode is on and it changes nothing.
package fault

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/suggest"
)

// Mode is one named misbehaviour of the mock, such as idt.nonce_wrong.
type Mode string

// ParamKind says what follows "=" in a mode.
type ParamKind int

// The kinds of parameter a mode takes.
const (
	NoParam       ParamKind = iota
	DurationParam           // e.g. token.slow=3s
	StatusParam             // e.g. token.status=503
	WordParam               // e.g. authz.error=access_denied
)

// Info describes one mode for the registry and `mock-idp scenarios`.
type Info struct {
	Mode    Mode
	Param   ParamKind
	Summary string
	// Values are the fixed words the parameter takes, if any.
	Values []string
	// Optional modes may leave the parameter out (mode[=param]).
	Optional bool
	// StartOnly, when set, says the mode shapes an environment as it
	// starts, and what to use at runtime instead.
	StartOnly string
}

// Lookup returns the registry entry of a mode.
func Lookup(m Mode) (Info, bool) {
	i := slices.IndexFunc(registry[:], func(in Info) bool { return in.Mode == m })
	if i < 0 {
		return Info{}, false
	}
	return registry[i].clone(), true
}

// Registered lists every mode, in the registry's order.
func Registered() []Info {
	out := make([]Info, len(registry))
	for i, in := range registry {
		out[i] = in.clone()
	}
	return out
}

// clone is a copy that shares nothing with the registry.
func (in Info) clone() Info {
	in.Values = slices.Clone(in.Values)
	return in
}

// Fault is one mode switched on, with its parameter.
type Fault struct {
	Mode  Mode   `json:"mode"`
	Param string `json:"param,omitempty"`
}

func (f Fault) String() string {
	if f.Param == "" {
		return string(f.Mode)
	}
	return string(f.Mode) + "=" + f.Param
}

// Parse parses "mode[=param]". An unknown mode is an error that names the
// nearest known one.
func Parse(s string) (Fault, error) {
	name, param, hasParam := strings.Cut(strings.TrimSpace(s), "=")
	mi, ok := Lookup(Mode(name))
	if !ok {
		return Fault{}, fmt.Errorf("unknown mode %q: did you mean %s? (skctl mock-idp scenarios lists them all)", name, nearest(name))
	}
	if mi.Optional && !hasParam {
		return Fault{Mode: mi.Mode}, nil
	}
	if len(mi.Values) > 0 && !slices.Contains(mi.Values, param) {
		return Fault{}, fmt.Errorf("mode %s takes one of %s", name, strings.Join(mi.Values, ", "))
	}
	switch mi.Param {
	case NoParam:
		if hasParam {
			return Fault{}, fmt.Errorf("mode %s takes no parameter", name)
		}
	case DurationParam:
		if _, err := time.ParseDuration(param); err != nil {
			return Fault{}, fmt.Errorf("mode %s needs a duration, e.g. %s=3s", name, name)
		}
	case StatusParam:
		if n, err := strconv.Atoi(param); err != nil || n < 200 || n > 599 {
			return Fault{}, fmt.Errorf("mode %s needs an HTTP status, e.g. %s=503", name, name)
		}
	case WordParam:
		if param == "" {
			return Fault{}, fmt.Errorf("mode %s needs a value, e.g. %s=access_denied", name, name)
		}
	}
	return Fault{Mode: mi.Mode, Param: param}, nil
}

// IsMode reports whether name (with or without a parameter) names a mode.
func IsMode(name string) bool {
	m, _, _ := strings.Cut(name, "=")
	_, ok := Lookup(Mode(m))
	return ok
}

// nearest is the registered mode name closest to s.
func nearest(s string) Mode {
	names := make([]string, len(registry))
	for i, mi := range registry {
		names[i] = string(mi.Mode)
	}
	best, _ := suggest.Nearest(s, names)
	return Mode(best)
}

// Usage is a mode as `skctl mock-idp scenarios` lists it.
type Usage struct {
	Name    string // with its parameter shape, e.g. token.slow=<duration>
	Summary string
}

// Modes lists every mode with its parameter shape, sorted by name.
func Modes() []Usage {
	var out []Usage
	for _, mi := range registry {
		suffix := ""
		switch mi.Param {
		case DurationParam:
			suffix = "=<duration>"
		case StatusParam:
			suffix = "=<status>"
		case WordParam:
			suffix = "=<value>"
			if len(mi.Values) > 0 {
				suffix = "=" + strings.Join(mi.Values, "|")
			}
		}
		if mi.Optional && suffix != "" {
			suffix = "[" + suffix + "]"
		}
		out = append(out, Usage{string(mi.Mode) + suffix, mi.Summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Duration and Status read a mode's parameter, checked when the mode was
// parsed.
func Duration(p string) time.Duration {
	d, _ := time.ParseDuration(p)
	return d
}

// Status reads a status parameter.
func Status(p string) int {
	n, _ := strconv.Atoi(p)
	return n
}
