package portal

import (
	"slices"
	"strings"
	"testing"
)

func TestOrigins(t *testing.T) {
	t.Parallel()
	got := Origins([]string{
		"http://localhost:4321/api/auth/callback",
		"http://localhost:4321/other", // the same origin once
		"https://App.Example.com/cb",
		"com.example.app:/oauth2redirect", // a native app frames nothing
		"http://[::1]:3000/cb",
		"https://*.example.com/cb",           // a wildcard is not written into the header
		"http://evil.test;script-src *:1/cb", // nor anything that would end the directive
		"http://user:pw@host.test/cb",
		"/relative",
	})
	want := []string{"http://[::1]:3000", "http://localhost:4321", "https://app.example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("Origins = %q, want %q", got, want)
	}
}

func TestCSP(t *testing.T) {
	t.Parallel()
	got := CSP("n0nce", []string{"http://localhost:4321", "http://localhost:4322"})
	want := "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-n0nce'; form-action 'self'; base-uri 'none'; frame-ancestors 'self' http://localhost:4321 http://localhost:4322"
	if got != want {
		t.Errorf("CSP =\n%s\nwant\n%s", got, want)
	}
}

// FuzzOrigin: whatever a redirect URI holds, an origin written into the
// header has no character that could end or add a CSP directive.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"http://localhost:4321/cb", "https://a.b", "http://a;b", "http://a b/", "http://[::1]/", "https://x.test\n/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, ok := origin(raw)
		if !ok {
			return
		}
		if strings.ContainsAny(o, "; ,'\"\r\n\t*") || !(strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://")) {
			t.Fatalf("origin(%q) = %q", raw, o)
		}
	})
}
