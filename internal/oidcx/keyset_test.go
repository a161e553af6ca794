package oidcx

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksServer publishes whatever keys (or failure) the test sets, and
// counts its requests.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	status   int
	block    chan struct{} // when set, requests wait for it to close
	requests atomic.Int32
	arrived  chan struct{} // a token per request, for tests that wait for one
}

func startJWKS(t *testing.T) *jwksServer {
	s := &jwksServer{status: 200, arrived: make(chan struct{}, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		s.mu.Lock()
		body, status, block := s.body, s.status, s.block
		s.mu.Unlock()
		if block != nil {
			<-block
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(status int, body string) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

func testRSAKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jwksOf(t *testing.T, extra []string, keys map[string]*rsa.PrivateKey) string {
	var parts []string
	for kid, k := range keys {
		b, err := json.Marshal(jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	return `{"keys":[` + strings.Join(append(extra, parts...), ",") + `]}`
}

func signed(t *testing.T, k *rsa.PrivateKey, kid, payload string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeySetFetchAfterEnd: a verification that starts after a fetch has
// ended makes a fetch of its own, never inherits the ended one's result.
// With go-oidc's RemoteKeySet, a token signed with a key published just
// after a fetch could read as forged, and the first request after an
// outage could see the outage.
func TestKeySetFetchAfterEnd(t *testing.T) {
	srv := startJWKS(t)
	ks := NewKeySet(NewHTTPClient(nil, 30*time.Second), srv.URL)
	first, next := testRSAKey(t), testRSAKey(t)
	ctx := t.Context()
	for i := range 50 {
		kidA, kidB := "kid-a-"+string(rune('a'+i%26)), "kid-b-"+string(rune('a'+i%26))
		srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{kidA: first}))
		if _, err := ks.VerifySignature(ctx, signed(t, first, kidA, `{"n":1}`)); err != nil {
			t.Fatalf("round %d, first key: %v", i, err)
		}
		ks.mu.Lock()
		inflight := ks.inflight
		ks.mu.Unlock()
		if inflight != nil {
			t.Fatalf("round %d: a fetch is still remembered after its verification returned", i)
		}
		// Rotated at once: the next token's kid is unknown and must make a
		// new fetch.
		srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{kidB: next}))
		if got, err := ks.VerifySignature(ctx, signed(t, next, kidB, `{"n":2}`)); err != nil || string(got) != `{"n":2}` {
			t.Fatalf("round %d, a key published after the last fetch: %q, %v", i, got, err)
		}
	}
	if n := srv.requests.Load(); n != 100 {
		t.Errorf("%d JWKS requests for 100 unknown kids, want 100", n)
	}
}

// TestKeySetOutage: while the JWKS fails, verification says "fetching
// keys" (cannot verify now); the first verification after it recovers
// succeeds; known keys need no request.
func TestKeySetOutage(t *testing.T) {
	srv := startJWKS(t)
	ks := NewKeySet(NewHTTPClient(nil, 30*time.Second), srv.URL)
	k := testRSAKey(t)
	tok := signed(t, k, "kid-1", `{"sub":"u"}`)
	srv.publish(500, `{"error":"down","body":"secret-body"}`)
	_, err := ks.VerifySignature(t.Context(), tok)
	if err == nil || !strings.Contains(err.Error(), "fetching keys") || !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), "secret-body") {
		t.Fatalf("JWKS down: %v, want a fetching-keys error naming the status, not the body", err)
	}
	srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{"kid-1": k}))
	if _, err := ks.VerifySignature(t.Context(), tok); err != nil {
		t.Fatalf("first verification after recovery: %v", err)
	}
	before := srv.requests.Load()
	for range 5 {
		if _, err := ks.VerifySignature(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Errorf("%d JWKS requests for a cached kid, want 0", n)
	}
	// A forged signature under a known kid: one reload, then refused.
	forged := signed(t, testRSAKey(t), "kid-1", `{"sub":"u"}`)
	if _, err := ks.VerifySignature(t.Context(), forged); err == nil || !strings.Contains(err.Error(), "failed to verify id token signature") {
		t.Errorf("forged token: %v", err)
	}
}

