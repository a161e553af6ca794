package mockidp_test

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// portalStep bounds one step of the browser journey: a page that never
// comes fails fast, a busy machine still has time.
const portalStep = 30 * time.Second

// portalShots is where the screenshots of the portal go, for people to
// look at.
const portalShots = "/tmp/shots"

// embedder is the app's side of an embedded portal: a page on the
// registered origin that frames a portal link and keeps the browser
// events it receives from the environment's origin (as Scalekit's docs
// ask: check event.origin), and the redirect URI a sign-in comes back to.
type embedder struct {
	origin string
	codes  chan url.Values
}

// The listener is registered before the iframe exists: a portal page
// that posts its event as soon as it loads (a refusal) must not beat it.
var embedPage = template.Must(template.New("embed").Parse(`<!doctype html>
<html><head><title>App settings</title></head><body style="margin:0;font-family:sans-serif">
<script>
window.portalEvents = [];
window.addEventListener('message', function (e) {
  if (e.origin !== {{.Env}}) return;
  window.portalEvents.push({origin: e.origin, event: e.data});
});
</script>
<p style="margin:.5rem">The app's settings page, embedding the admin portal:</p>
<iframe id="portal" src="{{.Link}}" style="width:100%;height:2200px;border:0"></iframe>
</body></html>`))

// listenEmbedder takes the app's port first, so that its redirect URI
// can be registered before the environment starts. The app is on
// localhost, another site than the mock on 127.0.0.1: the portal is
// framed cross-site, as in production, where a cookie would be a
// third-party one.
func listenEmbedder(t *testing.T) (net.Listener, *embedder) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln, &embedder{origin: "http://localhost:" + port, codes: make(chan url.Values, 4)}
}

// serve serves the app's two pages until the test ends.
func (e *embedder) serve(t *testing.T, ln net.Listener, envURL string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /embed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		embedPage.Execute(w, map[string]string{"Link": r.URL.Query().Get("link"), "Env": envURL})
	})
	mux.HandleFunc("GET /api/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		select {
		case e.codes <- r.URL.Query():
		default:
		}
		fmt.Fprint(w, "<!doctype html><title>Signed in</title><h1>Back in the app</h1>")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
}

// consoleLog keeps what the browser reported: console messages, browser
// log entries (CSP refusals among them) and exceptions.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *consoleLog) listen(ev any) {
	var line string
	switch ev := ev.(type) {
	case *log.EventEntryAdded:
		if ev.Entry != nil {
			line = fmt.Sprintf("browser log %s/%s: %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text)
		}
	case *runtime.EventConsoleAPICalled:
		line = fmt.Sprintf("console.%s", ev.Type)
	case *runtime.EventExceptionThrown:
		if ev.ExceptionDetails != nil {
			line = "exception: " + ev.ExceptionDetails.Text
		}
	}
	if line != "" {
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
	}
}

