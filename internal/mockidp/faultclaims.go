package mockidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// applyIDTokenModes changes ID-token claims as the idt.* and refresh.*
// modes say, before signing (shared/mock-idp-scenarios.md, ID token).
func (s *Server) applyIDTokenModes(c map[string]any, client string, now time.Time, refresh bool) {
	on := func(m string) bool { return s.faults.on(m, client) }
	if on("idt.iss_wrong") {
		c["iss"] = "https://evil.example"
	}
	if on("idt.aud_wrong") {
		c["aud"], c["azp"] = []string{"skc_00000000000000001"}, "skc_00000000000000001"
	}
	if on("idt.aud_missing") {
		delete(c, "aud")
	}
	if on("idt.aud_multi_no_azp") {
		c["aud"] = []string{client, "skc_00000000000000001"}
		delete(c, "azp")
	}
	if on("idt.azp_wrong") {
		c["azp"] = "skc_00000000000000001"
	}
	if on("idt.aud_multi_untrusted") {
		c["aud"] = []string{client, "skc_00000000000000001"}
	}
	if on("idt.sub_missing") {
		delete(c, "sub")
	}
	if on("idt.iat_missing") {
		delete(c, "iat")
	}
	if on("idt.iat_future") {
		c["iat"] = now.Add(time.Hour).Unix()
	}
	if on("idt.iat_old") {
		c["iat"] = now.Add(-24 * time.Hour).Unix()
	}
	if on("idt.exp_past") {
		c["exp"] = now.Add(-time.Hour).Unix()
	}
	if on("idt.exp_missing") {
		delete(c, "exp")
	}
	if on("idt.nbf_future") {
		c["nbf"] = now.Add(time.Hour).Unix()
	}
	if _, sent := c["nonce"]; sent && on("idt.nonce_wrong") {
		c["nonce"] = "nonce-the-app-never-sent"
	}
	if on("idt.nonce_missing") {
		delete(c, "nonce")
	}
	if on("idt.at_hash_wrong") {
		c["at_hash"] = halfHash("another access token")
	}
	if refresh && on("refresh.id_token_iss_changed") {
		c["iss"] = s.issuer + "/changed"
	}
	if refresh && on("refresh.id_token_sub_changed") {
		c["sub"] = "usr_00000000000000002"
	}
	if on("idt.huge") {
		for k, v := range hugeIDTokenClaims() {
			c[k] = v
		}
	}
}

// hugeIDTokenClaims are idt.huge's 16 KB of extra claims: 64 of 256
// characters each.
var hugeIDTokenClaims = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for i := range 64 {
		m[fmt.Sprintf("x_huge_%02d", i)] = strings.Repeat(string(rune('a'+i%26)), 256)
	}
	return m
})

// hugeRoles and hugePermissions are what at.huge adds to the user's own:
// over 6 KB of JSON, more than a 4 KB cookie holds (F3).
var hugeRoles, hugePermissions = func() ([]string, []string) {
	var roles, perms []string
	for i := range 100 {
		roles = append(roles, fmt.Sprintf("role_%03d", i))
	}
	actions := []string{"read", "write", "delete", "admin"}
	for i := range 256 {
		perms = append(perms, fmt.Sprintf("resource_%03d:%s", i/4, actions[i%4]))
	}
	return roles, perms
}()

// applyAccessTokenModes changes access-token claims (at.*).
func (s *Server) applyAccessTokenModes(c map[string]any, client string) {
	if s.faults.on("at.aud_other", client) {
		c["aud"] = []string{"skc_00000000000000001"}
	}
	if s.faults.on("at.iss_wrong", client) {
		c["iss"] = "https://evil.example"
	}
	if s.faults.on("at.aud_missing", client) {
		delete(c, "aud")
	}
	if s.faults.on("at.huge", client) {
		// Concat copies: the user's own slices belong to the fixtures.
		roles, _ := c["roles"].([]string)
		perms, _ := c["permissions"].([]string)
		c["roles"] = slices.Concat(roles, hugeRoles)
		c["permissions"] = slices.Concat(perms, hugePermissions)
	}
}

