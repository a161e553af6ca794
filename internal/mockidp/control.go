package mockidp

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// handleControl serves the control and observation endpoints at the root,
// outside every issuer (docs/failure-modes.md): /__mock/faults,
// /__mock/requests, /__mock/clock, /__mock/rotate-keys,
// /__mock/idp-initiated, /__mock/mail, /__mock/export and
// /__mock/webhooks. They answer loopback clients only: they change
// what every app sees.
func (p *plane) handleControl(w http.ResponseWriter, r *http.Request) {
	// The webhook log is a page with a form: it has rules of its own for
	// browsers, and its resend path carries an ID (webhookpage.go).
	if isWebhooksPath(r.URL.Path) {
		p.handleWebhooks(w, r)
		return
	}
	if why := p.controlRefusal(r); why != "" {
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
		Type     string `json:"type"`    // the event type to trigger
		Org      string `json:"organization_id"`
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("The body must be a JSON object."))
			return
		}
	}
	if req.Scenario == "" {
		req.Scenario = r.URL.Query().Get("scenario")
	}
	env := p
	if req.Scenario != "" {
		c := p.scenarioEnv(req.Scenario)
		if c == nil {
			wire.WriteJSON(w, http.StatusNotFound, wire.InvalidRequest("No scenario "+req.Scenario+"."))
			return
		}
		env = c.plane
	}
	switch r.URL.Path + " " + r.Method {
	case "/__mock/faults GET":
		wire.WriteJSON(w, http.StatusOK, p.eachEnv(func(e *plane) any { return e.faults.List() }))
	case "/__mock/faults POST", "/__mock/faults PUT":
		if err := env.env.Arm(req.Mode, req.Count, req.Client); err != nil {
			wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest(err.Error()))
			return
		}
		wire.WriteJSON(w, http.StatusOK, env.faults.List())
	case "/__mock/faults DELETE":
		// ?client= clears that client's modes alone (skctl conformance
		// cleans up after each of its tests so).
		// ?mode= clears one mode, whoever it was armed for.
		q := r.URL.Query()
		switch {
		case q.Get("mode") != "":
			if err := env.faults.ClearMode(q.Get("mode")); err != nil {
				wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest(err.Error()))
				return
			}
		case q.Get("client") != "":
			env.faults.ClearClient(q.Get("client"))
		default:
			env.faults.Clear()
		}
		w.WriteHeader(http.StatusNoContent)
	case "/__mock/requests GET":
		// Counters by default; ?log=1 adds the request log and the
		// strict-mode violations.
		withLog := r.URL.Query().Get("log") != ""
		wire.WriteJSON(w, http.StatusOK, p.eachEnv(func(e *plane) any {
			if !withLog {
				return e.counters()
			}
			entries, violations := e.log.Snapshot()
			return map[string]any{"counters": e.counters(), "log": entries, "violations": violations}
		}))
	case "/__mock/requests DELETE":
		env.counts.Reset()
		env.log.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "/__mock/clock GET":
		env.writeClock(w)
	case "/__mock/clock POST", "/__mock/clock PUT":
		if d, err := time.ParseDuration(req.Offset); req.Offset != "" && err == nil {
			env.faults.SetOffset(d)
		} else if d, err := time.ParseDuration(req.Advance); req.Advance != "" && err == nil {
			env.faults.Advance(d)
		} else {
			wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest(`Send {"advance":"10m"} or {"offset":"-2m"}.`))
			return
		}
		env.writeClock(w)
	case "/__mock/idp-initiated GET":
		env.env.handleIdPInitiated(w, r)
	case "/__mock/rotate-keys POST":
		env.rotateKeys(w, req.Overlap)
	case "/__mock/mail GET":
		env.env.handleMail(w, r)
	case "/__mock/export GET":
		env.env.handleExport(w, r)
	case "/__mock/trigger POST":
		env.env.handleTrigger(w, req.Type, req.Org)
	default:
		http.NotFound(w, r)
	}
}

func (p *plane) writeClock(w http.ResponseWriter) {
	wire.WriteJSON(w, http.StatusOK, map[string]any{"now": p.env.now().UTC().Format(time.RFC3339), "offset": p.faults.Offset().String()})
}

// rotateKeys makes a new signing key, the old one published for overlap:
// "10m", "0" (not at all) or "forever".
func (p *plane) rotateKeys(w http.ResponseWriter, overlap string) {
	d := time.Duration(0)
	switch overlap {
	case "", "0":
	case "forever":
		d = -1
	default:
		var err error
		if d, err = time.ParseDuration(overlap); err != nil || d < 0 {
			wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest(`overlap is a duration such as "10m", "0" or "forever".`))
			return
		}
	}
	kid, err := p.env.keys.Rotate(d)
	if err != nil {
		wire.WriteJSON(w, http.StatusInternalServerError, &wire.Error{Code: "server_error", Description: "The new key could not be made."})
		return
	}
	p.env.log.Info("signing key rotated", "kid", kid, "overlap", overlap)
	wire.WriteJSON(w, http.StatusOK, map[string]any{"kid": kid, "overlap": overlap})
}

// controlRefusal says why a control request is refused, or "". The
// endpoints change what every app sees, so they answer loopback clients
// only, addressed by a loopback name (a DNS-rebound page carries another
// Host), not through a proxy or tunnel, and not from a browser page (an
// Origin header or fetch metadata): a web page cannot arm faults behind
// the developer's back.
// --allow-remote-control lifts the first three.
func (p *plane) controlRefusal(r *http.Request) string {
	if why := browserRefusal(r); why != "" {
		return why
	}
	return p.networkRefusal(r)
}

// browserRefusal says why a request a browser page may have started is
// refused, or "".
func browserRefusal(r *http.Request) string {
	if r.Header.Get("Origin") != "" {
		return "the /__mock endpoints do not answer browser pages (the request has an Origin)"
	}
	// A page's navigation carries no Origin, but the browser's fetch
	// metadata says a page started it; a typed URL says none. The mailbox
	// page is also opened from the mock's own pages (the "check your
	// email" page links it, its filter submits to itself): a same-origin
	// GET of it reads, changes nothing, and no other site's page can send
	// one.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "none" &&
		!(site == "same-origin" && r.URL.Path == "/__mock/mail" && (r.Method == http.MethodGet || r.Method == http.MethodHead)) {
		return "the /__mock endpoints do not answer browser pages (Sec-Fetch-Site: " + site + ")"
	}
	// Exactly application/json: a page can send a simple content type such
	// as text/plain across sites without asking first, never this one.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); (r.Method == http.MethodPost || r.Method == http.MethodPut) && mt != "application/json" {
		return "send the body as application/json"
	}
	return ""
}

// networkRefusal says why a request from where it comes is refused, or
// "".
func (p *plane) networkRefusal(r *http.Request) string {
	if p.env.opts.AllowRemoteControl {
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
func (p *plane) eachEnv(fn func(*plane) any) map[string]any {
	out := map[string]any{"root": fn(p)}
	p.childMu.Lock()
	defer p.childMu.Unlock()
	for name, c := range p.children {
		out[name] = fn(c.plane)
	}
	return out
}
