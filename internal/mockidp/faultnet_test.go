package mockidp_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp"
)

// The network, discovery and JWKS outage modes (docs/failure-modes.md,
// Modes), each asserted over real HTTP on 127.0.0.1.

const discoveryPath = "/.well-known/openid-configuration"

// fetch GETs u with a fresh connection (no reuse between requests, so a
// reset or a truncated body of one request does not spill into the next)
// and returns the response with its body read.
func fetch(t testing.TB, u string, timeout time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(u)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// mustFetch is fetch that fails the test on any error.
func mustFetch(t testing.TB, u string) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := fetch(t, u, 5*time.Second)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

// wantReset asserts that GET u ends in a dropped connection, not an answer.
func wantReset(t testing.TB, u string) {
	t.Helper()
	resp, _, err := fetch(t, u, 5*time.Second)
	if err == nil {
		t.Fatalf("GET %s: %d, want a reset connection", u, resp.StatusCode)
	}
	if !errors.Is(err, syscall.ECONNRESET) { // SO_LINGER 0: an RST, not a FIN
		t.Errorf("GET %s: %v, want connection reset by peer", u, err)
	}
}

// wantHang asserts that GET u gets no answer within 150 ms.
func wantHang(t testing.TB, u string) {
	t.Helper()
	start := time.Now()
	resp, _, err := fetch(t, u, 150*time.Millisecond)
	var ne interface{ Timeout() bool }
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		if err == nil {
			t.Fatalf("GET %s answered %d, want a hang", u, resp.StatusCode)
		}
		t.Fatalf("GET %s: %v, want a client timeout", u, err)
	}
	// The fault is the server's silence: the client's own 150 ms
	// timeout ends it. A generous bound, for a loaded machine, still
	// tells a hang from a server that answers late.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the client timeout took %v", d)
	}
}

// wantSlow asserts that GET u answers 200 with JSON, after d or more.
func wantSlow(t testing.TB, u string, d time.Duration) {
	t.Helper()
	start := time.Now()
	resp, body := mustFetch(t, u)
	if took := time.Since(start); took < d {
		t.Errorf("GET %s answered in %v, want at least %v", u, took, d)
	}
	if resp.StatusCode != 200 || !json.Valid(body) {
		t.Errorf("GET %s: %d %.100s", u, resp.StatusCode, body)
	}
}

// wantMalformed asserts that GET u answers 200 application/json with a
// body that is not JSON.
func wantMalformed(t testing.TB, u string) {
	t.Helper()
	resp, body := mustFetch(t, u)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if len(body) == 0 || json.Valid(body) {
		t.Errorf("GET %s: want broken JSON, got %q", u, body)
	}
}

// setFault arms a mode at runtime through /__mock/faults.
func setFault(t testing.TB, root string, fault map[string]any) {
	t.Helper()
	b, _ := json.Marshal(fault)
	resp, err := http.Post(root+"/__mock/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("set fault %v: %d", fault, resp.StatusCode)
	}
}

// jwtKid is the kid of a compact JWS header, unverified.
func jwtKid(t testing.TB, raw string) string {
	t.Helper()
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	var hdr struct {
		Kid string `json:"kid"`
	}
	if err != nil || json.Unmarshal(b, &hdr) != nil {
		t.Fatalf("bad JWS header %q", h)
	}
	return hdr.Kid
}

