package webapp

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSameServer: a page requested on another loopback name of the
// redirect URI's port is redirected to the redirect URI's origin, path
// and query kept; probes, other methods, other ports and hosts that may
// be a proxy's are served as they come.
func TestSameServer(t *testing.T) {
	f := startFakeIdP(t)
	now := func() time.Time { return time.Now() }
	local := newTestApp(t, f, now, "http://localhost:4321/api/auth/callback")
	ip := newTestApp(t, f, now, "http://127.0.0.1:4321/api/auth/callback")
	public := newTestApp(t, f, now, "https://app.example.test/api/auth/callback")
	cases := []struct {
		app          *App
		method, host string
		target       string
		want         string // the Location, or "" for no redirect
	}{
		{local, "GET", "127.0.0.1:4321", "/dashboard?tab=1", "http://localhost:4321/dashboard?tab=1"},
		{local, "HEAD", "127.0.0.1:4321", "/", "http://localhost:4321/"},
		{local, "GET", "[::1]:4321", "/api/auth/login?return_to=%2Fdashboard", "http://localhost:4321/api/auth/login?return_to=%2Fdashboard"},
		{local, "GET", "127.0.0.2:4321", "//evil.example/x", "http://localhost:4321//evil.example/x"},
		{local, "GET", "127.0.0.1:4321", "x:@evil.example/", ""}, // an opaque target: no redirect to evil.example
		{ip, "GET", "localhost:4321", "/", "http://127.0.0.1:4321/"},
		{local, "GET", "localhost:4321", "/", ""},
		{local, "GET", "LOCALHOST:4321", "/", ""},
		{local, "GET", "127.0.0.1:4321", "/healthz", ""},
		{local, "GET", "127.0.0.1:4321", "/readyz", ""},
		{local, "POST", "127.0.0.1:4321", "/api/auth/logout", ""},
		{local, "GET", "127.0.0.1:8080", "/", ""}, // another port: maybe another server
		{local, "GET", "127.0.0.1", "/", ""},      // port 80
		{local, "GET", "app.example.test:4321", "/", ""},
		{public, "GET", "127.0.0.1:4321", "/", ""}, // behind a proxy that rewrites Host
		{public, "GET", "localhost", "/", ""},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.target, nil)
		req.Host = tc.host
		rec := httptest.NewRecorder()
		tc.app.Handler().ServeHTTP(rec, req)
		got := ""
		if rec.Code == http.StatusFound {
			got = rec.Header().Get("Location")
		}
		if tc.want == "" && got != "" && got[0] != '/' || tc.want != "" && got != tc.want {
			t.Errorf("%s %s%s with redirect URI %s: %d %q, want %q", tc.method, tc.host, tc.target, tc.app.origin, rec.Code, got, tc.want)
		}
	}
}
