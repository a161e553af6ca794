package mockidp

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/observe"
)

// plane is the observation and control of one environment's drills: the
// request counters and log that /__mock/requests shows, strict mode, and,
// at the root, the scenario environments and the /__mock endpoints that
// arm modes (control.go, scenarios.go).
type plane struct {
	env    *Server
	faults *fault.Env
	counts *observe.Counters
	log    observe.Log

	childMu  sync.Mutex
	children map[string]*Server // scenario environments, by name
	closed   bool
}

func newPlane(s *Server, drills *fault.Env) *plane {
	return &plane{env: s, faults: drills, counts: counters(s.routes, s.api.Procedures()), children: map[string]*Server{}}
}

// record counts a request for its route and logs it, unless the route is
// quiet, and returns it carrying its log entry for the handler to
// complete.
func (p *plane) record(r *http.Request, rt *route) *http.Request {
	if rt != nil {
		p.counts.Add(rt.counter)
		if rt.quiet && r.Method == http.MethodGet {
			return r
		}
	}
	var violations []string
	if p.env.opts.Strict && r.URL.Path == "/userinfo" && r.URL.Query().Has("access_token") {
		violations = append(violations, "access token in the query string (RFC 6750 §2.3: send it in Authorization)")
	}
	return p.log.Record(r, p.env.now(), violations...)
}

// refresh counts a refresh grant.
func (p *plane) refresh() { p.counts.Add(refreshCounter) }

// authorize completes the log entry of a parsed authorization request,
// and checks it in strict mode.
func (p *plane) authorize(r *http.Request, form url.Values) {
	var v []string
	if p.env.opts.Strict {
		v = p.log.StrictAuthorize(form)
		if app := p.env.dir.Client(form.Get("client_id")); app != nil && !slices.Contains(app.RedirectURIs, form.Get("redirect_uri")) {
			v = append(v, "redirect_uri does not match a registered URI exactly")
		}
	}
	p.log.Annotate(r, form.Get("client_id"), "", v)
}

// token completes the log entry of a parsed token request, and checks its
// client authentication in strict mode.
func (p *plane) token(r *http.Request, form url.Values) {
	client := form.Get("client_id")
	var v []string
	if p.env.opts.Strict {
		basic := strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ")
		configured := ""
		if app := p.env.dir.Client(client); app != nil {
			configured = app.TokenAuthMethod
		}
		v = observe.StrictToken(basic, form.Get("client_secret") != "", configured)
	}
	p.log.Annotate(r, client, form.Get("grant_type"), v)
}

// Arm switches a mode ("idt.nonce_wrong", "token.slow=3s") on in the
// environment, as POST /__mock/faults does: for count requests (0: until
// cleared), for one client ("": every client).
func (s *Server) Arm(mode string, count int, client string) error {
	f, err := fault.Parse(mode)
	if err != nil {
		return err
	}
	if info, _ := fault.Lookup(f.Mode); info.StartOnly != "" {
		return errors.New(string(f.Mode) + " takes effect when an environment starts: " + info.StartOnly)
	}
	s.plane.faults.Arm(f, count, client)
	return nil
}

// ClearFaults switches every mode off, as DELETE /__mock/faults does.
func (s *Server) ClearFaults() { s.plane.faults.Clear() }

// evictedCounter counts the IdP sessions evicted for the cap.
const evictedCounter observe.Counter = "sessions.evicted"

// counters are the request counters, and the sessions evicted.
func (p *plane) counters() map[observe.Counter]int64 {
	c := p.counts.Snapshot()
	c[evictedCounter] = p.env.store.Stats().Evicted
	return c
}

// Requests returns the environment's request counters, by name
// ("token.requests"), as GET /__mock/requests shows them.
func (s *Server) Requests() map[string]int64 {
	out := map[string]int64{}
	for name, n := range s.plane.counters() {
		out[string(name)] = n
	}
	return out
}
