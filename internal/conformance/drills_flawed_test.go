package conformance_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/conformance"
	"github.com/skctl/skctl/internal/report"
)

// drillApp is a small app with the mistakes the drills exist for, each
// switched on by a field: it proves that each drill fails such an app,
// for the reason it names, where TestServePasses proves that a careful
// app passes.
type drillApp struct {
	self, idp        string
	keepFirstRefresh bool // refresh with the first refresh token forever
	skipState        bool // never compare the callback's state
	sharedVerifier   bool // one PKCE verifier for every login
	noHint           bool // log out without id_token_hint
	signOutAtRefresh bool // end the session whenever the access token expires
	// keys: "forever" fetches the key set once and knows only its kids;
	// "each" fetches it on every request and signs out when that fails.
	keys string
	// serverSessions keeps the tokens on the server, behind a cookie
	// scripts can read (no HttpOnly); otherwise the tokens are the
	// cookie. It also signs out on any refresh error, a 503 too, and
	// takes no return_to.
	serverSessions bool
	hc             *http.Client

	mu       sync.Mutex
	kids     []string // the key set's, once fetched
	sessions map[string]*drillSession
}

// drillSession is what the app keeps, in a base64 JSON cookie that
// scripts can read.
type drillSession struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	ID      string `json:"id_token"`
	Exp     int64  `json:"exp"`
}

func (a *drillApp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("home")) })
	mux.HandleFunc("GET /api/auth/login", func(w http.ResponseWriter, r *http.Request) {
		state, verifier := drillRandom(), drillRandom()
		if a.sharedVerifier {
			verifier = strings.Repeat("v", 43)
		}
		sum := sha256.Sum256([]byte(verifier))
		http.SetCookie(w, &http.Cookie{Name: "state", Value: state, Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "verifier", Value: verifier, Path: "/", HttpOnly: true})
		// The return-to is kept unchecked: the open redirect.
		if !a.serverSessions {
			http.SetCookie(w, &http.Cookie{Name: "return_to", Value: url.QueryEscape(r.URL.Query().Get("return_to")), Path: "/"})
		}
		q := url.Values{"response_type": {"code"}, "client_id": {app1ID}, "redirect_uri": {a.self + config.CallbackPath},
			"scope": {"openid profile email offline_access"}, "state": {state}, "nonce": {drillRandom()},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		http.Redirect(w, r, a.idp+"/oauth/authorize?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /api/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("state")
		if !a.skipState && (err != nil || c.Value != r.URL.Query().Get("state")) {
			http.Error(w, "bad state", http.StatusBadRequest)
			return
		}
		v, _ := r.Cookie("verifier")
		if v == nil {
			v = &http.Cookie{}
		}
		s, status := a.token(url.Values{"grant_type": {"authorization_code"}, "code": {r.URL.Query().Get("code")},
			"redirect_uri": {a.self + config.CallbackPath}, "code_verifier": {v.Value}})
		if s == nil {
			http.Error(w, "sign-in failed", min(status, 499))
			return
		}
		if ok, err := a.kidKnown(s.ID); err != nil || !ok {
			http.Error(w, "sign-in failed: unknown key", http.StatusBadRequest)
			return
		}
		a.setSession(w, s)
		to := "/dashboard"
		if rt, err := r.Cookie("return_to"); err == nil {
			if u, _ := url.QueryUnescape(rt.Value); u != "" {
				to = u
			}
		}
		w.Header().Set("Location", to) // http.Redirect would clean the path
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			http.Redirect(w, r, "/api/auth/login", http.StatusFound)
			return
		}
		if ok, err := a.kidKnown(s.Access); err != nil || !ok {
			a.signOut(w, r)
			return
		}
		if time.Now().Unix() >= s.Exp && a.signOutAtRefresh {
			a.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.Refresh}})
			a.signOut(w, r)
			return
		}
		if time.Now().Unix() >= s.Exp {
			next, status := a.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.Refresh}})
			switch {
			case next == nil && status >= 500 && !a.serverSessions:
				http.Error(w, "try again later", http.StatusServiceUnavailable)
				return
			case next == nil:
				a.signOut(w, r)
				return
			}
			if a.keepFirstRefresh {
				next.Refresh = s.Refresh
			}
			next.ID = s.ID
			a.setSession(w, next)
		}
		w.Write([]byte("dashboard"))
	})
	mux.HandleFunc("GET /api/auth/logout", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"post_logout_redirect_uri": {a.self + "/"}, "client_id": {app1ID}}
		if s := a.session(r); s != nil && !a.noHint {
			q.Set("id_token_hint", s.ID)
		}
		if c, err := r.Cookie("sid"); err == nil {
			a.mu.Lock()
			delete(a.sessions, c.Value)
			a.mu.Unlock()
		}
		for _, name := range []string{"session", "sid"} {
			http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1})
		}
		http.Redirect(w, r, a.idp+"/oidc/logout?"+q.Encode(), http.StatusFound)
	})
	return mux
}

