package mockidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"time"
)

// UsesMode reports whether scenarios (modes or named sets of fx) switch
// mode on. The command asks it for net.tls_selfsigned, which changes how
// it listens rather than how the environment answers.
func UsesMode(scenarios []string, fx *Fixtures, mode string) bool {
	faults, err := resolveScenarios(scenarios, fx)
	return err == nil && slices.ContainsFunc(faults, func(f Fault) bool { return f.Mode == mode })
}

// SelfSignedTLS returns a TLS configuration with a fresh self-signed
// certificate for the loopback names, for net.tls_selfsigned: an app must
// refuse it with a TLS error, and never fall back to trusting it.
func SelfSignedTLS() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "skctl mock-idp (self-signed, net.tls_selfsigned)"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, nil
}
