package conformance

import (
	"net/url"
	"testing"
)

func TestOffOrigin(t *testing.T) {
	t.Parallel()
	const app, idp = "http://app.test:3000", "http://127.0.0.1:4400"
	base, _ := url.Parse(app + "/api/auth/callback?code=x&state=y")
	for _, tc := range []struct {
		loc  string
		off  bool
		dest string // "" : not checked
	}{
		{"/dashboard", false, app + "/dashboard"},
		{"dashboard", false, app + "/api/auth/dashboard"},
		{"/conformance-return-check?x=1", false, app + "/conformance-return-check?x=1"},
		{app + "/", false, ""},
		{"HTTP://APP.TEST:3000/x", false, ""},
		{idp + "/oauth/authorize?state=s", false, idp + "/oauth/authorize?state=…"},
		{"/%2F%2Fevil.example/", false, ""}, // one path segment of the app
		{"/ /evil.example/", false, ""},     // a path with a space in it
		{"/?next=\\\\evil.example", false, ""},
		{"http:dashboard", false, app + "/api/auth/dashboard"}, // relative: the page's own scheme
		{"/a%zz", false, ""},                                   // unparseable, but a path
		{"https://evil.example/", true, "https://evil.example/"},
		{"//evil.example/", true, "http://evil.example/"},
		{"/\\evil.example/", true, "http://evil.example/"},
		{"\\/evil.example/", true, "http://evil.example/"},
		{"\\\\evil.example", true, "http://evil.example"},
		{"https:evil.example", true, "https://evil.example"},
		{"https:/\\evil.example", true, "https://evil.example"},
		{"http:\\\\evil.example", true, "http://evil.example"},
		{"/\t/evil.example/", true, "http://evil.example/"},
		{" //evil.example", true, ""},
		{"javascript:alert(1)", true, "javascript:alert(1)"},
		{"https://app.test:3000@evil.example/", true, ""},
		{"https://app.test:3000/", true, ""}, // another scheme: another origin
		{"http://evil%zz/", true, ""},
	} {
		dest, off := offOrigin(tc.loc, base, app, idp)
		if off != tc.off || tc.dest != "" && dest != tc.dest {
			t.Errorf("offOrigin(%q) = %q, %v; want %q, %v", tc.loc, dest, off, tc.dest, tc.off)
		}
	}
}

func TestRedactRaw(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://evil.example/?code=abc&x=1":   "https://evil.example/?code=…&x=1",
		"/\\evil.example/":                     "/\\evil.example/",
		"http://evil%zz/?code=abc#f":           "http://evil%zz/?code=…#…",
		"https://evil.example/#access_token=x": "https://evil.example/#…",
		"/x?%zz=secret":                        "/x?%zz=…",
	} {
		if got := redactRaw(raw); got != want {
			t.Errorf("redactRaw(%q) = %q, want %q", raw, got, want)
		}
	}
}
