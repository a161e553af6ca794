package mockidp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fault"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"golang.org/x/oauth2"
)

// TestParseFault: modes parse with their parameters; an unknown name
// suggests the nearest one.
func TestParseFault(t *testing.T) {
	for _, ok := range []string{"idt.nonce_wrong", "token.slow=3s", "token.status=503", "authz.error=access_denied", "idp.clock_offset=-2m"} {
		if _, err := fault.Parse(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"idt.nonce_wrng": "did you mean idt.nonce_wrong", "token.slow": "needs a duration", "token.slow=fast": "needs a duration",
		"token.status=999": "needs an HTTP status", "idt.nonce_wrong=1": "takes no parameter", "jwks.rotate": "did you mean jwks.",
	} {
		if _, err := fault.Parse(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", bad, err, want)
		}
	}
	if len(fault.Modes()) < 60 {
		t.Errorf("only %d modes listed", len(fault.Modes()))
	}
}

// TestScenarioEnvironment: /<mode> is an environment of its own, with the
// mode on, its own issuer and its own keys; the root stays faithful.
func TestScenarioEnvironment(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	scenario := env.URL + "/idt.nonce_wrong"
	p, err := oidc.NewProvider(t.Context(), scenario)
	if err != nil {
		t.Fatalf("discovery of the scenario environment: %v", err)
	}
	if p.Endpoint().TokenURL != scenario+"/oauth/token" {
		t.Errorf("token endpoint %s", p.Endpoint().TokenURL)
	}
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	if tok := a.login(newBrowser(t), "ada@acme.test"); tok.idToken.Issuer != env.URL {
		t.Errorf("root issuer %s", tok.idToken.Issuer)
	}
	rootKeys, _ := getJSON(t, env.URL+"/keys")
	scKeys, _ := getJSON(t, scenario+"/keys")
	if rootKeys["keys"].([]any)[0].(map[string]any)["kid"] == scKeys["keys"].([]any)[0].(map[string]any)["kid"] {
		t.Errorf("the scenario environment shares the root's key")
	}
	resp, _ := http.Get(env.URL + "/idt.nonce_wron/.well-known/openid-configuration")
	var msg bytes.Buffer
	msg.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(msg.String(), "did you mean idt.nonce_wrong") {
		t.Errorf("a mistyped scenario URL: %d %q", resp.StatusCode, msg.String())
	}
	for _, bad := range []string{"/no.such_mode/.well-known/openid-configuration", "/oauth/.well-known/openid-configuration"} {
		resp, _ := http.Get(env.URL + bad)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, resp.StatusCode)
		}
	}
}

