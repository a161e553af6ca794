package mockidp

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// handleControl serves the control and observation endpoints of
// shared/mock-idp-scenarios.md at the root, outside every issuer:
// /__mock/faults, /__mock/requests, /__mock/clock, /__mock/rotate-keys and
// /__mock/idp-initiated.
// They answer loopback clients only: they change what every app sees.
func (s *Server) handleControl(w http.ResponseWriter, r *http.Request) {
	if why := s.controlRefusal(r); why != "" {
		http.Error(w, "403 forbidden: "+why, http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var req struct {
		Scenario string `json:"scenario"`
		Mode     string `json:"mode"`
		Count    int    `json:"count"`
		Client   string `json:"client"`
		Advance  string `json:"advance"`
		Offset   string `json:"offset"`
		Overlap  string `json:"overlap"` // how long the old key stays published: "10m", "0" (not at all), "forever"
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, &oauthError{"invalid_request", "The body must be a JSON object."})
			return
		}
	}
	if req.Scenario == "" {
		req.Scenario = r.URL.Query().Get("scenario")
	}
	env := s
	if req.Scenario != "" {
		if env = s.scenarioEnv(req.Scenario); env == nil {
			writeJSON(w, http.StatusNotFound, &oauthError{"invalid_request", "No scenario " + req.Scenario + "."})
			return
		}
	}
	switch r.URL.Path + " " + r.Method {
	case "/__mock/faults GET":
		writeJSON(w, http.StatusOK, s.eachEnv(func(e *Server) any { return e.faults.list() }))
	case "/__mock/faults POST", "/__mock/faults PUT":
		f, err := ParseFault(req.Mode)
		if err == nil && startOnlyModes[f.Mode] != "" {
			err = errors.New(f.Mode + " takes effect when an environment starts: " + startOnlyModes[f.Mode])
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, &oauthError{"invalid_request", err.Error()})
			return
		}
		env.faults.set(f, req.Count, req.Client)
		env.rotated.Store(false) // a rotation mode armed again rotates again
		writeJSON(w, http.StatusOK, env.faults.list())
	case "/__mock/faults DELETE":
		env.faults.clear()
		env.rotated.Store(false)
		w.WriteHeader(http.StatusNoContent)
	case "/__mock/requests GET":
		// Counters by default; ?log=1 adds the request log and the
		// strict-mode violations.
		withLog := r.URL.Query().Get("log") != ""
		writeJSON(w, http.StatusOK, s.eachEnv(func(e *Server) any {
			if !withLog {
				return e.counts.snapshot()
			}
			entries, violations := e.reqlog.snapshot()
			return map[string]any{"counters": e.counts.snapshot(), "log": entries, "violations": violations}
		}))
	case "/__mock/requests DELETE":
		env.counts.reset()
		env.reqlog.reset()
		w.WriteHeader(http.StatusNoContent)
	case "/__mock/clock GET":
		writeJSON(w, http.StatusOK, map[string]any{"now": env.now().UTC().Format(time.RFC3339), "offset": time.Duration(env.clockOffset.Load()).String()})
	case "/__mock/clock POST", "/__mock/clock PUT":
		if d, err := time.ParseDuration(req.Offset); req.Offset != "" && err == nil {
			env.clockOffset.Store(int64(d))
		} else if d, err := time.ParseDuration(req.Advance); req.Advance != "" && err == nil {
			env.clockOffset.Add(int64(d))
		} else {
			writeJSON(w, http.StatusBadRequest, &oauthError{"invalid_request", `Send {"advance":"10m"} or {"offset":"-2m"}.`})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"now": env.now().UTC().Format(time.RFC3339), "offset": time.Duration(env.clockOffset.Load()).String()})
	case "/__mock/idp-initiated GET":
		env.handleIdPInitiated(w, r)
	case "/__mock/rotate-keys POST":
		overlap := time.Duration(0)
		switch req.Overlap {
		case "", "0":
		case "forever":
			overlap = -1
		default:
			d, err := time.ParseDuration(req.Overlap)
			if err != nil || d < 0 {
				writeJSON(w, http.StatusBadRequest, &oauthError{"invalid_request", `overlap is a duration such as "10m", "0" or "forever".`})
				return
			}
			overlap = d
		}
		kid, err := env.keys.rotate(overlap)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, &oauthError{"server_error", "The new key could not be made."})
			return
		}
		env.log.Info("signing key rotated", "kid", kid, "overlap", req.Overlap)
		writeJSON(w, http.StatusOK, map[string]any{"kid": kid, "overlap": req.Overlap})
	default:
		http.NotFound(w, r)
	}
}

// startOnlyModes are modes that shape an environment when it starts, and
// what to use at runtime instead.
var startOnlyModes = map[string]string{
	"idp.clock_offset":          "use POST /__mock/clock",
	"discovery.jwks_uri_random": "use the scenario environment /discovery.jwks_uri_random",
	"net.tls_selfsigned":        "start the mock with --scenario net.tls_selfsigned",
}

// controlRefusal says why a control request is refused, or "". The
// endpoints change what every app sees, so they answer loopback clients
// only, addressed by a loopback name (a DNS-rebound page carries another
// Host), not through a proxy or tunnel, and not from a browser page (an
// Origin header): a web page cannot arm faults behind the developer's back.
// --allow-remote-control lifts the first three.
func (s *Server) controlRefusal(r *http.Request) string {
	if r.Header.Get("Origin") != "" {
		return "the /__mock endpoints do not answer browser pages (the request has an Origin)"
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return "send the body as application/json"
	}
	if s.opts.AllowRemoteControl {
		return ""
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	reqHost := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		reqHost = h
	}
	switch {
	case ip == nil || !ip.IsLoopback():
		return "the /__mock endpoints answer loopback clients only (start the mock with --allow-remote-control to change that)"
	case reqHost != "localhost" && (net.ParseIP(reqHost) == nil || !net.ParseIP(reqHost).IsLoopback()):
		return "the /__mock endpoints answer requests addressed to a loopback name only"
	case r.Header.Get("Forwarded") != "" || r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("X-Real-Ip") != "":
		return "the /__mock endpoints do not answer through a proxy or tunnel (start the mock with --allow-remote-control to change that)"
	}
	return ""
}

// eachEnv maps fn over the root environment ("root") and every scenario
// environment made so far.
func (s *Server) eachEnv(fn func(*Server) any) map[string]any {
	out := map[string]any{"root": fn(s)}
	s.childMu.Lock()
	defer s.childMu.Unlock()
	for name, c := range s.children {
		out[name] = fn(c)
	}
	return out
}