func (l *consoleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestBrowserPortal walks the admin portal in a real Chromium, embedded
// cross-site in an app's page as Scalekit's is: add and verify a domain,
// create and enable an SSO connection, create a SCIM directory with its
// token and enable it, each event reaching the app's page from the
// environment's origin; a second opening of the link is refused with
// PORTAL_LOAD_FAILURE; then a sign-in through the new connection comes
// back to the app with a code whose tokens carry the organization and
// the connection. What HTTP tests cannot see is checked here: that the
// browser frames the page (frame-ancestors), runs its one script (the
// nonce) and posts across sites, with no cookie to lose.
func TestBrowserPortal(t *testing.T) {
	t.Parallel()
	ln, app := listenEmbedder(t)
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	callback := app.origin + "/api/auth/callback"
	fx.Apps[0].RedirectURIs = []string{callback}
	env := startEnv(t, mockidp.Options{Fixtures: fx})
	app.serve(t, ln, env.URL)
	c := newMgAPI(t, env)

	top, frameLog := &consoleLog{}, &consoleLog{}
	ctx := startChromium(t, 6*portalStep, top)
	if err := os.MkdirAll(portalShots, 0o755); err != nil {
		t.Fatal(err)
	}

	fail := func(step string, in context.Context, err error) {
		t.Helper()
		dctx, dcancel := context.WithTimeout(in, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		body, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nat: %s\npage:\n%.2000s\npage log:\n%s\nportal log:\n%s", step, err, stripToken(loc), body, top, frameLog)
	}
	do := func(step string, in context.Context, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(in, portalStep)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			fail(step, in, err)
		}
	}
	// notice waits for the page after an action to say what it did.
	notice := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(`//p[@class="notice"][contains(., "` + text + `")]`))
	}
	button := func(row, label string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.Search(`//div[contains(@class, "row")][.//*[contains(., "` + row + `")]]//button[normalize-space()="` + label + `"]`))
	}
	received := func(step, check string) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, portalStep)
		defer scancel()
		if _, err := chromedp.Run(sctx, chromedp.Poll[bool](`window.portalEvents.some(function (m) { var e = m.event; return `+check+`; })`)); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]any](`window.portalEvents`))
			fail(step+": the app's page never received "+check, ctx, fmt.Errorf("%w; received %v", err, got))
		}
	}
	shoot := func(name string) {
		t.Helper()
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			fail("screenshot "+name, ctx, err)
		}
		if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
			t.Fatalf("screenshot %s is not a PNG: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(portalShots, name), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The app's settings page frames a fresh link. The portal runs in its
	// own process (another site), so the test attaches to it.
	link := portalLink(t, c, globexOrg)
	do("open the app's page", ctx, chromedp.Navigate(app.origin+"/embed?link="+url.QueryEscape(link)))
	frame, cancelFrame := attachFrame(t, ctx, env.URL+"/magicLink/", frameLog)
	defer cancelFrame()
	do("the portal shows Globex", frame, chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Globex"]`)))
	received("load", `e.event_type === "PORTAL_LOAD_SUCCESS" && e.organization_id === "`+globexOrg+`"`)

	// Values are set, not typed: SendKeys dispatches its keystrokes
	// asynchronously into the cross-process frame, and the click that
	// follows can overtake them on a busy machine.
	do("add a domain", frame, chromedp.SetValue(chromedp.CSS(`input[name="domain"]`), "portal-browser.test"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add domain"]`)), notice("portal-browser.test added"))
	do("verify it", frame, button("portal-browser.test", "Verify"), notice("portal-browser.test verified"))
	if o, ok := env.Tenant().OrgByDomain("portal-browser.test"); !ok || o.ID != globexOrg {
		t.Errorf("the domain verified in the browser routes to %q (%v), want Globex", o.ID, ok)
	}

	do("create a SAML connection", frame, chromedp.SetValue(chromedp.CSS(`select[name="type"]`), "SAML"),
		chromedp.SetValue(chromedp.CSS(`select[name="provider"]`), "IDP_SIMULATOR"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create connection"]`)), notice("Created the SAML connection"))
	conns := env.Tenant().ListConnections(globexOrg, "")
	conn := conns[len(conns)-1]
	if conn.Type != "SAML" || conn.Provider != "IDP_SIMULATOR" || conn.Enabled {
		t.Fatalf("the browser's connection %+v, want a disabled SAML IDP_SIMULATOR one", conn)
	}
	do("enable it", frame, button(conn.ID, "Enable"), notice("Connection "+conn.ID+" enabled"))
	received("SSO enabled", `e.event_type === "ORGANIZATION_SSO_ENABLED" && e.data.id === "`+conn.ID+`" && e.data.enabled === true`)

	do("create a directory", frame, chromedp.SetValue(chromedp.CSS(`input[name="name"]`), "Globex Okta"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create directory"]`)), notice("Created the directory Globex Okta"))
	dirs, _ := env.Tenant().ListDirectories(globexOrg)
	if len(dirs) != 1 {
		t.Fatalf("Globex's directories %+v, want the one just made", dirs)
	}
	dir := dirs[0]
	do("generate its token", frame, button("Globex Okta", "Generate token"), chromedp.WaitVisible(chromedp.CSS(`#secret code`)))
	token, err := chromedp.Run(frame, chromedp.Text(chromedp.CSS(`#secret code`)))
	if err != nil {
		fail("read the token", frame, err)
	}
	if _, ok := env.Tenant().DirectoryByToken(dir.ID, token); !ok {
		t.Errorf("the token the browser shows does not authenticate %s", dir.ID)
	}
	do("enable the directory", frame, button("Globex Okta", "Enable"), notice("Directory Globex Okta enabled"))
	received("directory enabled", `e.event_type === "ORGANIZATION_DIRECTORY_ENABLED" && e.data.id === "`+dir.ID+`"`)

	evs, err := chromedp.Run(ctx, chromedp.Evaluate[[]struct {
		Origin string       `json:"origin"`
		Event  browserEvent `json:"event"`
	}](`window.portalEvents`))
	if err != nil {
		fail("read the events", ctx, err)
	}
	var types []string
	for _, m := range evs {
		types = append(types, m.Event.EventType)
		if m.Origin != env.URL || m.Event.OrganizationID != globexOrg {
			t.Errorf("event %s from %s of %q, want the environment's origin and Globex", m.Event.EventType, m.Origin, m.Event.OrganizationID)
		}
	}
	if want := []string{"PORTAL_LOAD_SUCCESS", "ORGANIZATION_SSO_ENABLED", "ORGANIZATION_DIRECTORY_ENABLED"}; !slices.Equal(types, want) {
		t.Errorf("the app's page received %q, want %q: one load, and each toggle once", types, want)
	}
	session, err := chromedp.Run(frame, chromedp.Location())
	if err != nil {
		fail("read the portal's location", frame, err)
	}
	cancelFrame()

	// The session's page opens outside the iframe too: its token is in
	// the path. With a pending domain and a token just rotated (shown
	// once), it is the screenshot to look at.
	do("open the session top-level", ctx, chromedp.Navigate(session), chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Globex"]`)))
	do("add a pending domain", ctx, chromedp.SetValue(chromedp.CSS(`input[name="domain"]`), "pending-browser.test"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add domain"]`)), notice("pending-browser.test added"))
	do("rotate the token", ctx, button("Globex Okta", "Rotate token"), chromedp.WaitVisible(chromedp.CSS(`#secret code`)))
	shoot("portal.png")

	// The link again, embedded: refused, with PORTAL_LOAD_FAILURE.
	do("frame the used link", ctx, chromedp.Navigate(app.origin+"/embed?link="+url.QueryEscape(link)))
	received("refused link", `e.event_type === "PORTAL_LOAD_FAILURE" && e.message.indexOf("already opened") >= 0`)
	do("open the used link top-level", ctx, chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="error"][contains(., "already opened")]`)))
	shoot("portal-used.png")

	// A sign-in through the new connection: the mock's sign-in page, then
	// the app's callback with a code.
	a := newApp(t, env, app1ID, app1Secret, callback)
	f := a.start(oauth2.SetAuthURLParam("connection_id", conn.ID))
	hankButton := chromedp.Search(`//form//button[contains(@class, "user")][.//strong[normalize-space()="Hank Scorpio"]]`)
	do("sign in through the connection", ctx, chromedp.Navigate(f.authURL), chromedp.WaitVisible(hankButton))
	do("pick Hank", ctx, chromedp.Click(hankButton), chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Back in the app"]`)))
	var q url.Values
	select {
	case q = <-app.codes:
	case <-time.After(portalStep):
		t.Fatal("the app's callback was never called")
	}
	if q.Get("state") != f.state || q.Get("code") == "" {
		t.Fatalf("the callback got state %q and a code %v, want the flow's state and a code", q.Get("state"), q.Get("code") != "")
	}
	tok, err := a.exchange(f, q.Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if amr := strs(tok.claims["amr"]); tok.claims["oid"] != globexOrg || !slices.Equal(amr, []string{conn.ID}) || tok.claims["sub"] != hank {
		t.Errorf("the ID token: sub %v oid %v amr %v, want Hank of Globex through %s", tok.claims["sub"], tok.claims["oid"], amr, conn.ID)
	}
	if ses := env.SessionsOfUser(hank); len(ses) != 1 || ses[0].ConnID != conn.ID || ses[0].OrgID != globexOrg {
		t.Errorf("Hank's IdP sessions %+v, want one of Globex through %s", ses, conn.ID)
	}

	for _, l := range []*consoleLog{top, frameLog} {
		if s := l.String(); strings.Contains(s, "Content Security Policy") || strings.Contains(s, "Refused") || strings.Contains(s, "exception:") {
			t.Errorf("the browser reported a refusal or an exception:\n%s", s)
		}
	}
}

// attachFrame attaches to the portal's iframe, which runs as a target of
// its own (another site than the page), once the browser lists it; the
// context leaves the iframe be when it is cancelled.
func attachFrame(t *testing.T, ctx context.Context, prefix string, l *consoleLog) (context.Context, context.CancelFunc) {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, portalStep)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond) // polls the browser's state, as chromedp's own Poll does
	defer tick.Stop()
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("list the browser's targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel(), chromedp.WithListener(l.listen))
				// The first Do attaches, bound to the context it is given:
				// this one, not a step's shorter one.
				if err := chromedp.Do(fctx); err != nil {
					t.Fatalf("attach to the portal's iframe: %v", err)
				}
				return fctx, cancel
			}
		}
		select {
		case <-wait.Done():
			t.Fatalf("no iframe at %s among the browser's targets: %+v", prefix, infos)
		case <-tick.C:
		}
	}
}

// stripToken drops the session token from a portal URL for messages.
func stripToken(u string) string {
	if i := strings.Index(u, "/s/"); i >= 0 {
		return u[:i] + "/s/…"
	}
	return u
}