// keySet fetches and parses a /keys document with go-jose, as go-oidc does.
func keySet(t testing.TB, u string) jose.JSONWebKeySet {
	t.Helper()
	resp, body := mustFetch(t, u)
	var set jose.JSONWebKeySet
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestNetModes: net.* faults hit every endpoint of their environment.
func TestNetModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})

	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{discoveryPath, "/keys", "/userinfo", "/"} {
			wantReset(t, env.URL+"/net.reset"+p)
		}
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		wantHang(t, env.URL+"/net.hang/keys")
		wantHang(t, env.URL+"/net.hang"+discoveryPath)
	})
	t.Run("truncate", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{discoveryPath, "/keys"} {
			u := env.URL + "/net.truncate" + p
			resp, body, err := fetch(t, u, 5*time.Second)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("GET %s: %v, want unexpected EOF", u, err)
			}
			if resp.StatusCode != 200 || resp.ContentLength < 100 || int64(len(body)) != resp.ContentLength/2 {
				t.Errorf("GET %s: %d, Content-Length %d, got %d bytes; want half", u, resp.StatusCode, resp.ContentLength, len(body))
			}
		}
	})
	t.Run("429", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{discoveryPath, "/keys", "/oauth/authorize?client_id=" + app1ID} {
			resp, body := mustFetch(t, env.URL+"/net.429"+p)
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
				t.Errorf("GET %s: %d Retry-After %q: %s", p, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
		}
	})
	t.Run("wrong_content_type", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{discoveryPath, "/keys"} {
			resp, body := mustFetch(t, env.URL+"/net.wrong_content_type"+p)
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/plain" || !json.Valid(body) {
				t.Errorf("GET %s: %d %q", p, resp.StatusCode, ct)
			}
		}
		// Only JSON changes type: the HTML pages stay HTML.
		resp, _ := mustFetch(t, env.URL+"/net.wrong_content_type/")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("index page: %q", ct)
		}
	})
	t.Run("latency", func(t *testing.T) {
		t.Parallel()
		wantSlow(t, env.URL+"/net.latency=50ms/keys", 50*time.Millisecond)
	})
	t.Run("root unaffected", func(t *testing.T) {
		t.Parallel()
		if resp, _ := mustFetch(t, env.URL+"/keys"); resp.StatusCode != 200 {
			t.Errorf("root /keys: %d", resp.StatusCode)
		}
	})
}

// TestNetModesSpareControl: with a net.* mode on at the root, the /__mock
// control endpoints still answer, so a test can switch it off; a counted
// mode clears itself.
func TestNetModesSpareControl(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Scenarios: []string{"net.reset"}})
	wantReset(t, env.URL+"/keys")
	resp, body := mustFetch(t, env.URL+"/__mock/faults")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "net.reset") {
		t.Fatalf("/__mock/faults under net.reset: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, env.URL+"/__mock/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("clear faults: %v %v", resp, err)
	}
	if resp, _ := mustFetch(t, env.URL+"/keys"); resp.StatusCode != 200 {
		t.Fatalf("/keys after clearing: %d", resp.StatusCode)
	}

	setFault(t, env.URL, map[string]any{"mode": "net.hang", "count": 1})
	wantHang(t, env.URL+"/keys")
	if resp, _ := mustFetch(t, env.URL+"/keys"); resp.StatusCode != 200 {
		t.Errorf("a one-shot net.hang hung twice: %d", resp.StatusCode)
	}
	setFault(t, env.URL, map[string]any{"mode": "net.429", "count": 1})
	if resp, _ := mustFetch(t, env.URL+"/__mock/requests"); resp.StatusCode != 200 {
		t.Errorf("/__mock/requests under net.429: %d", resp.StatusCode)
	}
	if resp, _ := mustFetch(t, env.URL+"/keys"); resp.StatusCode != 429 {
		t.Errorf("the control endpoint used up net.429: /keys %d", resp.StatusCode)
	}

	// A hung request ends when its client goes away: the server stops at once.
	setFault(t, env.URL, map[string]any{"mode": "net.hang"})
	wantHang(t, env.URL+discoveryPath)
	start := time.Now()
	env.Stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("stopping with a hung request took %v", d)
	}
}