// TestNamedScenarios: named sets of the fixtures work at /<name> and
// with --scenario; bad ones are refused at load.
func TestNamedScenarios(t *testing.T) {
	t.Parallel()
	fx, _ := fixture.Default()
	fx.Scenarios = map[string][]string{"flaky": {"jwks.status=503"}}
	env := startEnv(t, mockidp.Options{Fixtures: fx})
	resp, _ := http.Get(env.URL + "/flaky/keys")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("/flaky/keys: %d", resp.StatusCode)
	}
	root := startEnv(t, mockidp.Options{Fixtures: fx, Scenarios: []string{"flaky"}})
	resp, _ = http.Get(root.URL + "/keys")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("--scenario flaky: /keys %d", resp.StatusCode)
	}
	mistyped, err := fixture.Parse([]byte("scenarios:\n  x: [idt.nonce_wrng]\napps: [{client_id: a, client_secret: b}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mockidp.New(mockidp.Options{Issuer: "http://127.0.0.1:1", Fixtures: mistyped}); err == nil ||
		!strings.Contains(err.Error(), "did you mean idt.nonce_wrong") {
		t.Errorf("a mistyped mode in a named set: %v", err)
	}
	// A set named like a path of the environment would shadow it: the
	// environment refuses to start.
	shadow, err := fixture.Parse([]byte("scenarios:\n  oauth: [idt.nonce_wrong]\napps: [{client_id: a, client_secret: b}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mockidp.New(mockidp.Options{Issuer: "http://127.0.0.1:1", Fixtures: shadow}); err == nil || !strings.Contains(err.Error(), `"oauth" is a root path`) {
		t.Errorf("a scenario named oauth: %v", err)
	}
}

// TestControlEndpoints: faults set at runtime, one-shot counts, counters,
// the clock and key rotation.
func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	post := func(path string, body any) *http.Response {
		b, _ := json.Marshal(body)
		resp, err := http.Post(env.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	status := func(path string) int {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if r := post("/__mock/faults", map[string]any{"mode": "jwks.status=500", "count": 1}); r.StatusCode != 200 {
		t.Fatalf("set fault: %d", r.StatusCode)
	}
	if status("/keys") != 500 || status("/keys") != 200 {
		t.Errorf("a one-shot fault did not fire exactly once")
	}
	if r := post("/__mock/faults", map[string]any{"mode": "jwks.stauts=500"}); r.StatusCode != 400 {
		t.Errorf("an unknown mode: %d", r.StatusCode)
	}
	var counts map[string]map[string]int64
	resp, _ := http.Get(env.URL + "/__mock/requests")
	json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if counts["root"]["jwks.requests"] != 2 {
		t.Errorf("counters: %v", counts)
	}
	before, _ := getJSON(t, env.URL+"/keys")
	if r := post("/__mock/rotate-keys", map[string]any{"overlap": "10m"}); r.StatusCode != 200 {
		t.Fatalf("rotate: %d", r.StatusCode)
	}
	after, _ := getJSON(t, env.URL+"/keys")
	if len(after["keys"].([]any)) != 2 || after["keys"].([]any)[1].(map[string]any)["kid"] != before["keys"].([]any)[0].(map[string]any)["kid"] {
		t.Errorf("after rotation with overlap: %v", after)
	}
	// Past the overlap the old key is gone.
	if r := post("/__mock/clock", map[string]any{"advance": "11m"}); r.StatusCode != 200 {
		t.Errorf("clock: %d", r.StatusCode)
	}
	if later, _ := getJSON(t, env.URL+"/keys"); len(later["keys"].([]any)) != 1 {
		t.Errorf("after the overlap: %d keys, want 1", len(later["keys"].([]any)))
	}
}

// TestStrictMode: strict mode flags an app's protocol mistakes in the
// request log, and keeps no secret there.
func TestStrictMode(t *testing.T) {
	t.Parallel()
	fx, _ := fixture.Default()
	fx.Apps[2].TokenAuthMethod = "client_secret_basic"
	env := startEnv(t, mockidp.Options{Strict: true, Fixtures: fx})
	v := validParams()
	v.Set("state", "short")
	v.Del("nonce")
	newBrowser(t).get(authorizeURL(env.URL, v))
	long := validParams()
	long.Set("state", strings.Repeat("s", 43))
	long.Set("nonce", strings.Repeat("n", 43))
	newBrowser(t).get(authorizeURL(env.URL, long))
	newBrowser(t).get(authorizeURL(env.URL, long)) // the same state and nonce again
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/userinfo?access_token=secret-token-value", nil)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	postToken(t, env.URL, map[string][]string{"grant_type": {"client_credentials"}, "client_secret": {m2mSecret}},
		func(r *http.Request) { r.SetBasicAuth(m2mID, m2mSecret) })
	postToken(t, env.URL, map[string][]string{"grant_type": {"client_credentials"}, "client_id": {m2mID}, "client_secret": {m2mSecret}}, nil)
	bad := validParams()
	bad.Set("redirect_uri", "http://localhost:4321/api/auth/callback/")
	newBrowser(t).get(authorizeURL(env.URL, bad))

	resp, err := http.Get(env.URL + "/__mock/requests?log=1")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	var envs map[string]struct{ Violations []string }
	json.Unmarshal(body.Bytes(), &envs)
	got := strings.Join(envs["root"].Violations, "\n")
	for _, want := range []string{"state is shorter than 128 bits", "nonce is missing", "state was used before", "nonce was used before", "access token in the query string", "both client_secret_basic and client_secret_post",
		"client_secret_post, not its configured client_secret_basic", "redirect_uri does not match"} {
		if !strings.Contains(got, want) {
			t.Errorf("violations lack %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"secret-token-value", m2mSecret} {
		if strings.Contains(body.String(), secret) {
			t.Errorf("the request log holds a secret")
		}
	}
}

// TestIdPInitiated: /__mock/idp-initiated sends the browser to the app's
// Initiate login URL with a token signed by the environment's key, with
// the claims the SDKs read (contract §14).
func TestIdPInitiated(t *testing.T) {
	t.Parallel()
	fx, _ := fixture.Default()
	fx.Apps[0].InitiateLoginURI = "http://localhost:4321/api/auth/initiate"
	env := startEnv(t, mockidp.Options{Fixtures: fx})
	p := newBrowser(t).get(env.URL + "/__mock/idp-initiated?client_id=" + app1ID + "&email=ada@acme.test&relay_state=r1")
	if p.status != http.StatusFound || !strings.HasPrefix(p.location.String(), "http://localhost:4321/api/auth/initiate?idp_initiated_login=") {
		t.Fatalf("idp-initiated: %d %v", p.status, p.location)
	}
	token := p.location.Query().Get("idp_initiated_login")
	claims := jwtClaims(t, token)
	if claims["login_hint"] != "ada@acme.test" || claims["organization_id"] != acmeOrg || claims["connection_id"] != acmeConn || claims["relay_state"] != "r1" || claims["iss"] != env.URL {
		t.Errorf("claims %v", claims)
	}
	integer(t, claims, "exp", "iat")
	keys, _ := getJSON(t, env.URL+"/keys")
	if jwtHeader(t, token)["kid"] != keys["keys"].([]any)[0].(map[string]any)["kid"] {
		t.Errorf("not signed with the environment's key")
	}
	if p := newBrowser(t).get(env.URL + "/__mock/idp-initiated?client_id=" + app2ID + "&email=ada@acme.test"); p.status != http.StatusBadRequest {
		t.Errorf("an app without initiate_login_uri: %d", p.status)
	}
}

// TestCanary: the canary is in every token, code, refresh token and error
// description.
func TestCanary(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Canary: "CANARY42"})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	f := a.start(oauthLoginHint("ada@acme.test"))
	p := newBrowser(t).get(f.authURL)
	code := p.location.Query().Get("code")
	tok, err := a.exchange(f, code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(code, "CANARY42.") || !strings.HasPrefix(tok.RefreshToken, "CANARY42.") {
		t.Errorf("code %q / refresh token %q lack the canary", code[:12], tok.RefreshToken[:12])
	}
	if jwtClaims(t, tok.AccessToken)["skmock_canary"] != "CANARY42" || tok.claims["skmock_canary"] != "CANARY42" {
		t.Errorf("tokens lack the canary claim")
	}
	r := postToken(t, env.URL, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil)
	if d, _ := r.body["error_description"].(string); !strings.Contains(d, "CANARY42") {
		t.Errorf("error_description %q lacks the canary", d)
	}
}

func oauthLoginHint(email string) oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("login_hint", email)
}

// TestControlRefusals: a web page (Origin, a simple content type, a
// rebound Host) or a proxied client cannot use the control endpoints, and
// modes that shape an environment at start are refused at runtime.
func TestControlRefusals(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	send := func(body string, mutate func(*http.Request)) int {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/__mock/faults", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if mutate != nil {
			mutate(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ok := `{"mode":"token.hang"}`
	for name, mutate := range map[string]func(*http.Request){
		"Origin":          func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"text/plain":      func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
		"rebound Host":    func(r *http.Request) { r.Host = "rebind.evil.example" },
		"X-Forwarded-For": func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.9") },
	} {
		if got := send(ok, mutate); got != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, got)
		}
	}
	if got := send(`{"mode":"idp.clock_offset=5m"}`, nil); got != http.StatusBadRequest {
		t.Errorf("idp.clock_offset at runtime: %d, want 400", got)
	}
	if got := send(`{"mode":"jwks.status=500","client":"skc_someone_else"}`, nil); got != 200 {
		t.Fatalf("arm for a client: %d", got)
	}
	resp, _ := http.Get(env.URL + "/keys")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a fault armed for another client fired on /keys: %d", resp.StatusCode)
	}
}

// TestTokenFormErrors: the request log leaves the token endpoint's own
// form errors intact (contract §5).
func TestTokenFormErrors(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Strict: true})
	for name, body := range map[string]string{
		"oversized":  "grant_type=client_credentials&client_id=" + m2mID + "&client_secret=" + m2mSecret + "&pad=" + strings.Repeat("x", 70<<10),
		"bad escape": "grant_type=client_credentials&client_id=" + m2mID + "&client_secret=" + m2mSecret + "&x=%zz",
	} {
		resp, err := http.Post(env.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e["error"] != "invalid_request" {
			t.Errorf("%s: %d %v, want 400 invalid_request", name, resp.StatusCode, e["error"])
		}
	}
}

// TestOptionalParameters: the modes the design writes as mode[=param].
func TestOptionalParameters(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"net.429", "net.429=30", "refresh.reuse_detection", "refresh.reuse_detection=5s", "idt.alg_hs256=pubkey", "idt.malformed=json", "authz.error=access_denied&desc=hello"} {
		if _, err := fault.Parse(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if _, err := fault.Parse("idt.malformed=xml"); err == nil || !strings.Contains(err.Error(), "segments, base64, json") {
		t.Errorf("idt.malformed=xml: %v", err)
	}
	env := startEnv(t, mockidp.Options{})
	resp, err := http.Get(env.URL + "/net.429=30/keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" {
		t.Errorf("net.429=30: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	v := validParams()
	v.Set("login_hint", "ada@acme.test")
	p := newBrowser(t).get(env.URL + "/authz.error=access_denied&desc=hello/oauth/authorize?" + v.Encode())
	if q := p.location.Query(); q.Get("error") != "access_denied" || q.Get("error_description") != "hello" {
		t.Errorf("authz.error with desc: %v", q)
	}
}

// TestReuseDetectionGrace: within the grace window a replay of the last
// rotated-out token fails alone; after it, the family is revoked.
func TestReuseDetectionGrace(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	env := startEnv(t, mockidp.Options{Now: clock.Now, Scenarios: []string{"refresh.reuse_detection=10s"}})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	refresh := func(rt string) tokenReply {
		return postToken(t, env.URL, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil)
	}
	first := a.login(newBrowser(t), "ada@acme.test").RefreshToken
	second := refresh(first).body["refresh_token"].(string)
	refresh(first).wantError(t, 400, "invalid_grant") // within grace: fails alone
	if r := refresh(second); r.status != 200 {
		t.Fatalf("the family was revoked within the grace window: %d", r.status)
	} else {
		third := r.body["refresh_token"].(string)
		clock.Advance(time.Minute)
		refresh(second).wantError(t, 400, "invalid_grant") // after grace: revokes
		refresh(third).wantError(t, 400, "invalid_grant")
	}
}
