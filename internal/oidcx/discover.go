package oidcx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	KeySet *oidc.RemoteKeySet
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
	if meta.JWKSURI == "" || meta.AuthorizationEndpoint == "" || meta.TokenEndpoint == "" {
		return nil, errors.New("discovery: the document lacks authorization_endpoint, token_endpoint or jwks_uri")
	}
	jwksClient := &http.Client{Timeout: client.Timeout, Transport: RateLimitJWKS(client.Transport, JWKSReloadInterval, now)}
	// RemoteKeySet keeps the context's client for every reload and drops
	// its cancellation, so the client's own timeout bounds each reload.
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), jwksClient), meta.JWKSURI)
	return &Provider{Provider: p, Meta: meta, KeySet: keys}, nil
}
