package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/cli"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/testenv"
)

// The default fixtures' apps (fixtures/default.yaml).
const (
	app1ID     = "skc_59615193906741387"
	app1Secret = "test_secret_d8f1c5a2e0b94f7a9c3e6b1d"
	app2ID     = "skc_59615193906806923"
	app2Secret = "test_secret_7b2e9f4c1a6d48e3b5f0c8a2"
	adaID      = "usr_59615193906544779"
	acmeOrgID  = "org_59615193906282635"
)

// clock is shared by the mock and the app, so expiry tests move both.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// testIdP is a mock environment served in-process, with a request counter
// and a switch to answer chosen paths with a fault instead.
type testIdP struct {
	*mockidp.Server
	URL    string
	mu     sync.Mutex
	counts map[string]int
	faults map[string]http.HandlerFunc
}

// startIdP serves the mock with the default fixtures and every app's
// redirect and post-logout URIs set to the given app URLs, in order.
func startIdP(t testing.TB, c *clock, appURLs ...string) *testIdP {
	t.Helper()
	return startIdPClock(t, c, fixturesFor(t, appURLs...))
}

// fixturesFor is the default fixtures with every app's redirect and
// post-logout URIs set to the given app URLs, in order.
func fixturesFor(t testing.TB, appURLs ...string) *fixture.Fixtures {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range appURLs {
		fx.Apps[i].RedirectURIs = []string{u + "/api/auth/callback"}
		fx.Apps[i].PostLogoutRedirectURIs = []string{u + "/"}
	}
	return fx
}

// startIdPWith serves the mock with the given fixtures.
func startIdPWith(t *testing.T, fx *fixture.Fixtures) *testIdP {
	t.Helper()
	return startIdPClock(t, nil, fx)
}

func startIdPClock(t testing.TB, c *clock, fx *fixture.Fixtures) *testIdP {
	t.Helper()
	return startIdPOptions(t, c, mockidp.Options{Fixtures: fx})
}

// startIdPOptions serves the mock with opts (Issuer and Now are filled in).
func startIdPOptions(t testing.TB, c *clock, opts mockidp.Options) *testIdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{URL: "http://" + ln.Addr().String(), counts: map[string]int{}, faults: map[string]http.HandlerFunc{}}
	opts.Issuer = p.URL
	if opts.SigningKey == nil {
		// Made once per test binary: a new RSA key for each of the
		// hundreds of scenario environments these tests make was two
		// fifths of the package's CPU.
		opts.SigningKey = testenv.SigningKey()
	}
	if c != nil {
		opts.Now = c.Now
	}
	if p.Server, err = mockidp.New(opts); err != nil {
		t.Fatal(err)
	}
	inner := p.Server.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if r.URL.Path == "/oauth/token" {
			r.ParseForm()
			key += " " + r.PostForm.Get("grant_type")
		}
		p.mu.Lock()
		p.counts[key]++
		fault := p.faults[r.URL.Path]
		p.mu.Unlock()
		if fault != nil {
			fault(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		p.Server.Close()
	})
	return p
}

// count returns how many requests "METHOD /path[ grant_type]" got.
func (p *testIdP) count(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[key]
}

// fault makes path answer with h instead of the mock; nil clears it.
func (p *testIdP) fault(path string, h http.HandlerFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h == nil {
		delete(p.faults, path)
	} else {
		p.faults[path] = h
	}
}

// signedInServe starts the mock on a test clock and `skctl serve`
// against it, and signs Ada in through a browser: the start of every test
// of a signed-in session on one process.
func signedInServe(t *testing.T) (*clock, *testIdP, *appUnderTest, *browser) {
	t.Helper()
	c := &clock{}
	ln, appURL := listenApp(t)
	idp := startIdP(t, c, appURL)
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil)
	b := newBrowser(t)
	b.signIn(app, idp, adaID, acmeOrgID)
	return c, idp, app, b
}

// appUnderTest is `skctl serve` running against a testIdP.
type appUnderTest struct {
	URL string
	run *running
}

