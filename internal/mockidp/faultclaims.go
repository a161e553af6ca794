package mockidp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
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
}

// applyAccessTokenModes changes access-token claims (at.*).
func (s *Server) applyAccessTokenModes(c map[string]any, client string) {
	if s.faults.on("at.aud_other", client) {
		c["aud"] = []string{"skc_00000000000000001"}
	}
	if s.faults.on("at.iss_wrong", client) {
		c["iss"] = "https://evil.example"
	}
}

// signWithModes signs claims with the current key, or as a signature mode
// says: another key under the real kid, alg none, HS256 keyed with the
// client secret, no kid, an unknown kid, or not a JWS at all.
func (s *Server) signWithModes(claims map[string]any, app *App, idToken bool) (string, error) {
	if err := s.keys.wait(); err != nil {
		return "", err
	}
	s.rotateForModes(true)
	k := s.keys.signer()
	on := func(m string) bool { return idToken && s.faults.on(m, app.ClientID) }
	var key any = k.priv
	var alg = jose.RS256
	kid := k.kid
	switch {
	case on("idt.malformed"):
		payload, _ := json.Marshal(claims)
		return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"`+kid+`"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload), nil
	case on("idt.alg_none"):
		payload, _ := json.Marshal(claims)
		return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	case on("idt.alg_hs256"):
		key, alg = []byte(app.ClientSecret), jose.HS256
	case on("idt.sig_bad_rs256"), !idToken && s.faults.on("at.sig_bad", app.ClientID):
		key = s.decoyKey()
	case on("idt.kid_absent_single"), on("idt.kid_absent_multi"):
		kid = ""
	case on("idt.kid_unknown"):
		kid = "snk_" + randomSuffix()
	default:
		return s.keys.sign(claims)
	}
	if alg == jose.HS256 && len(app.ClientSecret) < 32 {
		// go-jose wants a key as long as the hash; pad as some IdPs do.
		key = []byte(app.ClientSecret + strings.Repeat("\x00", 32-len(app.ClientSecret)))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// rotateForModes rotates the signing key once for jwks.rotate_before_sign
// (before the first signature) or jwks.rotate_after_first_token (after
// it). Both keep the old key published.
func (s *Server) rotateForModes(before bool) {
	mode := "jwks.rotate_after_first_token"
	if before {
		mode = "jwks.rotate_before_sign"
	}
	if _, ok := s.faults.peek(mode); !ok {
		return
	}
	s.rotateOnce.Do(func() {
		if kid, err := s.keys.rotate(true); err == nil {
			s.log.Info("signing key rotated", "mode", mode, "kid", kid)
		}
	})
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

func (s *Server) decoyJWK() []byte {
	b, _ := json.Marshal(jose.JSONWebKey{Key: &decoy().PublicKey, KeyID: "snk_10000000000000009", Algorithm: "RS256", Use: "sig"})
	return b
}
