package webapp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/config"
)

// fakeIdP is a minimal OIDC provider whose token endpoint answers with
// whatever the test builds, signed with its key: the ID-token checks of
// section C need tokens no honest IdP would issue.
type fakeIdP struct {
	t     *testing.T
	srv   *httptest.Server
	key   *rsa.PrivateKey
	kid   string
	mu    sync.Mutex
	token func(form url.Values) (int, any) // the token endpoint's answer
	calls map[string]int
	// keysDown makes /keys answer 500; published replaces the key set.
	keysDown  bool
	published []jose.JSONWebKey
	// mux takes more routes; discovery, when set, replaces the discovery
	// document (of the fake's URL).
	mux       *http.ServeMux
	discovery func(self string) map[string]any
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func startFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{t: t, key: testKey, kid: "snk_10000000000000001", calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u := f.srv.URL
		f.mu.Lock()
		doc := f.discovery
		f.mu.Unlock()
		if doc != nil {
			json.NewEncoder(w).Encode(doc(u))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": u, "authorization_endpoint": u + "/oauth/authorize", "token_endpoint": u + "/oauth/token",
			"jwks_uri": u + "/keys", "end_session_endpoint": u + "/oidc/logout",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		f.count("keys")
		f.mu.Lock()
		down, keys := f.keysDown, f.published
		f.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if keys == nil {
			keys = []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"}}
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.count("token " + r.PostForm.Get("grant_type"))
		f.mu.Lock()
		fn := f.token
		f.mu.Unlock()
		status, body := fn(r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	})
	f.mux = mux
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) count(k string) {
	f.mu.Lock()
	f.calls[k]++
	f.mu.Unlock()
}

func (f *fakeIdP) calls_(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[k]
}

func (f *fakeIdP) setToken(fn func(url.Values) (int, any)) {
	f.mu.Lock()
	f.token = fn
	f.mu.Unlock()
}

// sign makes a compact JWS of claims with the fake's key (or another
// algorithm or kid, to test that they are refused).
func (f *fakeIdP) sign(claims map[string]any, alg jose.SignatureAlgorithm, kid string) string {
	return f.signWith(f.key, claims, alg, kid)
}

func (f *fakeIdP) signWith(rsaKey *rsa.PrivateKey, claims map[string]any, alg jose.SignatureAlgorithm, kid string) string {
	var key any = rsaKey
	if alg == jose.HS256 {
		key = []byte(strings.Repeat("k", 32))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		f.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

const testClientID = "skc_20000000000000002"

// goodClaims are an ID token's and an access token's claims as Scalekit
// issues them.
func (f *fakeIdP) goodClaims(nonce string, now time.Time) (id, access map[string]any) {
	access = map[string]any{
		"iss": f.srv.URL, "aud": []string{testClientID}, "client_id": testClientID, "sub": "usr_1", "oid": "org_1",
		"sid": "ses_1", "jti": "tkn_1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	id = map[string]any{
		"iss": f.srv.URL, "aud": []string{testClientID}, "azp": testClientID, "sub": "usr_1", "sid": "ses_1",
		"iat": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(), "nonce": nonce, "email": "ada@acme.test", "name": "Ada",
	}
	return id, access
}

func atHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// newTestApp builds an App against the fake and waits for discovery. An
// optional redirect URI replaces the default loopback one.
func newTestApp(t *testing.T, f *fakeIdP, now func() time.Time, redirect ...string) *App {
	t.Helper()
	redirectURI := "http://127.0.0.1:9/api/auth/callback"
	if len(redirect) > 0 {
		redirectURI = redirect[0]
	}
	return newTestAppWith(t, f, redirectURI, Options{Now: now})
}

// newTestAppWith is newTestApp with more options (Config is filled in).
func newTestAppWith(t *testing.T, f *fakeIdP, redirectURI string, opts Options) *App {
	t.Helper()
	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{
			config.EnvEnvironmentURL: f.srv.URL, config.EnvClientID: testClientID, config.EnvClientSecret: "secret",
			config.EnvRedirectURI: redirectURI,
		}[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	opts.Config = cfg
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a.Run(ctx)
	if !a.Ready() {
		t.Fatal("discovery did not finish")
	}
	return a
}

// recorderJar carries cookies from one handler call to the next.
type recorderJar struct{ cookies map[string]*http.Cookie }

func (j *recorderJar) apply(req *http.Request) {
	for _, c := range j.cookies {
		req.AddCookie(c)
	}
}

func (j *recorderJar) keep(rec *httptest.ResponseRecorder) {
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
		} else {
			j.cookies[c.Name] = c
		}
	}
}

func (j *recorderJar) get(a *App, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	j.apply(req)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	j.keep(rec)
	return rec
}

// login starts a sign-in and returns the state and nonce the app sent.
func (j *recorderJar) login(t *testing.T, a *App) (state, nonce string) {
	t.Helper()
	rec := j.get(a, "/api/auth/login")
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil {
		t.Fatalf("login: %d", rec.Code)
	}
	return loc.Query().Get("state"), loc.Query().Get("nonce")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// logBuffer collects an App's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// find returns the first log line whose attributes have the given
// values (pairs of key, value), or nil.
func (l *logBuffer) find(kv ...string) map[string]any {
	l.mu.Lock()
	text := l.b.String()
	l.mu.Unlock()
	for _, line := range strings.Split(text, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			if m[kv[i]] != kv[i+1] {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}
