package mockidp

import (
	"encoding/json"
	"net/http"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// handleMail serves GET /__mock/mail: the emails the environment would
// have sent, newest first, as JSON. ?to=<email> keeps one address's, and
// ?last=1 answers that address's newest message alone, as an object, so
// that a test reads a one-time code in one request.
func (s *Server) handleMail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	last, err := strconv.Atoi(q.Get("last"))
	if q.Has("last") && (err != nil || last < 1) {
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("last is a count of messages, such as 1."))
		return
	}
	msgs := s.mail.List(q.Get("to"), last)
	if last != 1 {
		wire.WriteJSON(w, http.StatusOK, msgs)
		return
	}
	if len(msgs) == 0 {
		wire.WriteJSON(w, http.StatusNotFound, wire.InvalidRequest("No email to "+q.Get("to")+" yet: send one first (sendPasswordlessEmail, or an invitation)."))
		return
	}
	wire.WriteJSON(w, http.StatusOK, msgs[0])
}

// handleExport serves GET /__mock/export: the environment's tenant
// (organizations, users, memberships, domains, connections, directories,
// roles) with its apps and scenarios, as a fixtures file that --fixtures
// takes back, so that a state built by hand can seed CI. JSON by default,
// ?format=yaml for YAML.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	fx := s.tenant.Export()
	w.Header().Set("Cache-Control", "no-store")
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="fixtures.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(fx)
	case "yaml":
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Content-Disposition", `attachment; filename="fixtures.yaml"`)
		w.Write([]byte("# The state of a skctl mock-idp environment: pass it with --fixtures.\n"))
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		enc.Encode(fx)
		enc.Close()
	default:
		wire.WriteJSON(w, http.StatusBadRequest, wire.InvalidRequest("format is json or yaml."))
	}
}
