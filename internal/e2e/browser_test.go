package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findBrowser returns the path of a Chromium or Chrome on PATH, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserLog records what a real browser saw: navigations, redirects,
// failed loads, cookies it refused, console and browser-log messages. It
// is printed when a step fails, to tell a CSP, cookie or redirect problem
// apart from a slow page.
type browserLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *browserLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *browserLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// contains reports whether a recorded line contains s.
func (l *browserLog) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// listen is a chromedp listener: it runs in the tab's read loop, so it
// only formats and stores.
func (l *browserLog) listen(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Type != network.ResourceTypeDocument || ev.Request == nil {
			return
		}
		if r := ev.RedirectResponse; r != nil {
			l.add("redirect %d %s -> %s", r.Status, stripQuery(r.URL), stripQuery(ev.Request.URL))
		} else {
			l.add("request %s %s", ev.Request.Method, stripQuery(ev.Request.URL))
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument && ev.Response != nil {
			l.add("response %d %s", ev.Response.Status, stripQuery(ev.Response.URL))
		}
	case *network.EventResponseReceivedExtraInfo:
		for _, c := range ev.BlockedCookies {
			l.add("cookie refused %q: %v", c.CookieLine, c.BlockedReasons)
		}
	case *network.EventLoadingFailed:
		// A subresource canceled by the next navigation (a favicon, say)
		// is no failure.
		what := "load failed"
		if ev.Canceled {
			what = "load canceled"
		}
		l.add("%s (%s): %s blocked=%q", what, ev.Type, ev.ErrorText, ev.BlockedReason)
	case *cdppage.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ParentID == "" {
			l.add("navigated %s", stripQuery(ev.Frame.URL))
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil {
			l.add("browser log %s/%s: %s (%s)", e.Source, e.Level, e.Text, stripQuery(e.URL))
		}
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value))
		}
		l.add("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			l.add("exception: %s", d.Text)
		}
	}
}

// stripQuery drops a URL's query, which carries codes, states and tokens.
func stripQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?…"
	}
	return s
}

