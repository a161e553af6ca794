package e2e_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sessionCookieHeader returns the Cookie header a browser would send to
// the app now.
func (b *browser) cookieHeader(appURL string) string {
	var parts []string
	for _, c := range b.jar.Cookies(mustURL(appURL)) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// TestServeRefreshAfterExpiry: once the access token expires, the next
// request refreshes it once, rewrites the cookie and serves the page.
func TestServeRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	c, idp, app, b := signedInServe(t)

	if p := b.get(app.URL + "/dashboard"); p.status != 200 || idp.count("POST /oauth/token refresh_token") != 0 {
		t.Fatalf("fresh session: %d, %d refreshes", p.status, idp.count("POST /oauth/token refresh_token"))
	}
	before := b.cookieHeader(app.URL)
	for i := 1; i <= 2; i++ {
		c.Advance(6 * time.Minute)
		p := b.get(app.URL + "/dashboard")
		if p.status != 200 || !strings.Contains(p.body, "Welcome, Ada Lovelace") {
			t.Fatalf("after expiry %d: %d %.200s", i, p.status, p.body)
		}
		if n := idp.count("POST /oauth/token refresh_token"); n != i {
			t.Errorf("after expiry %d: %d refreshes, want %d", i, n, i)
		}
	}
	if b.cookieHeader(app.URL) == before {
		t.Errorf("the session cookie was not rewritten by the refresh")
	}
	// Within the new token's life no further refresh happens.
	b.get(app.URL + "/dashboard")
	if n := idp.count("POST /oauth/token refresh_token"); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}

// TestServeConcurrentRefresh: 50 parallel requests carrying one expired
// session cause exactly one refresh, all succeed, and every cookie they
// get back is a valid session (E5, K2).
func TestServeConcurrentRefresh(t *testing.T) {
	t.Parallel()
	c, idp, app, b := signedInServe(t)
	cookie := b.cookieHeader(app.URL)
	c.Advance(6 * time.Minute)

	var ok, cleared atomic.Int32
	var mu sync.Mutex
	var returned []string
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
			req.Header.Set("Cookie", cookie)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ok.Add(1)
			}
			for _, sc := range resp.Cookies() {
				if sc.Name == "skctl_session" {
					if sc.MaxAge < 0 {
						cleared.Add(1)
					} else {
						mu.Lock()
						returned = append(returned, sc.Name+"="+sc.Value)
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if n := idp.count("POST /oauth/token refresh_token"); n != 1 || ok.Load() != 50 || cleared.Load() != 0 {
		t.Fatalf("%d refreshes, %d of 50 served, %d cleared the cookie; want 1, 50, 0", n, ok.Load(), cleared.Load())
	}
	// Whichever answer a browser kept, its session works without another
	// refresh.
	for _, i := range []int{0, len(returned) - 1} {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
		req.Header.Set("Cookie", returned[i])
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("cookie %d after the race: %v %v", i, err, resp)
		} else {
			resp.Body.Close()
		}
	}
	if n := idp.count("POST /oauth/token refresh_token"); n != 1 {
		t.Errorf("%d refreshes after the race, want 1", n)
	}
}

// TestServeRefreshFailures: a refused refresh (the IdP session ended) signs
// the user out; an IdP outage keeps them signed in (E4, D4).
func TestServeRefreshFailures(t *testing.T) {
	t.Parallel()
	c := &clock{}
	ln, appURL := listenApp(t)
	idp := startIdP(t, c, appURL)
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil)

	t.Run("outage keeps the session", func(t *testing.T) {
		b := newBrowser(t)
		b.signIn(app, idp, adaID, acmeOrgID)
		c.Advance(6 * time.Minute)
		idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		before := idp.count("POST /oauth/token refresh_token")
		p := b.get(app.URL + "/dashboard")
		idp.fault("/oauth/token", nil)
		if idp.count("POST /oauth/token refresh_token") == before {
			t.Fatalf("no refresh request reached the IdP (dashboard %d): the answer is not the outage's", p.status)
		}
		if p.status != http.StatusServiceUnavailable || sessionCleared(p) || !strings.Contains(p.body, "not been signed out") {
			t.Errorf("during the outage: %d cleared=%v", p.status, sessionCleared(p))
		}
		neverServerError(t, p)
		if p := b.get(app.URL + "/dashboard"); p.status != 200 {
			t.Errorf("after the outage: %d, want the dashboard", p.status)
		}
	})
	t.Run("ended IdP session signs out", func(t *testing.T) {
		b := newBrowser(t)
		b.signIn(app, idp, adaID, acmeOrgID)
		// The user signs out at the IdP through another app: every
		// refresh token of the session dies.
		if p := b.get(idp.URL + "/oidc/logout"); p.status != 200 {
			t.Fatalf("IdP logout: %d", p.status)
		}
		c.Advance(6 * time.Minute)
		p := b.get(app.URL + "/dashboard")
		if !toLogin(p, "/dashboard") || !sessionCleared(p) {
			t.Errorf("after the IdP session ended: %d %v cleared=%v", p.status, p.location, sessionCleared(p))
		}
	})
}

// TestServeSSOAcrossApps: signed in to one app, the user signs in to the
// other app of the environment without the sign-in page.
func TestServeSSOAcrossApps(t *testing.T) {
	t.Parallel()
	ln1, url1 := listenApp(t)
	ln2, url2 := listenApp(t)
	idp := startIdP(t, nil, url1, url2)
	app1 := startServe(t, ln1, idp, nil, app1ID, app1Secret, nil)
	app2 := startServe(t, ln2, idp, nil, app2ID, app2Secret, nil)
	b := newBrowser(t)
	b.signIn(app1, idp, adaID, acmeOrgID)

	authorize := b.follow(b.get(app2.URL + "/api/auth/login"))
	if authorize.status != http.StatusFound {
		t.Fatalf("second app: %d, want an immediate redirect (no page)", authorize.status)
	}
	b.follow(authorize)
	if p := b.get(app2.URL + "/dashboard"); p.status != 200 || !strings.Contains(p.body, "Welcome, Ada Lovelace") {
		t.Errorf("second app's dashboard: %d", p.status)
	}
}