// TestNetModesWithLogging: the reset and truncate modes reach the connection
// through the request logger's wrapper too.
func TestNetModesWithLogging(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	env := startEnv(t, mockidp.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wantReset(t, env.URL+"/net.reset/keys")
	if _, _, err := fetch(t, env.URL+"/net.truncate/keys", 5*time.Second); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("net.truncate with logging: %v", err)
	}
	if !strings.Contains(logs.String(), "path=/keys") {
		t.Errorf("the requests were not logged:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer for a logger that handlers write to
// concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDiscoveryOutageModes: discovery.* outages and garbage.
func TestDiscoveryOutageModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	doc := func(scenario string) string { return env.URL + "/" + scenario + discoveryPath }

	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		wantSlow(t, doc("discovery.slow=50ms"), 50*time.Millisecond)
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		wantHang(t, doc("discovery.hang"))
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		wantReset(t, doc("discovery.reset"))
		if resp, _ := mustFetch(t, env.URL+"/discovery.reset/keys"); resp.StatusCode != 200 {
			t.Errorf("/keys of discovery.reset: %d", resp.StatusCode)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		wantMalformed(t, doc("discovery.malformed"))
	})
	t.Run("huge", func(t *testing.T) {
		t.Parallel()
		resp, body := mustFetch(t, doc("discovery.huge"))
		var d map[string]any
		if resp.StatusCode != 200 || len(body) <= 2<<20 || json.Unmarshal(body, &d) != nil {
			t.Fatalf("%d, %d bytes", resp.StatusCode, len(body))
		}
		if d["issuer"] != env.URL+"/discovery.huge" || d["token_endpoint"] == nil {
			t.Errorf("the huge document lost its metadata: issuer %v", d["issuer"])
		}
	})
	t.Run("missing_fields", func(t *testing.T) {
		t.Parallel()
		d, _ := getJSON(t, doc("discovery.missing_fields"))
		for _, f := range []string{"jwks_uri", "token_endpoint"} {
			if _, ok := d[f]; ok {
				t.Errorf("%s is there", f)
			}
		}
		if d["authorization_endpoint"] == nil || d["issuer"] == nil {
			t.Errorf("other fields went too: %v", d)
		}
	})
	t.Run("http_endpoints", func(t *testing.T) {
		t.Parallel()
		issuer := env.URL + "/discovery.http_endpoints"
		d, _ := getJSON(t, doc("discovery.http_endpoints"))
		if d["issuer"] != issuer {
			t.Errorf("issuer %v", d["issuer"])
		}
		u, _ := url.Parse(env.URL)
		want := "http://localhost:" + u.Port() + "/discovery.http_endpoints"
		for _, f := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
			if v, _ := d[f].(string); !strings.HasPrefix(v, want+"/") {
				t.Errorf("%s = %q, want it under %s", f, v, want)
			}
		}
	})
	t.Run("algs", func(t *testing.T) {
		t.Parallel()
		d, _ := getJSON(t, doc("discovery.algs=none,HS256"))
		if got := strs(d["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{"none", "HS256"}) {
			t.Errorf("id_token_signing_alg_values_supported = %v", got)
		}
		d, _ = getJSON(t, env.URL+discoveryPath)
		if got := strs(d["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{"RS256"}) {
			t.Errorf("root: id_token_signing_alg_values_supported = %v", got)
		}
	})
	t.Run("runtime", func(t *testing.T) {
		t.Parallel()
		// Armed at runtime for one request, on an environment of its own.
		scenario := env.URL + "/discovery.no_pkce"
		setFault(t, env.URL, map[string]any{"scenario": "discovery.no_pkce", "mode": "discovery.missing_fields", "count": 1})
		d, _ := getJSON(t, scenario+discoveryPath)
		if _, ok := d["token_endpoint"]; ok {
			t.Errorf("discovery.missing_fields did not apply")
		}
		d, _ = getJSON(t, scenario+discoveryPath)
		if _, ok := d["token_endpoint"]; !ok {
			t.Errorf("a one-shot discovery.missing_fields applied twice")
		}
	})
}

// TestJWKSOutageModes: jwks.* outages and garbage.
func TestJWKSOutageModes(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	keys := func(scenario string) string { return env.URL + "/" + scenario + "/keys" }

	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		wantSlow(t, keys("jwks.slow=50ms"), 50*time.Millisecond)
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		wantHang(t, keys("jwks.hang"))
		if resp, _ := mustFetch(t, env.URL+"/jwks.hang"+discoveryPath); resp.StatusCode != 200 {
			t.Errorf("discovery of jwks.hang: %d", resp.StatusCode)
		}
	})
	t.Run("flap", func(t *testing.T) {
		t.Parallel()
		var got []int
		for range 5 {
			resp, _ := mustFetch(t, keys("jwks.flap"))
			got = append(got, resp.StatusCode)
		}
		if !slices.Equal(got, []int{503, 200, 503, 200, 503}) {
			t.Errorf("statuses %v, want 503 and 200 in turn", got)
		}
	})
	t.Run("flap counted", func(t *testing.T) {
		t.Parallel()
		// At the root, armed at runtime for three requests, then again for
		// one: each arming starts with a failure.
		var got []int
		setFault(t, env.URL, map[string]any{"mode": "jwks.flap", "count": 3})
		for range 5 {
			resp, _ := mustFetch(t, env.URL+"/keys")
			got = append(got, resp.StatusCode)
		}
		setFault(t, env.URL, map[string]any{"mode": "jwks.flap", "count": 1})
		resp, _ := mustFetch(t, env.URL+"/keys")
		if got = append(got, resp.StatusCode); !slices.Equal(got, []int{503, 200, 503, 200, 200, 503}) {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		wantMalformed(t, keys("jwks.malformed"))
	})
	t.Run("huge", func(t *testing.T) {
		t.Parallel()
		resp, body := mustFetch(t, keys("jwks.huge"))
		if resp.StatusCode != 200 || len(body) <= 2<<20 {
			t.Fatalf("%d, %d bytes", resp.StatusCode, len(body))
		}
		// Valid JSON of many keys; go-jose parses them (only the first and
		// the last here: parsing thousands of RSA keys under -race is slow).
		var set struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) < 1000 {
			t.Fatalf("not a big key set: %d keys, %v", len(set.Keys), err)
		}
		var first, last jose.JSONWebKey
		if err := first.UnmarshalJSON(set.Keys[0]); err != nil || !first.Valid() || strings.HasPrefix(first.KeyID, "snk_padding") {
			t.Errorf("the first key %q: %v; want the signing key", first.KeyID, err)
		}
		if err := last.UnmarshalJSON(set.Keys[len(set.Keys)-1]); err != nil || !last.Valid() || last.KeyID == first.KeyID {
			t.Errorf("the last key %q: %v", last.KeyID, err)
		}
	})
}