// TestBrowserSignInAndOut walks the guide's journey in a real Chromium:
// home, "Sign in", the mock's sign-in page, Ada Lovelace, the dashboard
// (with a screenshot), "Sign out" through the IdP's end-session endpoint
// and back home, signed out. What the HTTP-level tests cannot see is
// checked here: the browser's own cookie, SameSite, CSP and redirect
// rules.
func TestBrowserSignInAndOut(t *testing.T) {
	t.Parallel()
	exe := findBrowser()
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium, chromium-browser or google-chrome on PATH; CI must run the browser test: apt-get install chromium")
		}
		t.Skip("no chromium, chromium-browser or google-chrome on PATH; to run this test: apt-get install chromium")
	}

	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	// Created before the browser starts, so they are removed after the
	// browser has exited (the deferred cancels run before t.Cleanup).
	// TMPDIR keeps the files Chromium leaves in the temporary directory
	// when it is killed (its singleton socket, its shared memory) out of
	// /tmp.
	profile, tmp, shotDir := t.TempDir(), t.TempDir(), t.TempDir()

	// Deadlines against a hang only, generous for a busy machine: each
	// step waits for its own event (a page, a selector).
	ctx, cancel := context.WithTimeout(t.Context(), 3*hangDeadline)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The network is closed here: keep Chromium from reaching out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bl := &browserLog{}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(bl.listen))
	defer cancelTab()
	// The first Do starts the browser, bound to that context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}

	// fail reports a failed step with where the browser is, what it shows
	// and what it saw on the way.
	fail := func(step string, err error) {
		t.Helper()
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		html, _ := chromedp.Run(dctx, chromedp.OuterHTML(chromedp.CSS("body")))
		if len(html) > 2000 {
			html = html[:2000] + "…"
		}
		t.Fatalf("%s: %v\nbrowser at: %s\npage:\n%s\nbrowser log:\n%s\nserve stderr:\n%s",
			step, err, stripQuery(loc), html, bl, app.run.stderr)
	}
	// do runs one step of the journey with a deadline of its own, so a
	// page that never comes fails fast with the diagnostics above.
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, hangDeadline)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			fail(step, err)
		}
	}
	location := func() *url.URL {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			fail("read the location", err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail("read "+sel, err)
		}
		return s
	}
	atApp := func(step, path string) {
		t.Helper()
		if u := location(); u.Scheme+"://"+u.Host != app.URL || u.Path != path {
			fail(step, fmt.Errorf("browser at %s, want %s%s", stripQuery(u.String()), app.URL, path))
		}
	}

	const (
		signInLink  = `main a[href="/api/auth/login"]`
		signOutLink = `main a[href="/api/auth/logout"]`
	)
	adaButton := chromedp.Search(`//form//button[contains(concat(" ", normalize-space(@class), " "), " user ")][.//strong[normalize-space()="Ada Lovelace"]]`)

	// Home, signed out.
	do("open home", chromedp.Navigate(app.URL+"/"), chromedp.WaitVisible(chromedp.CSS(signInLink)))
	if s := text(signInLink); s != "Sign in" {
		t.Fatalf("home's sign-in link reads %q", s)
	}

	// "Sign in" goes to the mock's sign-in page.
	do("click Sign in", chromedp.Click(chromedp.CSS(signInLink)), chromedp.WaitVisible(adaButton))
	if u := location(); u.Scheme+"://"+u.Host != idp.URL {
		t.Fatalf("after Sign in the browser is at %s, want the mock at %s", stripQuery(u.String()), idp.URL)
	}
	if v, err := chromedp.Run(ctx, chromedp.AttributeValue(adaButton, "value")); err != nil || v.Value != adaID {
		t.Fatalf("Ada's button has value %+v (%v), want %s", v, err, adaID)
	}

	// Ada is picked: the callback signs her in and sends her to the
	// dashboard, which welcomes her.
	do("pick Ada Lovelace", chromedp.Click(adaButton),
		chromedp.WaitVisible(chromedp.Search(`//main//h1[normalize-space()="Welcome, Ada Lovelace"]`)))
	atApp("after sign-in", "/dashboard")
	if s := text("main h1"); !strings.Contains(s, "Welcome, Ada Lovelace") {
		t.Fatalf("dashboard heading %q, want it to say Welcome, Ada Lovelace", s)
	}
	if s := text("main"); !strings.Contains(s, adaID) {
		t.Errorf("dashboard does not show Ada's user ID %s:\n%s", adaID, s)
	}

	// A full screenshot of the dashboard is a real PNG.
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		fail("screenshot", err)
	}
	shotPath := filepath.Join(shotDir, "dashboard.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(shotPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s (%d bytes) lacks the PNG signature: % x", shotPath, len(data), data[:min(len(data), 8)])
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", shotPath, err)
	}
	if b := img.Bounds(); b.Dx() == 0 || b.Dy() == 0 {
		t.Fatalf("screenshot has empty bounds %v", b)
	}

	// Home shows her signed in, with the way back to the dashboard.
	do("open home", chromedp.Click(chromedp.CSS(`header a.brand`)),
		chromedp.WaitVisible(chromedp.Search(`//main//h1[normalize-space()="Hello, Ada Lovelace"]`)))
	atApp("home signed in", "/")
	do("back to the dashboard", chromedp.Click(chromedp.CSS(`main a[href="/dashboard"]`)),
		chromedp.WaitVisible(chromedp.Search(`//main//h1[normalize-space()="Welcome, Ada Lovelace"]`)))

	// "Sign out" goes through the mock's end-session endpoint and back to
	// the app's home, signed out.
	do("click Sign out", chromedp.Click(chromedp.CSS(signOutLink)), chromedp.WaitVisible(chromedp.CSS(signInLink)))
	atApp("after sign-out", "/")
	if s := text("main"); !strings.Contains(s, "Sign in") || strings.Contains(s, "Ada") || !strings.Contains(s, "You are signed out") {
		t.Fatalf("home after sign-out does not look signed out, with its notice:\n%s", s)
	}
	if u := location(); u.RawQuery != "" {
		t.Errorf("after sign-out the address bar keeps a query: %s", stripQuery(u.String()))
	}
	if s := text("footer"); strings.Contains(s, "Signed in") {
		t.Errorf("the footer says %q while signed out", s)
	}
	if !bl.contains("redirect 302 " + idp.URL + "/oidc/logout") {
		t.Errorf("sign-out did not pass through the mock's /oidc/logout:\n%s", bl)
	}

	// The session is gone, and so is the mock's: the dashboard sends the
	// browser to sign in, which shows the mock's page again.
	do("open the dashboard signed out", chromedp.Navigate(app.URL+"/dashboard"), chromedp.WaitVisible(adaButton))
	if !bl.contains("redirect 302 " + app.URL + "/dashboard -> " + app.URL + "/api/auth/login") {
		t.Errorf("the dashboard did not send the signed-out browser to sign in:\n%s", bl)
	}

	// No page broke a rule the browser enforces, and nothing failed to load.
	for _, bad := range []string{"Content Security Policy", "cookie refused", "load failed (Document)", "exception:"} {
		if bl.contains(bad) {
			t.Errorf("the browser reported %q:\n%s", bad, bl)
		}
	}
	t.Logf("browser log:\n%s", bl)
}
