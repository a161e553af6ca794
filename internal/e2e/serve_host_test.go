package e2e_test

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/cli"
)

// TestServeOtherLoopbackName: serve's redirect URI names localhost, as
// skctl dev's does, and a newcomer opens the address the listener logs,
// 127.0.0.1. The transaction cookie would live on 127.0.0.1 and the IdP
// sends the browser back to localhost, which has no such cookie: "Sign-in
// expired". So pages on another loopback name of the same port redirect
// to the redirect URI's origin, path and query kept, before any login
// starts; probes answer on any name; and the log names the URL to open.
func TestServeOtherLoopbackName(t *testing.T) {
	t.Parallel()
	ln, ipURL := listenApp(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	nameURL := "http://localhost:" + port
	idp := startIdP(t, nil, nameURL)
	env := map[string]string{
		"SCALEKIT_ENVIRONMENT_URL": idp.URL, "SCALEKIT_CLIENT_ID": app1ID, "SCALEKIT_CLIENT_SECRET": app1Secret,
		"SCALEKIT_REDIRECT_URI": nameURL + "/api/auth/callback", "SKCTL_ADDR": ln.Addr().String(),
	}
	r := startCmdWith(t, func(d *cli.Deps) {
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = listenerOnce(ln)
	}, slices.Concat([]string{"serve", "--env-file", ""}, happyServeArgs)...)
	app := &appUnderTest{URL: nameURL, run: r}
	app.waitDiscovery(t)

	// The ready line says where to go, not only the listener's address.
	if e, ok := app.waitLog(hangDeadline, func(e logEntry) bool { return e["msg"] == "serve ready" }); !ok || e["open"] != nameURL+"/" {
		t.Errorf("serve ready logged open=%v, want %s/", e["open"], nameURL)
	}

	b := newBrowser(t)
	for _, path := range []string{"/", "/dashboard?tab=1", "/api/auth/login?return_to=%2Fdashboard", "/nowhere"} {
		p := b.get(ipURL + path)
		if p.status != http.StatusFound || p.location == nil || p.location.String() != nameURL+path {
			t.Errorf("GET %s%s: %d %v, want a redirect to %s%s", ipURL, path, p.status, p.location, nameURL, path)
		}
		if names := b.cookieNames(ipURL, "skctl_"); len(names) > 0 {
			t.Errorf("GET %s%s set %v on the other name", ipURL, path, names)
		}
	}
	for _, probe := range []string{"/healthz", "/readyz"} {
		if p := b.get(ipURL + probe); p.status != http.StatusOK {
			t.Errorf("GET %s%s: %d, want the probe's answer on any name", ipURL, probe, p.status)
		}
	}
	// Another host entirely (a proxy's, say) is served as it comes: the
	// app cannot tell it from a proxy that rewrites Host, which a
	// redirect would send round in a loop.
	req, _ := http.NewRequest(http.MethodGet, ipURL+"/", nil)
	req.Host = "app.example.test:" + port
	if p := b.do(req); p.status != http.StatusOK {
		t.Errorf("GET / for Host app.example.test: %d %v, want the page", p.status, p.location)
	}

	// The newcomer's journey: open the logged address, click "Sign in"
	// (a link to /api/auth/login on whatever host the page is on), pick a
	// user, and land signed in.
	p := b.get(ipURL + "/api/auth/login")
	for hops := 0; p.location != nil && !strings.HasPrefix(p.location.String(), idp.URL) && hops < 3; hops++ {
		p = b.follow(p)
	}
	p = b.post(idp.URL+"/oauth/login", url.Values{"handle": {b.handle(b.follow(p))}, "user": {adaID}, "org": {acmeOrgID}})
	cb := b.follow(p)
	if cb.status != http.StatusFound {
		t.Fatalf("callback: %d %q (reason %q)", cb.status, pageTitle(cb.body), app.requestLog(t, cb, "request failed")["reason"])
	}
	if dash := b.follow(cb); dash.status != http.StatusOK || !strings.Contains(dash.body, "Ada Lovelace") {
		t.Errorf("after sign-in: %d %q", dash.status, pageTitle(dash.body))
	}
}