// token calls the token endpoint; nil and the status when it refused.
func (a *drillApp) token(form url.Values) (*drillSession, int) {
	form.Set("client_id", app1ID)
	form.Set("client_secret", app1Secret)
	resp, err := a.hc.PostForm(a.idp+"/oauth/token", form)
	if err != nil {
		return nil, http.StatusBadGateway
	}
	defer resp.Body.Close()
	var s drillSession
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&s) != nil {
		return nil, resp.StatusCode
	}
	// The access token's exp, unverified: the mistake of many tutorials.
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if parts := strings.Split(s.Access, "."); len(parts) == 3 {
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(b, &claims)
	}
	s.Exp = claims.Exp
	return &s, http.StatusOK
}

func (a *drillApp) setSession(w http.ResponseWriter, s *drillSession) {
	if a.serverSessions {
		id := drillRandom()
		a.mu.Lock()
		a.sessions[id] = s
		a.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: id, Path: "/"})
		return
	}
	b, _ := json.Marshal(s)
	http.SetCookie(w, &http.Cookie{Name: "session", Value: base64.StdEncoding.EncodeToString(b), Path: "/"})
}

func (a *drillApp) session(r *http.Request) *drillSession {
	if a.serverSessions {
		c, err := r.Cookie("sid")
		if err != nil {
			return nil
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.sessions[c.Value]
	}
	c, err := r.Cookie("session")
	if err != nil {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(c.Value)
	var s drillSession
	if err != nil || json.Unmarshal(b, &s) != nil || s.Access == "" {
		return nil
	}
	return &s
}

func (a *drillApp) signOut(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{"session", "sid"} {
		http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1})
	}
	http.Redirect(w, r, "/api/auth/login", http.StatusFound)
}

// kidKnown reports whether the token's kid is in the key set, fetched as
// a.keys says: a stand-in for verifying the signature, enough to show
// when the app fetches keys.
func (a *drillApp) kidKnown(token string) (bool, error) {
	var header struct {
		Kid string `json:"kid"`
	}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		b, _ := base64.RawURLEncoding.DecodeString(parts[0])
		json.Unmarshal(b, &header)
	}
	a.mu.Lock()
	kids := a.kids
	a.mu.Unlock()
	if kids == nil || a.keys == "each" {
		resp, err := a.hc.Get(a.idp + "/keys")
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&set) != nil {
			return false, errors.New("no key set")
		}
		kids = []string{}
		for _, k := range set.Keys {
			kids = append(kids, k.Kid)
		}
		a.mu.Lock()
		a.kids = kids
		a.mu.Unlock()
	}
	return slices.Contains(kids, header.Kid), nil
}

