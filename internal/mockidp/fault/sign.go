package fault

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp/ids"
)

// Token says which token a signature is for.
type Token int

// The tokens an environment signs for a user.
const (
	AccessToken Token = iota
	IDToken
)

// Sign signs claims as a signature mode says, and reports whether one did:
// when none is on, the caller signs with the environment's key as usual.
// The modes: another key under the real kid, alg none, HS256 keyed with
// the client secret or the public key, ES256 with a bad signature, two
// signatures in the JSON serialization, no kid, an unknown kid, or not a
// JWS at all; for access tokens also another typ header, or an opaque
// string instead of a JWT. The rotation modes rotate the key first.
func (e *Env) Sign(claims map[string]any, client, secret string, t Token) (string, bool, error) {
	if !e.faults.Any() {
		return "", false, nil
	}
	e.rotate(true)
	kid, priv, err := e.keys.Current()
	if err != nil {
		return "", true, err
	}
	id := t == IDToken
	on := func(m Mode) bool { return id && e.faults.On(m, client) }
	atOn := func(m Mode) bool { return !id && e.faults.On(m, client) }
	if atOn(ATOpaque) {
		return ids.Token(), true, nil
	}
	var key any = priv
	alg := jose.RS256
	typ, typMode := "JWT", false
	if !id {
		if p, ok := e.faults.Take(ATTyp, client); ok {
			typ, typMode = p, true // at+jwt, JWT, or absent
			if p == "absent" {
				typ = ""
			}
		}
	}
	malformed, isMalformed := "", false
	if id {
		malformed, isMalformed = e.faults.Take(IDTMalformed, client)
	}
	hs256, isHS256 := "", false
	if id && !isMalformed {
		hs256, isHS256 = e.faults.Take(IDTAlgHS256, client)
	}
	switch {
	case isMalformed:
		return malformedJWS(claims, kid, malformed), true, nil
	case on(IDTAlgNone), atOn(ATAlgNone):
		payload, _ := json.Marshal(claims)
		return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", true, nil
	case on(IDTMultiSig):
		tok, err := multiSigned(claims, kid, priv)
		return tok, true, err
	case isHS256 && hs256 == "pubkey":
		// Algorithm confusion: HMAC keyed with the PEM of the RSA public
		// key that /keys publishes.
		der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		key, alg = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), jose.HS256
	case isHS256:
		key, alg = []byte(secret), jose.HS256
	case on(IDTSigBadES256):
		key, alg = decoyEC(), jose.ES256 // the real kid names an RSA key
	case on(IDTSigBadRS256), atOn(ATSigBad):
		key = decoy()
	case on(IDTKidAbsentSingle), on(IDTKidAbsentMulti):
		kid = ""
	case on(IDTKidUnknown), atOn(ATKidUnknown):
		kid = "snk_" + ids.Suffix()
	case !typMode:
		return "", false, nil
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
		return "", true, err
	}
	jws, err := signClaims(signer, claims)
	if err != nil {
		return "", true, err
	}
	tok, err := jws.CompactSerialize()
	return tok, true, err
}

// malformedJWS is idt.malformed: two segments, bad base64, or a payload
// that is not JSON.
func malformedJWS(claims map[string]any, kid, how string) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"` + kid + `"}`))
	switch how {
	case "base64":
		return header + ".!!not*base64!!.@@@"
	case "json":
		return header + "." + base64.RawURLEncoding.EncodeToString([]byte("this is not JSON")) + "." + base64.RawURLEncoding.EncodeToString([]byte("sig"))
	}
	payload, _ := json.Marshal(claims)
	return header + "." + base64.RawURLEncoding.EncodeToString(payload)
}

func signClaims(signer jose.Signer, claims map[string]any) (*jose.JSONWebSignature, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	return signer.Sign(payload)
}

// multiSigned is idt.multi_sig: the JWS JSON serialization (RFC 7515
// §7.2.1) with two signatures, the environment key's and the decoy's. It
// is not a compact JWS, which is all an ID token may be.
func multiSigned(claims map[string]any, kid string, priv *rsa.PrivateKey) (string, error) {
	signer, err := jose.NewMultiSigner([]jose.SigningKey{
		{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: decoy(), KeyID: decoyKID}},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signClaims(signer, claims)
	if err != nil {
		return "", err
	}
	return jws.FullSerialize(), nil
}

// IDTokenSigned tells the drills that an ID token went out: the modes that
// rotate after the first one do so now.
func (e *Env) IDTokenSigned() {
	e.idTokens.Add(1)
	if e.faults.Any() {
		e.rotate(false)
	}
}

// rotate rotates the signing key once for the rotation modes:
// jwks.rotate_before_sign just before the first signature,
// jwks.rotate_after_first_token just after the first ID token (both keep
// the old key published), and jwks.drop_old_key before the first token
// signed after an ID token has been served, dropping the old key from
// /keys: an app then holds a session whose tokens no longer verify.
func (e *Env) rotate(before bool) {
	mode, overlap := Mode(""), time.Duration(-1) // for good
	switch {
	case before && e.faults.Has(JWKSRotateBeforeSign):
		mode = JWKSRotateBeforeSign
	case before && e.faults.Has(JWKSDropOldKey) && e.idTokens.Load() > 0:
		mode, overlap = JWKSDropOldKey, 0
	case !before && e.faults.Has(JWKSRotateAfterFirstToken):
		mode = JWKSRotateAfterFirstToken
	default:
		return
	}
	if !e.rotated.CompareAndSwap(false, true) {
		return
	}
	if kid, err := e.keys.Rotate(overlap); err == nil {
		e.log.Info("signing key rotated", "mode", mode, "kid", kid, "old_key_published", overlap != 0)
	}
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

// decoyEC is the P-256 key of idt.sig_bad_es256, published nowhere.
var decoyEC = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})