// listenApp pre-binds the app's listener so its URL, and so its redirect
// URI, is known before the mock starts (kubelogin's port trick).
func listenApp(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// happyServeArgs come first on every serve's command line: a generous IdP
// timeout, so that only a test that puts a timeout under test (by giving
// --idp-timeout again, which wins) ever meets one, and JSON logs, which
// tests read by request ID (logLine).
var happyServeArgs = []string{"--idp-timeout", "30s", "--log-format", "json"}

// startServe runs `skctl serve` on ln with settings in its environment
// (never a file) and waits until it is ready: until it logs that discovery
// is done.
func startServe(t testing.TB, ln net.Listener, idp *testIdP, c *clock, clientID, secret string, extra map[string]string, args ...string) *appUnderTest {
	t.Helper()
	appURL := "http://" + ln.Addr().String()
	env := map[string]string{
		"SCALEKIT_ENVIRONMENT_URL": idp.URL,
		"SCALEKIT_CLIENT_ID":       clientID,
		"SCALEKIT_CLIENT_SECRET":   secret,
		"SCALEKIT_REDIRECT_URI":    appURL + "/api/auth/callback",
		"SKCTL_ADDR":               ln.Addr().String(),
	}
	for k, v := range extra {
		env[k] = v
	}
	r := startCmdWith(t, func(d *cli.Deps) {
		d.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		d.Listen = func(string, string) (net.Listener, error) { return ln, nil }
		if c != nil {
			d.Now = c.Now
		}
	}, slices.Concat([]string{"serve", "--env-file", ""}, happyServeArgs, args)...)
	a := &appUnderTest{URL: appURL, run: r}
	a.waitDiscovery(t)
	return a
}

// waitDiscovery waits for serve's "discovery done" log line, then checks
// that /readyz agrees.
func (a *appUnderTest) waitDiscovery(t testing.TB) {
	t.Helper()
	done := func(line string) bool {
		var e logEntry
		if json.Unmarshal([]byte(line), &e) == nil {
			return e["msg"] == "discovery done"
		}
		return strings.Contains(line, `msg="discovery done"`) // --log-format text
	}
	if _, ok := a.run.stderr.waitFor(hangDeadline, done); !ok {
		t.Fatalf("serve did not finish discovery in %v; stderr:\n%s", hangDeadline, a.run.stderr)
	}
	resp, err := http.Get(a.URL + "/readyz")
	if err != nil {
		t.Fatalf("/readyz after discovery: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after discovery: %d", resp.StatusCode)
	}
}

// logEntry is one line of serve's JSON log.
type logEntry map[string]any

// waitLog waits for a line of serve's JSON log for which match is true.
// Serve logs a request's failure before it answers, so a line about a
// request already answered is found at once.
func (a *appUnderTest) waitLog(timeout time.Duration, match func(logEntry) bool) (logEntry, bool) {
	var found logEntry
	_, ok := a.run.stderr.waitFor(timeout, func(line string) bool {
		var e logEntry
		if json.Unmarshal([]byte(line), &e) != nil || !match(e) {
			return false
		}
		found = e
		return true
	})
	return found, ok
}

// requestLog returns serve's log line with this msg for the request that
// answered p (by its X-Request-Id), failing the test if there is none.
func (a *appUnderTest) requestLog(t *testing.T, p page, msg string) logEntry {
	t.Helper()
	id := p.header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("the answer (%d) has no X-Request-Id: %.300s", p.status, p.body)
	}
	e, ok := a.waitLog(hangDeadline, func(e logEntry) bool { return e["msg"] == msg && e["request_id"] == id })
	if !ok {
		t.Fatalf("serve logged no %q line for request %s (%d); stderr:\n%s", msg, id, p.status, a.run.stderr)
	}
	return e
}

// preloadKeys makes the environment at envURL load (or make) its signing
// key now, through its discovery's jwks_uri, so that no request under a
// tight timeout waits for an RSA key to be generated. It bypasses any
// fault switched on later; run it before arming one.
func preloadKeys(t *testing.T, envURL string) {
	t.Helper()
	client := &http.Client{Timeout: hangDeadline}
	get := func(u string) []byte {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("preloading keys: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("preloading keys: GET %s: %d %v %.200s", u, resp.StatusCode, err, body)
		}
		return body
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(get(envURL+"/.well-known/openid-configuration"), &doc); err != nil || doc.JWKSURI == "" {
		t.Fatalf("preloading keys: discovery of %s: %v, jwks_uri %q", envURL, err, doc.JWKSURI)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(get(doc.JWKSURI), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("preloading keys: %s holds no key (%v)", doc.JWKSURI, err)
	}
}

// browser walks redirects one hop at a time with a cookie jar, as a
// browser does, and sends the Sec-Fetch-Site a browser would for a click
// inside the app.
type browser struct {
	t      testing.TB
	client *http.Client
	jar    http.CookieJar
	// seen holds every page body and Location the browser got, for tests
	// that check what an app showed.
	mu   sync.Mutex
	seen strings.Builder
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, client: &http.Client{
		Jar: jar, Timeout: hangDeadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	header   http.Header
	body     string
	location *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc
	}
	switch p.status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if p.location == nil {
			// Tests read a redirect's Location without checking it.
			b.t.Fatalf("%s %s: %d without a usable Location: %.300s", req.Method, req.URL.Path, p.status, p.body)
		}
	}
	b.mu.Lock()
	b.seen.WriteString(p.body)
	b.mu.Unlock()
	return p
}

func (b *browser) get(u string, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// follow GETs p's Location.
func (b *browser) follow(p page) page {
	b.t.Helper()
	return b.get(b.loc(p).String())
}

// loc returns p's Location, failing the test with p's status and body if
// p is not a redirect.
func (b *browser) loc(p page) *url.URL {
	b.t.Helper()
	if p.location == nil {
		b.t.Fatalf("want a redirect, got %d: %.300s", p.status, p.body)
	}
	return p.location
}

// handle returns the sign-in page's form handle, failing the test with the
// page's status and body if p is not that page.
func (b *browser) handle(p page) string {
	b.t.Helper()
	m := handleRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("want the IdP's sign-in page, got %d: %.300s", p.status, p.body)
	}
	return m[1]
}

// cookie returns the jar's cookie of that name for u, or nil.
func (b *browser) cookie(u, name string) *http.Cookie {
	pu, _ := url.Parse(u)
	for _, c := range b.jar.Cookies(pu) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

type cliDeps = cli.Deps

// listenerOnce hands a pre-bound listener to the command.
func listenerOnce(ln net.Listener) func(string, string) (net.Listener, error) {
	return func(string, string) (net.Listener, error) { return ln, nil }
}
