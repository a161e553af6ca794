package mockidp

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// resolveScenarios turns scenario names (modes, or named sets of the
// fixtures) into faults.
func resolveScenarios(names []string, fx *fixture.Fixtures) ([]fault.Fault, error) {
	var out []fault.Fault
	for _, name := range names {
		if set, ok := fx.Scenarios[name]; ok {
			for _, m := range set {
				f, err := fault.Parse(m)
				if err != nil {
					return nil, fmt.Errorf("scenario %s: %w", name, err)
				}
				out = append(out, f)
			}
			continue
		}
		f, err := fault.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("--scenario %s: %w", name, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func hasMode(faults []fault.Fault, m fault.Mode) bool {
	return slices.ContainsFunc(faults, func(f fault.Fault) bool { return f.Mode == m })
}

// UsesMode reports whether scenarios (modes or named sets of fx) switch
// mode on. The command asks it for net.tls_selfsigned, which changes how
// it listens rather than how the environment answers.
func UsesMode(scenarios []string, fx *fixture.Fixtures, m fault.Mode) bool {
	faults, err := resolveScenarios(scenarios, fx)
	return err == nil && hasMode(faults, m)
}

// checkScenarioSets checks the named sets of the fixtures: a name that is
// neither a mode nor a path of the environment, and modes that parse.
// Every problem is reported.
func (s *Server) checkScenarioSets(fx *fixture.Fixtures) error {
	var errs []error
	for name, modes := range fx.Scenarios {
		switch {
		case s.reserved(name):
			errs = append(errs, fmt.Errorf("fixtures: scenarios: %q is a root path of the environment: pick another name", name))
		case fault.IsMode(name):
			errs = append(errs, fmt.Errorf("fixtures: scenarios: %q is the name of a mode: pick another", name))
		}
		for _, m := range modes {
			if _, err := fault.Parse(m); err != nil {
				errs = append(errs, fmt.Errorf("fixtures: scenarios: %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// maxScenarioEnvs bounds the scenario environments one mock makes: each
// has its own keys, sessions and sweep, and a mode with a parameter names
// endless environments (/token.slow=1s, /token.slow=2s, …).
const maxScenarioEnvs = 100

// scenarioName checks a first path segment as a scenario's name: one
// segment, not a path of the environment, and a mode or named set.
func (p *plane) scenarioName(name string) error {
	if err := fixture.CheckScenarioName(name); err != nil {
		return err
	}
	if p.env.reserved(name) {
		return fmt.Errorf("%q is a root path of the environment", name)
	}
	_, err := resolveScenarios([]string{name}, p.env.opts.Fixtures)
	return err
}

// scenarioEnv returns the scenario environment for the first path segment
// of a request to the root environment, creating it on first use: any mode
// or named set of the fixtures is an environment at /<name>, with its own
// issuer, keys, sessions, counters and clock. It returns nil for a segment
// that names no scenario.
func (p *plane) scenarioEnv(name string) *Server {
	if p.env.opts.child || p.scenarioName(name) != nil {
		return nil
	}
	p.childMu.Lock()
	defer p.childMu.Unlock()
	if p.closed { // closing: a new environment would outlive the mock
		return nil
	}
	if c, ok := p.children[name]; ok {
		return c
	}
	if len(p.children) >= maxScenarioEnvs {
		p.env.log.Warn("too many scenario environments: not making another", "limit", maxScenarioEnvs)
		return nil
	}
	opts := p.env.opts
	opts.Issuer = p.env.issuer + "/" + name
	opts.Scenarios = []string{name}
	opts.StateDir = "" // scenario environments start fresh
	opts.AutoLogin = p.env.autoLogin
	opts.child = true
	opts.Logger = p.env.log.With("scenario", name)
	c, err := New(opts)
	if err != nil {
		p.env.log.Error("scenario environment", "scenario", name, "err", err)
		return nil
	}
	p.children[name] = c
	return c
}

// serveScenario sends a request for /<name>/… to that scenario's
// environment, with the prefix stripped. It reports false when the path
// names no scenario.
func (p *plane) serveScenario(w http.ResponseWriter, r *http.Request) bool {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	env := p.scenarioEnv(name)
	if env == nil {
		p.childMu.Lock()
		full := len(p.children) >= maxScenarioEnvs
		p.childMu.Unlock()
		err := p.scenarioName(name)
		switch {
		case full && err == nil:
			http.Error(w, "503: this mock already has its limit of scenario environments; restart it, or arm modes at runtime with /__mock/faults", http.StatusServiceUnavailable)
			return true
		case err != nil && strings.Contains(name, ".") && fixture.CheckScenarioName(name) == nil && !p.env.reserved(name):
			// A mistyped mode in an environment URL: say what is wrong.
			http.Error(w, "404 no scenario environment here: "+err.Error(), http.StatusNotFound)
			return true
		}
		return false
	}
	http.StripPrefix("/"+name, env.handler).ServeHTTP(w, r)
	return true
}

// closeScenarios closes every scenario environment; none is made after
// it.
func (p *plane) closeScenarios() {
	p.childMu.Lock()
	defer p.childMu.Unlock()
	p.closed = true
	for _, c := range p.children {
		c.Close()
	}
}