// TestJWKSDuplicateKid: a second, different key under the signing kid,
// after the real one; tokens still verify.
func TestJWKSDuplicateKid(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Scenarios: []string{"jwks.duplicate_kid"}})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	tok := a.login(newBrowser(t), "ada@acme.test") // go-oidc verifies it
	raw := tok.Extra("id_token").(string)
	kid := jwtKid(t, raw)
	set := keySet(t, env.URL+"/keys")
	same := set.Key(kid)
	if len(set.Keys) != 2 || len(same) != 2 {
		t.Fatalf("keys %v, want two under %s", kids(set), kid)
	}
	if same[0].Key.(*rsa.PublicKey).Equal(same[1].Key) {
		t.Fatalf("the two keys under %s are the same key", kid)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(same[0]); err != nil {
		t.Errorf("the first key under the kid does not verify: %v", err)
	}
	if _, err := jws.Verify(same[1]); err == nil {
		t.Errorf("the duplicate key verifies the token too")
	}
}

// TestJWKSDropOldKey: after the first ID token the signing key changes and
// the old one leaves /keys, so the first login's tokens no longer verify;
// the next login's do.
func TestJWKSDropOldKey(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Scenarios: []string{"jwks.drop_old_key"}})
	before := kids(keySet(t, env.URL+"/keys"))
	if len(before) != 1 {
		t.Fatalf("keys before: %v", before)
	}

	// The first login verifies: its key is still published.
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	first := a.login(newBrowser(t), "ada@acme.test")
	if kid := jwtKid(t, first.Extra("id_token").(string)); kid != before[0] {
		t.Errorf("the first ID token is signed by %s, want the old key %s", kid, before[0])
	}
	if now := kids(keySet(t, env.URL+"/keys")); !slices.Equal(now, before) {
		t.Fatalf("keys right after the first login: %v, want the old one still", now)
	}

	// The next token (here a refresh) is signed with a new key, and the
	// old one is gone: the first session's tokens no longer verify.
	r := postToken(t, env.URL, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "client_id": {app1ID}, "client_secret": {app1Secret}}, nil)
	if r.status != 200 {
		t.Fatalf("refresh: %d", r.status)
	}
	after := kids(keySet(t, env.URL+"/keys"))
	if len(after) != 1 || after[0] == before[0] {
		t.Fatalf("keys after the next token: %v, want one new key instead of %s", after, before[0])
	}
	if kid := jwtKid(t, r.body["access_token"].(string)); kid != after[0] {
		t.Errorf("the refreshed token is signed by %s, want %s", kid, after[0])
	}
	fresh := newApp(t, env, app1ID, app1Secret, app1Redirect)
	if _, err := fresh.verifier.Verify(t.Context(), first.Extra("id_token").(string)); err == nil {
		t.Errorf("the first ID token still verifies after its key was dropped")
	}
	second := fresh.login(newBrowser(t), "ada@acme.test")
	if kid := jwtKid(t, second.Extra("id_token").(string)); kid != after[0] {
		t.Errorf("the second ID token is signed by %s, want %s", kid, after[0])
	}
	if again := kids(keySet(t, env.URL+"/keys")); !slices.Equal(again, after) {
		t.Errorf("the key rotated again: %v", again)
	}
}
