package oidcx

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Metadata are the discovery fields skctl reads beyond go-oidc's.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	UserinfoEndpoint              string   `json:"userinfo_endpoint"`
	EndSessionEndpoint            string   `json:"end_session_endpoint"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	IssParameterSupported         bool     `json:"authorization_response_iss_parameter_supported"`
}

// Provider is a discovered IdP: go-oidc's Provider, the metadata, and one
// shared key set whose reloads are rate-limited (K1, D3).
type Provider struct {
	*oidc.Provider
	Meta   Metadata
	KeySet *KeySet
}

// JWKSReloadInterval is the least time between forced JWKS reloads after
// the first two (D3).
const JWKSReloadInterval = 30 * time.Second

// Discover fetches the discovery document of issuer through client. The
// discovered issuer must equal the configured one byte for byte (C9);
// otherwise the error is an *oidc.IssuerMismatchError.
func Discover(ctx context.Context, client *http.Client, issuer string, now func() time.Time) (*Provider, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), issuer)
	if err != nil {
		return nil, err
	}
	var meta Metadata
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if err := checkEndpoints(issuer, &meta); err != nil {
		return nil, err
	}
	jwksClient := &http.Client{Timeout: client.Timeout, Transport: RateLimitJWKS(RequireKeys(client.Transport), JWKSReloadInterval, now)}
	// The client's own timeout bounds each reload.
	return &Provider{Provider: p, Meta: meta, KeySet: NewKeySet(jwksClient, meta.JWKSURI)}, nil
}

// EndpointError is a discovery document whose endpoints the app must not
// use: missing, on another origin than the issuer, or plain http on a
// host other than loopback (I4). The client secret would go there.
type EndpointError struct{ Name, URL, Problem string }

func (e *EndpointError) Error() string {
	return "discovery: " + e.Name + " " + e.Problem + " (" + e.URL + "): check that SCALEKIT_ENVIRONMENT_URL is the environment URL"
}

func checkEndpoints(issuer string, m *Metadata) error {
	iu, err := url.Parse(issuer)
	if err != nil {
		return err
	}
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", m.AuthorizationEndpoint}, {"token_endpoint", m.TokenEndpoint}, {"jwks_uri", m.JWKSURI},
	} {
		u, err := url.Parse(e.url)
		switch {
		case e.url == "" || err != nil || !u.IsAbs():
			return &EndpointError{e.name, e.url, "is missing or not an absolute URL"}
		case u.Scheme != iu.Scheme || u.Host != iu.Host:
			return &EndpointError{e.name, e.url, "is on another origin than the issuer"}
		case u.Scheme != "https" && !isLoopback(u.Hostname()):
			return &EndpointError{e.name, e.url, "is not https"}
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
