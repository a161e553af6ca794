package mockidp

import (
	"encoding/json"
	"net/http"

	"go.yaml.in/yaml/v3"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

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