// signWithModes signs claims with the current key, or as a signature mode
// says: another key under the real kid, alg none, HS256 keyed with the
// client secret, ES256 with a bad signature, two signatures in the JSON
// serialization, no kid, an unknown kid, or not a JWS at all; for access
// tokens also another typ header, or an opaque string instead of a JWT.
func (s *Server) signWithModes(claims map[string]any, app *App, idToken bool) (string, error) {
	if err := s.keys.wait(); err != nil {
		return "", err
	}
	s.rotateForModes(true)
	k := s.keys.signer()
	on := func(m string) bool { return idToken && s.faults.on(m, app.ClientID) }
	atOn := func(m string) bool { return !idToken && s.faults.on(m, app.ClientID) }
	if atOn("at.opaque") {
		return randomToken(), nil
	}
	var key any = k.priv
	var alg = jose.RS256
	kid := k.kid
	typ, typMode := "JWT", false
	if !idToken {
		if p, ok := s.faults.take("at.typ", app.ClientID); ok {
			typ, typMode = p, true // at+jwt, JWT, or absent
			if p == "absent" {
				typ = ""
			}
		}
	}
	malformed, isMalformed := "", false
	if idToken {
		malformed, isMalformed = s.faults.take("idt.malformed", app.ClientID)
	}
	hs256, isHS256 := "", false
	if idToken && !isMalformed {
		hs256, isHS256 = s.faults.take("idt.alg_hs256", app.ClientID)
	}
	switch {
	case isMalformed:
		payload, _ := json.Marshal(claims)
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"` + kid + `"}`))
		switch malformed {
		case "base64":
			return header + ".!!not*base64!!.@@@", nil
		case "json":
			return header + "." + base64.RawURLEncoding.EncodeToString([]byte("this is not JSON")) + "." + base64.RawURLEncoding.EncodeToString([]byte("sig")), nil
		}
		return header + "." + base64.RawURLEncoding.EncodeToString(payload), nil
	case on("idt.alg_none"):
		payload, _ := json.Marshal(claims)
		return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	case on("idt.multi_sig"):
		return multiSigned(claims, k)
	case isHS256 && hs256 == "pubkey":
		// Algorithm confusion: HMAC keyed with the PEM of the RSA public
		// key that /keys publishes.
		der, _ := x509.MarshalPKIXPublicKey(k.pub)
		key, alg = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), jose.HS256
	case isHS256:
		key, alg = []byte(app.ClientSecret), jose.HS256
	case on("idt.sig_bad_es256"):
		key, alg = decoyEC(), jose.ES256 // the real kid names an RSA key
	case on("idt.sig_bad_rs256"), atOn("at.sig_bad"):
		key = s.decoyKey()
	case on("idt.kid_absent_single"), on("idt.kid_absent_multi"):
		kid = ""
	case on("idt.kid_unknown"), atOn("at.kid_unknown"):
		kid = "snk_" + randomSuffix()
	case !typMode:
		return s.keys.sign(claims)
	}
	if b, ok := key.([]byte); ok && alg == jose.HS256 && len(b) < 32 {
		// go-jose wants a key as long as the hash; pad as some IdPs do.
		key = append(b, make([]byte, 32-len(b))...)
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		return "", err
	}
	jws, err := signJSON(signer, claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// signJSON signs the JSON of claims.
func signJSON(signer jose.Signer, claims any) (*jose.JSONWebSignature, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	return signer.Sign(payload)
}

// multiSigned is idt.multi_sig: the JWS JSON serialization (RFC 7515
// §7.2.1) with two signatures, the environment key's and the decoy's. It
// is not a compact JWS, which is all an ID token may be.
func multiSigned(claims map[string]any, k *signingKey) (string, error) {
	signer, err := jose.NewMultiSigner([]jose.SigningKey{
		{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: decoy(), KeyID: "snk_10000000000000009"}},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signJSON(signer, claims)
	if err != nil {
		return "", err
	}
	return jws.FullSerialize(), nil
}

// rotateForModes rotates the signing key once for the rotation modes:
// jwks.rotate_before_sign just before the first signature,
// jwks.rotate_after_first_token just after the first ID token (both keep
// the old key published), and jwks.drop_old_key before the first token
// signed after an ID token has been served, dropping the old key from
// /keys: an app then holds a session whose tokens no longer verify.
func (s *Server) rotateForModes(before bool) {
	mode, overlap := "", time.Duration(-1) // for good
	switch _, afterFirst := s.faults.peek("jwks.rotate_after_first_token"); {
	case before && s.faultOn("jwks.rotate_before_sign"):
		mode = "jwks.rotate_before_sign"
	case before && s.faultOn("jwks.drop_old_key") && s.idTokens.Load() > 0:
		mode, overlap = "jwks.drop_old_key", 0
	case !before && afterFirst:
		mode = "jwks.rotate_after_first_token"
	default:
		return
	}
	if !s.rotated.CompareAndSwap(false, true) {
		return
	}
	if kid, err := s.keys.rotate(overlap); err == nil {
		s.log.Info("signing key rotated", "mode", mode, "kid", kid, "old_key_published", overlap != 0)
	}
}

// faultOn reports whether mode is on, without using it up.
func (s *Server) faultOn(mode string) bool {
	_, ok := s.faults.peek(mode)
	return ok
}

// decoy is an RSA key no environment publishes, for signatures that must
// fail, and for the second key of idt.kid_absent_multi.
var decoy = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func (s *Server) decoyKey() *rsa.PrivateKey { return decoy() }

// decoyEC is the P-256 key of idt.sig_bad_es256, published nowhere.
var decoyEC = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

func (s *Server) decoyJWK() []byte {
	b, _ := json.Marshal(jose.JSONWebKey{Key: &decoy().PublicKey, KeyID: "snk_10000000000000009", Algorithm: "RS256", Use: "sig"})
	return b
}
