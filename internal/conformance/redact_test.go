package conformance

import (
	"net/url"
	"strings"
	"testing"
)

// TestRedactURL: what the evidence shows of a URL never holds a code,
// state, token or password, however the URL carries it.
func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://app/cb?code=SECRET&state=SECRET&x=1", "http://app/cb?code=…&state=…&x=1"},
		{"http://app/cb?code=SECRET;x", "http://app/cb?code=…;x"},                          // a pair Go's parser drops
		{"http://app/cb#access_token=SECRET&token_type=Bearer", "http://app/cb#%E2%80%A6"}, // an implicit-flow fragment
		{"http://admin:SECRET@app/login", "http://%E2%80%A6@app/login"},
		{"http://app/cb?%zz=SECRET", "http://app/cb?%zz=…"}, // a key that does not unescape
		{"http://app/login?return_to=%2Fdashboard", "http://app/login?return_to=%2Fdashboard"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		got := redactURL(u)
		if got != tc.want || strings.Contains(got, "SECRET") {
			t.Errorf("redactURL(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestClip: quoted text is cut on a character boundary, and its control
// characters cannot start a line of a CI log or reach a terminal.
func TestClip(t *testing.T) {
	got := clip("Sign-in failed\n::error title=x::injected\x1b[31m", 200)
	if strings.ContainsAny(got, "\n\r\x1b") {
		t.Errorf("clip kept a control character: %q", got)
	}
	if got := clip(strings.Repeat("é", 100), 9); got != "éééé…" {
		t.Errorf("clip cut inside a character: %q", got)
	}
}
