package mockidp

import (
	"fmt"
	"net/http"
	"strings"
)

// reservedScenarioNames are root paths, which a scenario environment at
// /<name> would shadow.
var reservedScenarioNames = []string{"oauth", "oidc", "keys", "userinfo", ".well-known", "__mock", "end_session"}

func checkScenarioName(name string) error {
	if name == "" || len(name) > 128 || strings.ContainsAny(name, "/?#% ") {
		return fmt.Errorf("%q: a scenario name is one path segment", name)
	}
	for _, r := range reservedScenarioNames {
		if name == r {
			return fmt.Errorf("%q is a root path of the environment: pick another name", name)
		}
	}
	return nil
}

// resolveScenarios turns scenario names (modes, or named sets of the
// fixtures) into faults.
func resolveScenarios(names []string, fx *Fixtures) ([]Fault, error) {
	var out []Fault
	for _, name := range names {
		if set, ok := fx.Scenarios[name]; ok {
			for _, m := range set {
				f, err := ParseFault(m)
				if err != nil {
					return nil, fmt.Errorf("scenario %s: %w", name, err)
				}
				out = append(out, f)
			}
			continue
		}
		f, err := ParseFault(name)
		if err != nil {
			return nil, fmt.Errorf("--scenario %s: %w", name, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// maxScenarioEnvs bounds the scenario environments one mock makes: each
// has its own keys, sessions and sweep, and a mode with a parameter names
// endless environments (/token.slow=1s, /token.slow=2s, …).
const maxScenarioEnvs = 100

// scenarioEnv returns the scenario environment for the first path segment
// of a request to the root environment, creating it on first use: any mode
// or named set of the fixtures is an environment at /<name>, with its own
// issuer, keys, sessions, counters and clock. It returns nil for a segment
// that names no scenario.
func (s *Server) scenarioEnv(name string) *Server {
	if s.opts.child || checkScenarioName(name) != nil {
		return nil
	}
	s.childMu.Lock()
	defer s.childMu.Unlock()
	select {
	case <-s.stop: // closing: a new environment would outlive the mock
		return nil
	default:
	}
	if c, ok := s.children[name]; ok {
		return c
	}
	if len(s.children) >= maxScenarioEnvs {
		s.log.Warn("too many scenario environments: not making another", "limit", maxScenarioEnvs)
		return nil
	}
	if _, err := resolveScenarios([]string{name}, s.opts.Fixtures); err != nil {
		return nil
	}
	opts := s.opts
	opts.Issuer = s.issuer + "/" + name
	opts.Scenarios = []string{name}
	opts.StateDir = "" // scenario environments start fresh
	opts.AutoLogin = s.autoLogin
	opts.child = true
	opts.Logger = s.log.With("scenario", name)
	c, err := New(opts)
	if err != nil {
		s.log.Error("scenario environment", "scenario", name, "err", err)
		return nil
	}
	s.children[name] = c
	return c
}

// serveScenario sends a request for /<name>/… to that scenario's
// environment, with the prefix stripped. It reports false when the path
// names no scenario.
func (s *Server) serveScenario(w http.ResponseWriter, r *http.Request) bool {
	rest := strings.TrimPrefix(r.URL.Path, "/")
	name, _, _ := strings.Cut(rest, "/")
	env := s.scenarioEnv(name)
	if env == nil {
		s.childMu.Lock()
		full := len(s.children) >= maxScenarioEnvs
		s.childMu.Unlock()
		_, err := resolveScenarios([]string{name}, s.opts.Fixtures)
		switch {
		case full && err == nil && checkScenarioName(name) == nil:
			http.Error(w, "503: this mock already has its limit of scenario environments; restart it, or arm modes at runtime with /__mock/faults", http.StatusServiceUnavailable)
			return true
		case err != nil && strings.Contains(name, ".") && checkScenarioName(name) == nil:
			// A mistyped mode in an environment URL: say what is wrong.
			http.Error(w, "404 no scenario environment here: "+err.Error(), http.StatusNotFound)
			return true
		}
		return false
	}
	http.StripPrefix("/"+name, env.handler).ServeHTTP(w, r)
	return true
}
