package mockidp

import (
	"strings"
	"testing"
)

// The mailbox answers a page to browsers and JSON to everything else; a
// tie, or a client that only says */*, gets JSON.
func TestPrefersHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		// Chromium, Firefox, Safari.
		"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7": true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8":                                                                         true,
		"text/html":                         true,
		"TEXT/HTML; charset=utf-8":          true,
		"application/json;q=0.5, text/html": true,
		"":                                  false, // Go's client
		"*/*":                               false, // curl, fetch
		"application/json":                  false,
		"text/html, application/json":       false, // a tie
		"text/html;q=0.5, application/json": false,
		"text/html;q=0.9, application/*":    false,
		"text/html;q=0":                     false,
		"text/*":                            false, // HTML only when named
		"text/html;q=2":                     false, // not a weight
		"text/html;q=NaN":                   false,
		"text/html;q=1e-1, */*;q=0.1":       false,
		"text/html;q=0.123":                 true,
		"text/html;q=0.1234":                false,
		"application/json;q=0.001, text/html;q=0.002": true,
		"garbage, text/html":                          true,
		strings.Repeat("a/b,", 40) + "text/html":      false, // past the ranges read
	} {
		if got := prefersHTML(accept); got != want {
			t.Errorf("prefersHTML(%q) = %v, want %v", accept, got, want)
		}
	}
}

// FuzzPrefersHTML: an Accept header is untrusted; reading it never
// panics, and a header that does not name text/html never gets the page.
func FuzzPrefersHTML(f *testing.F) {
	for _, s := range []string{"text/html,*/*;q=0.8", "*/*", "", "text/html;q=0.", "a/b;q=1.000;x=y", ";;,,", "text/html;q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if prefersHTML(accept) && !strings.Contains(strings.ToLower(accept), "text/html") {
			t.Fatalf("prefersHTML(%q): the page for a header that does not name text/html", accept)
		}
	})
}
