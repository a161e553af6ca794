package mockidp

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

	"github.com/go-jose/go-jose/v4"
)

const keyFile = "signing-key.json"

// signingKey is the environment's RS256 key. Scalekit keeps one stable key
// per environment and the SDKs cache /keys for their whole life (contract
// §6), so the key is persisted in --state-dir: a restart must not break the
// apps that are running.
//
// Parsing an RSA private key costs about as much as starting the whole HTTP
// server, and neither discovery nor /keys needs it, so it is parsed in the
// background and the first signature waits for it.
type signingKey struct {
	kid  string
	pub  *rsa.PublicKey
	jwks []byte // the /keys document, public members only

	ready  chan struct{}
	signer jose.Signer
	err    error
}

// keyFileContents is the on-disk form: the public JWK ready to publish, and
// the private key as PKCS#8 PEM.
type keyFileContents struct {
	KID     string          `json:"kid"`
	Public  json.RawMessage `json:"public_jwk"`
	Private string          `json:"private_key_pem"`
}

// loadOrCreateKey reads the key from stateDir, or makes a new one and saves
// it there when stateDir is set.
func loadOrCreateKey(stateDir string, ids *idGen) (*signingKey, error) {
	if stateDir != "" {
		data, err := os.ReadFile(filepath.Join(stateDir, keyFile))
		switch {
		case err == nil:
			return parseKeyFile(data)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	kid := ids.New("snk_")
	pub, err := json.Marshal(publicJWK(kid, &priv.PublicKey))
	if err != nil {
		return nil, err
	}
	if stateDir != "" {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		data, err := json.MarshalIndent(keyFileContents{
			KID:     kid,
			Public:  pub,
			Private: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		}, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(stateDir, keyFile), data); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	k, err := newSigningKey(kid, pub)
	if err != nil {
		return nil, err
	}
	k.finish(priv, nil)
	return k, nil
}

func parseKeyFile(data []byte) (*signingKey, error) {
	var c keyFileContents
	if err := json.Unmarshal(data, &c); err != nil || c.KID == "" || len(c.Public) == 0 {
		return nil, fmt.Errorf("signing key: %s is damaged: delete it to make a new key (apps must then restart)", keyFile)
	}
	k, err := newSigningKey(c.KID, c.Public)
	if err != nil {
		return nil, err
	}
	go func() {
		block, _ := pem.Decode([]byte(c.Private))
		if block == nil {
			k.finish(nil, fmt.Errorf("signing key: %s holds no PEM private key", keyFile))
			return
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		priv, ok := parsed.(*rsa.PrivateKey)
		if err != nil || !ok {
			k.finish(nil, fmt.Errorf("signing key: %s holds no RSA private key", keyFile))
			return
		}
		k.finish(priv, nil)
	}()
	return k, nil
}

func newSigningKey(kid string, publicJWK []byte) (*signingKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(publicJWK); err != nil {
		return nil, fmt.Errorf("signing key: public key of %s: %w", keyFile, err)
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok || jwk.KeyID != kid {
		return nil, fmt.Errorf("signing key: %s does not hold the RSA public key of %s", keyFile, kid)
	}
	return &signingKey{
		kid:   kid,
		pub:   pub,
		jwks:  fmt.Appendf(nil, `{"keys":[%s]}`, publicJWK),
		ready: make(chan struct{}),
	}, nil
}

func (k *signingKey) finish(priv *rsa.PrivateKey, err error) {
	if err == nil {
		k.signer, err = jose.NewSigner(
			jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: k.kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
	}
	k.err = err
	close(k.ready)
}

// sign returns the compact JWS of claims, with header
// {"alg":"RS256","kid":"snk_…","typ":"JWT"} (contract §7).
func (k *signingKey) sign(claims any) (string, error) {
	<-k.ready
	if k.err != nil {
		return "", k.err
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
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
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
// since Node's jose rejects a set with private members (contract §6).
func publicJWK(kid string, pub *rsa.PublicKey) jose.JSONWebKey {
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

// writeFileAtomic writes through a temporary file and a rename, so that a
// crash mid-write leaves the old file, never half of a new one. The mode is
// 0600: the files hold a private key and session state.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
