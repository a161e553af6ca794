package store

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/statefile"
)

const keyFile = "signing-key.json"

// signingKey is the environment's RS256 key. Scalekit keeps one stable key
// per environment and the SDKs cache /keys for their whole life (contract
// §6), so the key is persisted in --state-dir: a restart must not break the
// apps that are running.
//
// Loading the key (reading and parsing an RSA private key, or generating
// one) costs more than starting the whole HTTP server, and discovery does
// not need it, so it is loaded on first use: /keys, the first signature,
// or Server.LoadKey, which the command calls once it serves.
type signingKey struct {
	once     sync.Once
	stateDir string
	ids      *ids.Gen
	// preset, when set, is the key material to use instead of making a
	// new key (when stateDir holds none): see NewKeyring.
	preset *rsa.PrivateKey
	// Set by load, inside once.
	kid       string
	pub       *rsa.PublicKey
	priv      *rsa.PrivateKey
	publicJWK []byte // this key's JWK, public members only
	jwks      []byte // the /keys document of this key alone
	signer    jose.Signer
	err       error
}

// keyFileContents is the on-disk form: the public JWK ready to publish, and
// the private key as PKCS#8 PEM.
type keyFileContents struct {
	KID     string          `json:"kid"`
	Public  json.RawMessage `json:"public_jwk"`
	Private string          `json:"private_key_pem"`
}

// newGeneratedKey makes a fresh key now, saved in stateDir when set
// (a rotation: it replaces the file's key).
func newGeneratedKey(stateDir string, ids *ids.Gen) *signingKey {
	k := &signingKey{stateDir: stateDir, ids: ids}
	k.once.Do(func() { k.err = k.generate(stateDir, ids) })
	return k
}

// newSigningKey returns the key of stateDir, loaded on first use from the
// file there, or made anew (and saved there when stateDir is set).
func newSigningKey(stateDir string, ids *ids.Gen, preset *rsa.PrivateKey) *signingKey {
	return &signingKey{stateDir: stateDir, ids: ids, preset: preset}
}

// wait loads the key if it is not loaded yet, and returns why it could
// not be.
func (k *signingKey) wait() error {
	k.once.Do(func() { k.err = k.load(k.stateDir, k.ids) })
	return k.err
}

func (k *signingKey) load(stateDir string, ids *ids.Gen) error {
	if stateDir != "" {
		data, err := os.ReadFile(filepath.Join(stateDir, keyFile))
		switch {
		case err == nil:
			return k.parse(data)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("signing key: %w", err)
		}
	}
	return k.generate(stateDir, ids)
}

// generate makes a new key, and saves it in stateDir when that is set.
func (k *signingKey) generate(stateDir string, ids *ids.Gen) error {
	priv := k.preset
	if priv == nil {
		var err error
		if priv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return fmt.Errorf("signing key: %w", err)
		}
	}
	kid := ids.New("snk_")
	pub, err := json.Marshal(publicJWK(kid, &priv.PublicKey))
	if err != nil {
		return err
	}
	if stateDir != "" {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(keyFileContents{
			KID:     kid,
			Public:  pub,
			Private: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		}, "", "  ")
		if err != nil {
			return err
		}
		if err := statefile.WriteAtomic(filepath.Join(stateDir, keyFile), data); err != nil {
			return fmt.Errorf("signing key: %w", err)
		}
	}
	return k.set(kid, pub, priv)
}

func (k *signingKey) parse(data []byte) error {
	var c keyFileContents
	if err := json.Unmarshal(data, &c); err != nil || c.KID == "" || len(c.Public) == 0 {
		return fmt.Errorf("signing key: %s is damaged: delete it to make a new key (apps must then restart)", keyFile)
	}
	block, _ := pem.Decode([]byte(c.Private))
	if block == nil {
		return fmt.Errorf("signing key: %s holds no PEM private key: delete it to make a new key", keyFile)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := parsed.(*rsa.PrivateKey)
	if err != nil || !ok {
		return fmt.Errorf("signing key: %s holds no RSA private key: delete it to make a new key", keyFile)
	}
	return k.set(c.KID, c.Public, priv)
}

// set fills the key's fields from its parts, checking that the published
// JWK is the private key's public half.
func (k *signingKey) set(kid string, publicJWK []byte, priv *rsa.PrivateKey) error {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(publicJWK); err != nil {
		return fmt.Errorf("signing key: public key of %s: %w", keyFile, err)
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok || jwk.KeyID != kid || !pub.Equal(&priv.PublicKey) {
		return fmt.Errorf("signing key: %s: the public key is not the private key's: delete the file to make a new key", keyFile)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return err
	}
	k.kid, k.pub, k.priv, k.signer = kid, pub, priv, signer
	k.publicJWK = publicJWK
	k.jwks = fmt.Appendf(nil, `{"keys":[%s]}`, publicJWK)
	return nil
}

// sign returns the compact JWS of claims, with header
// {"alg":"RS256","kid":"snk_…","typ":"JWT"} (docs/scalekit-contract.md §7).
func (k *signingKey) sign(claims any) (string, error) {
	if err := k.wait(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// verify checks a token signed by this key and returns its claims. It
// checks the signature and the issuer only; callers check the rest.
func (k *signingKey) verify(token, issuer string) (map[string]any, error) {
	if err := k.wait(); err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != k.kid {
		return nil, errors.New("not signed with this environment's key")
	}
	payload, err := jws.Verify(k.pub)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	if claims["iss"] != issuer {
		return nil, errors.New("issued by another environment")
	}
	return claims, nil
}

// publicJWK is the published form of the key: RSA public members only,
// since Node's jose rejects a set with private members (docs/scalekit-contract.md §6).
func publicJWK(kid string, pub *rsa.PublicKey) jose.JSONWebKey {
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}
