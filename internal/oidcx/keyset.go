package oidcx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// KeySet is the IdP's JWKS as go-oidc's verifiers use it (an oidc.KeySet):
// keys are cached, and a token whose kid the cache does not hold makes one
// fetch, shared by every verification waiting at that moment.
//
// It replaces go-oidc's RemoteKeySet, which releases the waiters of a
// fetch before it forgets that fetch: a verification that starts in that
// gap, after the fetch has ended, is handed its result rather than a new
// fetch. A token signed with a key the IdP published meanwhile then reads
// as forged ("failed to verify signature"), and serve would end a valid
// session; after an outage, the first request sees the outage again. Here
// a fetch is forgotten before anyone is told it ended.
type KeySet struct {
	url    string
	client *http.Client

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	inflight *keyFetch
	// good says the last fetch that reached the IdP succeeded, so keys
	// are what it publishes now (a rate-limited reload reaches nothing).
	good bool
	// observe, when set, is told how each fetch ended (for metrics).
	observe func(err error)
}

// keyFetch is one JWKS request; keys and err are set before done closes.
type keyFetch struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

// NewKeySet returns the key set at url, fetched through client, whose
// timeout bounds each fetch.
func NewKeySet(client *http.Client, url string) *KeySet {
	return &KeySet{url: url, client: client}
}

// verifyAlgs are the algorithms a JWS may name to be parsed at all; the
// verifier has already held its header to the configured ones.
var verifyAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// VerifySignature returns the payload of jwt if a key of the set verifies
// it. The messages follow go-oidc's RemoteKeySet: "fetching keys" when the
// set could not be fetched, "failed to verify id token signature" when no
// key verifies the token; and "kid not in the current key set" when the
// token names a kid that a set the IdP served since the last reload does
// not hold.
func (s *KeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, verifyAlgs)
	if err != nil {
		return nil, fmt.Errorf("oidc: malformed jwt: %w", err)
	}
	kid := ""
	if len(jws.Signatures) > 0 {
		kid = jws.Signatures[0].Header.KeyID
	}
	s.mu.Lock()
	cached := s.keys
	s.mu.Unlock()
	if payload, ok := verifyWith(jws, kid, cached); ok {
		return payload, nil
	}
	if kid != "" && slices.ContainsFunc(cached, func(k jose.JSONWebKey) bool { return k.KeyID == kid }) {
		// A key we hold, a signature it does not verify: a forgery, not a
		// rotation. Reloading would not help, and would spend the reload
		// budget that a real rotation needs (D3).
		return nil, errors.New("failed to verify id token signature")
	}
	// An unknown kid: the IdP may have rotated its key (C11).
	keys, err := s.fetch(ctx)
	if errors.Is(err, ErrJWKSRateLimited) {
		// The reload budget is spent (D3), so a set was fetched moments
		// ago. If that fetch succeeded, its keys are what the IdP
		// publishes: a kid they lack is not the IdP's, a refusal rather
		// than an outage (D4). Otherwise the keys cannot be known now.
		s.mu.Lock()
		if s.good {
			keys, err = s.keys, nil
		}
		s.mu.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("fetching keys %w", err)
	}
	if payload, ok := verifyWith(jws, kid, keys); ok {
		return payload, nil
	}
	if kid != "" && !slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid }) {
		return nil, errors.New("oidcx: kid not in the current key set")
	}
	return nil, errors.New("failed to verify id token signature")
}

func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) ([]byte, bool) {
	for _, k := range keys {
		if kid == "" || k.KeyID == kid {
			if payload, err := jws.Verify(&k); err == nil {
				return payload, true
			}
		}
	}
	return nil, false
}

// fetch joins the fetch in flight or starts one. The fetch itself does not
// end with ctx: the waiters that remain still want its result.
func (s *KeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	f := s.inflight
	if f == nil {
		f = &keyFetch{done: make(chan struct{})}
		s.inflight = f
		go s.run(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.keys, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *KeySet) run(f *keyFetch) {
	keys, err := s.get()
	s.mu.Lock()
	if err == nil {
		s.keys = keys
	}
	if !errors.Is(err, ErrJWKSRateLimited) {
		s.good = err == nil
	}
	s.inflight = nil // forgotten before anyone learns it ended
	observe := s.observe
	s.mu.Unlock()
	// Told before the waiters are, so that whoever sees a verification
	// that fetched also sees the fetch counted.
	if observe != nil {
		observe(err)
	}
	f.keys, f.err = keys, err
	close(f.done)
}

// Observe has fn called with the outcome of every fetch from now on: nil
// for a usable key set, ErrJWKSRateLimited for a reload the limit
// refused (no request was sent), another error for a failure.
func (s *KeySet) Observe(fn func(err error)) {
	s.mu.Lock()
	s.observe = fn
	s.mu.Unlock()
}

// get requests the JWKS. Its error names the status, never the body, which
// is the IdP's text.
func (s *KeySet) get() ([]jose.JSONWebKey, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("oidcx: JWKS request: %w", err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidcx: get keys failed: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("oidcx: get keys failed: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidcx: get keys failed: %s", resp.Status)
	}
	return parseJWKS(body)
}

// parseJWKS reads a JWKS as go-oidc does: keys that name an algorithm it
// does not support, or of a type go-jose does not know, are skipped (RFC
// 7517 §5: a set may hold keys a client does not understand); any other
// broken key fails the whole set.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("oidcx: failed to decode keys: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, k := range raw.Keys {
		var meta struct {
			Alg string `json:"alg"`
		}
		if err := json.Unmarshal(k, &meta); err != nil {
			return nil, fmt.Errorf("oidcx: failed to decode keys: %w", err)
		}
		if meta.Alg != "" && !supportedAlg(meta.Alg) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k, &jwk); err != nil {
			if errors.Is(err, jose.ErrUnsupportedKeyType) {
				continue
			}
			return nil, fmt.Errorf("oidcx: failed to decode keys: %w", err)
		}
		keys = append(keys, jwk)
	}
	return keys, nil
}

func supportedAlg(alg string) bool {
	return slices.Contains(verifyAlgs, jose.SignatureAlgorithm(alg))
}