// drillRandom is 256 random bits, base64url: a state, nonce or verifier.
func drillRandom() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestDrillsFailAFlawedApp runs the drills against two flawed apps and
// checks that each mistake fails its drill with its reason, and nothing
// else does.
func TestDrillsFailAFlawedApp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		app  *drillApp
		want map[string]string // each failure, by a part of its message
	}{
		{"tokens in a cookie", &drillApp{keepFirstRefresh: true, skipState: true, sharedVerifier: true, noHint: true, keys: "forever"}, map[string]string{
			"drill.refresh-rotation": "the second refresh was answered 400",
			"drill.key-rotation":     "the app did not fetch the key set after the signing key changed",
			"drill.logout":           "carries no id_token_hint",
			"drill.login-csrf":       "signed in with another browser's code and state",
			"drill.return-to":        "with return_to=https://evil.example/, GET /api/auth/callback redirected the browser to https://evil.example/",
			"drill.session-cookie":   "session holds the access token base64-encoded; session holds the ID token base64-encoded",
		}},
		{"sessions on the server", &drillApp{serverSessions: true, keys: "each"}, map[string]string{
			"drill.token-outage":   "the app signed the user out when a refresh met a 503",
			"drill.jwks-outage":    "the app signed the user out while the key set answered 503",
			"drill.session-cookie": "the session cookie sid is not HttpOnly",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, appURL := listen(t)
			env := startMock(t, appURL)
			app := tc.app
			app.self, app.idp, app.hc, app.sessions = appURL, env.URL, &http.Client{Timeout: 10 * time.Second}, map[string]*drillSession{}
			serveOn(t, ln, app.handler())
			var results []conformance.Result
			// The key rotation waits for the app to fetch the key set
			// until its timeout: a short one, for an app that never does,
			// but 5 s, since it also bounds each request of the drill (the
			// rotation itself), which a loaded machine slows.
			for _, step := range []struct {
				only, skip []string
				timeout    time.Duration
			}{{[]string{"drill"}, []string{"drill.key-rotation"}, 10 * time.Second}, {[]string{"drill.key-rotation"}, nil, 5 * time.Second}} {
				rn, err := conformance.NewRunner(t.Context(), conformance.Options{IdPURL: env.URL, AppURL: appURL, Timeout: step.timeout}, nil)
				if err != nil {
					t.Fatal(err)
				}
				tests, err := conformance.Select(conformance.Tests(), step.only, step.skip)
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, rn.Run(t.Context(), tests).Results...)
			}
			for _, res := range results {
				part, bad := tc.want[res.ID]
				switch {
				case bad && res.Status != report.Fail:
					t.Errorf("%s: %s (%s), want a failure saying %q", res.ID, res.Status, res.Message, part)
				case bad && !strings.Contains(res.Message, part):
					t.Errorf("%s failed with %q, want it to say %q", res.ID, res.Message, part)
				case !bad && res.Status == report.Fail:
					t.Errorf("%s failed: %s\n%s", res.ID, res.Message, strings.Join(res.Evidence, "\n"))
				default:
					t.Logf("%s %s: %s", res.ID, res.Status, res.Message)
				}
			}
		})
	}
}

// TestForgedRefreshNeedsAPlainOne: an app that signs the user out at
// every refresh would pass the rows that expect a sign-out after a forged
// refresh, for no merit: they are skipped for it, with the reason, and
// the plain refresh row fails.
func TestForgedRefreshNeedsAPlainOne(t *testing.T) {
	t.Parallel()
	ln, appURL := listen(t)
	env := startMock(t, appURL)
	app := &drillApp{signOutAtRefresh: true, self: appURL, idp: env.URL, hc: &http.Client{Timeout: 10 * time.Second}, sessions: map[string]*drillSession{}}
	serveOn(t, ln, app.handler())
	rn, err := conformance.NewRunner(t.Context(), conformance.Options{IdPURL: env.URL, AppURL: appURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := rn.Run(t.Context(), catalogTests("oidcc-client-test-refresh-token", "oidcc-client-test-refresh-token-invalid-issuer", "oidcc-client-test-refresh-token-invalid-sub"))
	for _, res := range rep.Results {
		want, words := report.Skipped, "a plain refresh did not keep the session"
		if res.ID == "oidcc-client-test-refresh-token" {
			want, words = report.Fail, "the refresh ended the session"
		}
		if res.Status != want || !strings.Contains(res.Message, words) {
			t.Errorf("%s: %s (%s), want %s saying %q", res.ID, res.Status, res.Message, want, words)
		}
	}
}
