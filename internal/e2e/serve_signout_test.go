package e2e_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/servemetrics/metricstest"
	"github.com/skctl/skctl/internal/session"
)

// TestServeSignOutRevokes: one process, no shared store. A copy of the
// session cookie taken before sign-out is refused after it, with the
// reason logged, even while its access token is still valid; nor can it
// be refreshed into a new session once that token expires.
func TestServeSignOutRevokes(t *testing.T) {
	t.Parallel()
	c, idp, app, b := signedInServe(t)
	copied := b.cookieHeader(app.URL)

	if out := b.get(app.URL+"/api/auth/logout", "Sec-Fetch-Site", "same-origin"); out.status != http.StatusFound || !sessionCleared(out) {
		t.Fatalf("sign-out: %d", out.status)
	}
	app.requestLogAny(t, "session revoked")
	if v := metricstest.Scrape(t, nil, app.URL+"/metrics").Value("skctl_serve_session_revocations_total"); v != 1 {
		t.Errorf("skctl_serve_session_revocations_total = %v after one sign-out, want 1", v)
	}
	p := getWith(t, app.URL+"/dashboard", copied)
	if !toLogin(p, "/dashboard") || !sessionCleared(p) {
		t.Fatalf("the copied cookie after sign-out: %d %v cleared=%v, want refused", p.status, p.location, sessionCleared(p))
	}
	if e := app.requestLog(t, p, "session ended"); e["reason"] != "signed out: the session was revoked at sign-out" {
		t.Errorf("session ended for %q", e["reason"])
	}
	c.Advance(6 * time.Minute)
	before := idp.count(refreshKey)
	if p := getWith(t, app.URL+"/dashboard", copied); !toLogin(p, "/dashboard") || idp.count(refreshKey) != before {
		t.Errorf("the expired copy: %d, %d refreshes; want refused without a refresh", p.status, idp.count(refreshKey)-before)
	}
}

// TestServeSignOutRevokesOldCookie: a cookie made before session IDs
// existed (no "s" in it) is revoked by its tokens' sid: another copy of
// the same tokens, sealed anew, is refused after the sign-out.
func TestServeSignOutRevokesOldCookie(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	rand.Read(key)
	codec, err := session.NewCodec([][]byte{key}, nil, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ln, appURL := listenApp(t)
	idp := startIdP(t, nil, appURL)
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, map[string]string{"SKCTL_COOKIE_SECRET": base64.StdEncoding.EncodeToString(key)})
	b := newBrowser(t)
	b.signIn(app, idp, adaID, acmeOrgID)

	// The tokens as an older serve stored them.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", b.cookieHeader(app.URL))
	raw, err := codec.Read(req, "skctl_session", session.CookieOptions{MaxAge: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var tokens map[string]any
	json.Unmarshal(raw, &tokens)
	if tokens["s"] == nil {
		t.Fatalf("a new sign-in's cookie has no session ID")
	}
	delete(tokens, "s")
	legacy, _ := json.Marshal(tokens)
	seal := func() string {
		w := httptest.NewRecorder()
		if err := codec.Write(w, req, "skctl_session", session.CookieOptions{MaxAge: 7 * 24 * time.Hour}, legacy); err != nil {
			t.Fatal(err)
		}
		return cookieHeaderOf(w.Header())
	}
	first, second := seal(), seal()
	if p := getWith(t, app.URL+"/dashboard", second); p.status != http.StatusOK {
		t.Fatalf("the old-style cookie before sign-out: %d", p.status)
	}

	out, _ := http.NewRequest(http.MethodGet, app.URL+"/api/auth/logout", nil)
	out.Header.Set("Cookie", first)
	out.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := (&http.Transport{}).RoundTrip(out)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-out with the old-style cookie: %v %v", err, resp)
	}
	resp.Body.Close()
	p := getWith(t, app.URL+"/dashboard", second)
	if !toLogin(p, "/dashboard") {
		t.Fatalf("another copy of the old-style cookie after sign-out: %d, want refused by its sid", p.status)
	}
	if e := app.requestLog(t, p, "session ended"); e["reason"] != "signed out: the session was revoked at sign-out" {
		t.Errorf("session ended for %q", e["reason"])
	}
}

// requestLogAny waits for a log line with msg, whichever request it is
// of.
func (a *appUnderTest) requestLogAny(t *testing.T, msg string) logEntry {
	t.Helper()
	e, ok := a.waitLog(hangDeadline, msgIs(msg))
	if !ok {
		t.Fatalf("serve logged no %q; stderr:\n%s", msg, a.run.stderr)
	}
	return e
}