// TestKeySetSkipsUnknownKeys: keys of an unsupported algorithm or type are
// skipped, as go-oidc does, and the set's other keys still verify; a key
// that is merely broken fails the fetch.
func TestKeySetSkipsUnknownKeys(t *testing.T) {
	srv := startJWKS(t)
	k := testRSAKey(t)
	tok := signed(t, k, "kid-1", `{}`)
	extra := []string{
		`{"kty":"AKP","kid":"snk_unparseable","alg":"ML-DSA-44","pub":"AAAA"}`,
		`{"kty":"EC","kid":"snk_es256k","alg":"ES256K","crv":"secp256k1","x":"gKa0nrdkyRn8MfOhDc6QaIZ1eMzUmNzUHhOfxWmdtSg","y":"2i8ZpLgbUTGrQjDpy8whWo4Ytxh1Ka-EmKsm9anOcI4"}`,
		`{"kty":"OKP","kid":"snk_x448","crv":"X448","x":"AAAA"}`,
	}
	srv.publish(200, jwksOf(t, extra, map[string]*rsa.PrivateKey{"kid-1": k}))
	if _, err := NewKeySet(NewHTTPClient(nil, 30*time.Second), srv.URL).VerifySignature(t.Context(), tok); err != nil {
		t.Errorf("a set with keys to skip: %v", err)
	}
	srv.publish(200, jwksOf(t, []string{`{"kty":"RSA","kid":"broken","n":"!!"}`}, map[string]*rsa.PrivateKey{"kid-1": k}))
	if _, err := NewKeySet(NewHTTPClient(nil, 30*time.Second), srv.URL).VerifySignature(t.Context(), tok); err == nil || !strings.Contains(err.Error(), "fetching keys") {
		t.Errorf("a set with a broken key: %v, want a fetching-keys error", err)
	}
}

// TestKeySetWaiterGivesUp: a verification whose request ends stops
// waiting; the fetch goes on and serves the next verification.
func TestKeySetWaiterGivesUp(t *testing.T) {
	srv := startJWKS(t)
	k := testRSAKey(t)
	tok := signed(t, k, "kid-1", `{}`)
	release := make(chan struct{})
	srv.mu.Lock()
	srv.block = release
	srv.mu.Unlock()
	srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{"kid-1": k}))
	ks := NewKeySet(NewHTTPClient(nil, 30*time.Second), srv.URL)

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, err := ks.VerifySignature(ctx, tok); errc <- err }()
	// The fetch has started once the server holds its request.
	select {
	case <-srv.arrived:
	case err := <-errc:
		t.Fatalf("returned before the fetch: %v", err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose request ended: %v, want context.Canceled", err)
	}
	srv.mu.Lock()
	srv.block = nil
	srv.mu.Unlock()
	close(release)
	if _, err := ks.VerifySignature(t.Context(), tok); err != nil {
		t.Errorf("after the abandoned fetch: %v", err)
	}
	if n := srv.requests.Load(); n > 2 {
		t.Errorf("%d JWKS requests, want at most 2", n)
	}
}

