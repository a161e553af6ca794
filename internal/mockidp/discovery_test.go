package mockidp_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
)

// discoveryPKCE reports whether the discovery document at u advertises
// PKCE S256.
func discoveryPKCE(t *testing.T, u string) bool {
	t.Helper()
	_, body := mustFetch(t, u+"/.well-known/openid-configuration")
	var d struct {
		Methods []string `json:"code_challenge_methods_supported"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("discovery of %s: %v: %.200s", u, err, body)
	}
	return len(d.Methods) == 1 && d.Methods[0] == "S256"
}

// clearFaults clears the modes of the root, or of a scenario environment.
func clearFaults(t *testing.T, root, scenario string) {
	t.Helper()
	u := root + "/__mock/faults"
	if scenario != "" {
		u += "?scenario=" + scenario
	}
	req, _ := http.NewRequest(http.MethodDelete, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d", u, resp.StatusCode)
	}
}

// TestDiscoveryStartModeClears: a discovery mode switched on at start
// (--scenario, or a scenario environment's own) is cleared by DELETE
// /__mock/faults like any other: the faithful document comes back. It used
// to survive, because the document served while no mode was on had been
// built once with the start modes applied.
func TestDiscoveryStartModeClears(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Scenarios: []string{"discovery.no_pkce"}})
	if discoveryPKCE(t, env.URL) {
		t.Fatal("with discovery.no_pkce on, the document advertises PKCE")
	}
	clearFaults(t, env.URL, "")
	if !discoveryPKCE(t, env.URL) {
		t.Error("after DELETE /__mock/faults, the root's document still lacks code_challenge_methods_supported")
	}

	scenario := env.URL + "/discovery.no_pkce"
	if discoveryPKCE(t, scenario) {
		t.Fatal("the scenario environment /discovery.no_pkce advertises PKCE")
	}
	clearFaults(t, env.URL, "discovery.no_pkce")
	if !discoveryPKCE(t, scenario) {
		t.Error("after clearing the scenario environment, its document still lacks code_challenge_methods_supported")
	}
}