// TestKeySetUnknownKidRateLimited: once the reload budget is spent, a kid
// the key set lacks is a refusal if the last fetch that reached the IdP
// succeeded (its keys are what the IdP publishes), and "fetching keys"
// (cannot verify now) only if that fetch failed (C11, D3, D4).
func TestKeySetUnknownKidRateLimited(t *testing.T) {
	srv := startJWKS(t)
	k, other := testRSAKey(t), testRSAKey(t)
	srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{"kid-1": k}))
	now := time.Now()
	client := &http.Client{Timeout: 30 * time.Second, Transport: RateLimitJWKS(RequireKeys(http.DefaultTransport), JWKSReloadInterval, func() time.Time { return now })}
	ks := NewKeySet(client, srv.URL)
	verify := func(key *rsa.PrivateKey, kid string) (int32, error) {
		t.Helper()
		before := srv.requests.Load()
		_, err := ks.VerifySignature(t.Context(), signed(t, key, kid, `{}`))
		return srv.requests.Load() - before, err
	}
	if _, err := verify(k, "kid-1"); err != nil {
		t.Fatalf("the published key: %v", err)
	}
	// A forged signature under a kid the set holds is refused without a
	// reload: it must not spend the budget a rotation needs.
	if fetched, err := verify(other, "kid-1"); err == nil || !strings.Contains(err.Error(), "failed to verify id token signature") || fetched != 0 {
		t.Errorf("forged signature, known kid: %v after %d requests, want a refusal after none", err, fetched)
	}
	// The first unknown kids reload (the rest of the burst); the next
	// ones find the budget spent.
	wants := []int32{0, 0}
	for range jwksBurst - 1 {
		wants = append([]int32{1}, wants...)
	}
	for i, want := range wants {
		fetched, err := verify(other, fmt.Sprint("kid-new-", i))
		if err == nil || !strings.Contains(err.Error(), "kid not in the current key set") {
			t.Errorf("unknown kid %d: %v, want a refusal", i+1, err)
		}
		if fetched != want {
			t.Errorf("unknown kid %d: %d JWKS requests, want %d", i+1, fetched, want)
		}
	}
	// A forged signature under a kid the set holds: a refusal too.
	if fetched, err := verify(other, "kid-1"); err == nil || !strings.Contains(err.Error(), "failed to verify id token signature") || fetched != 0 {
		t.Errorf("forged signature, known kid, budget spent: %v after %d requests", err, fetched)
	}
	// The next reload meets a broken endpoint (a 404 spends its token):
	// until a fetch succeeds again, the keys are not known.
	srv.publish(404, `not found`)
	now = now.Add(JWKSReloadInterval)
	if fetched, err := verify(other, "kid-new-4"); err == nil || !strings.Contains(err.Error(), "fetching keys") || fetched != 1 {
		t.Errorf("reload answered 404: %v after %d requests, want fetching keys after 1", err, fetched)
	}
	if fetched, err := verify(other, "kid-new-5"); err == nil || !strings.Contains(err.Error(), "fetching keys") || fetched != 0 {
		t.Errorf("rate-limited after a failed fetch: %v after %d requests, want fetching keys after none", err, fetched)
	}
	srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{"kid-1": k}))
	now = now.Add(JWKSReloadInterval)
	if _, err := verify(other, "kid-new-6"); err == nil || !strings.Contains(err.Error(), "kid not in the current key set") {
		t.Errorf("after a good fetch again: %v, want a refusal", err)
	}
}

// TestKeySetObserve: the observer hears every fetch, by outcome, before
// the verification that made it returns: a usable set, a failure, and a
// reload the rate limit refused (which sent no request), each once.
func TestKeySetObserve(t *testing.T) {
	t.Parallel()
	srv := startJWKS(t)
	k, other := testRSAKey(t), testRSAKey(t)
	now := time.Now()
	client := &http.Client{Timeout: 30 * time.Second, Transport: RateLimitJWKS(RequireKeys(http.DefaultTransport), JWKSReloadInterval, func() time.Time { return now })}
	ks := NewKeySet(client, srv.URL)
	var mu sync.Mutex
	var heard []string
	ks.Observe(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			heard = append(heard, "ok")
		case errors.Is(err, ErrJWKSRateLimited):
			heard = append(heard, "rate limited")
		default:
			heard = append(heard, "error")
		}
	})
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(heard) == 0 {
			return ""
		}
		return heard[len(heard)-1]
	}
	srv.publish(500, `down`)
	ks.VerifySignature(t.Context(), signed(t, k, "kid-1", `{}`))
	if got := last(); got != "error" {
		t.Errorf("a 500: heard %q", got)
	}
	srv.publish(200, jwksOf(t, nil, map[string]*rsa.PrivateKey{"kid-1": k}))
	if _, err := ks.VerifySignature(t.Context(), signed(t, k, "kid-1", `{}`)); err != nil || last() != "ok" {
		t.Errorf("a usable set: %v, heard %q", err, last())
	}
	// The 500 gave its token back: the burst has four left for reloads.
	for i := range jwksBurst - 1 {
		ks.VerifySignature(t.Context(), signed(t, other, fmt.Sprint("kid-new-", i), `{}`))
	}
	before := srv.requests.Load()
	ks.VerifySignature(t.Context(), signed(t, other, "kid-spent", `{}`))
	if got := last(); got != "rate limited" || srv.requests.Load() != before {
		t.Errorf("budget spent: heard %q after %d requests, want rate limited after none", got, srv.requests.Load()-before)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 2+jwksBurst {
		t.Errorf("heard %d fetches, want %d: %v", len(heard), 2+jwksBurst, heard)
	}
}
