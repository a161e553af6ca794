package webapp

import (
	"errors"
	"net/http"
	"strings"

	"github.com/skctl/skctl/internal/oidcx"
	"github.com/skctl/skctl/internal/servemetrics"
)

// This file is where the app meets its metrics (internal/servemetrics):
// the sorting of its outcomes into the metrics' bounded label values, and
// the /metrics route. The handlers call it through one-line hooks.

// callbackPattern is the callback's route; a failure page on it is a
// refused sign-in.
const callbackPattern = "GET /api/auth/callback"

// serveMetrics answers GET /metrics on the app's own listener, unless the
// metrics have a listener of their own (SKCTL_METRICS_ADDR). It sits
// outside the request log and the request counter: a scrape every few
// seconds would flood the one and skew the other (promhttp counts
// scrapes itself). Nor is it behind the session middleware: Prometheus
// signs in to nothing.
func (a *App) serveMetrics(next http.Handler) http.Handler {
	if a.metrics == nil || a.cfg.MetricsAddr != "" {
		return next
	}
	metrics := a.metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == servemetrics.Path && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			metrics.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// instrumentIdP returns the IdP client with its calls timed and counted
// by endpoint. The client is copied: the caller's stays as it was.
func (a *App) instrumentIdP(c *http.Client) *http.Client {
	if a.metrics == nil {
		return c
	}
	out := *c
	out.Transport = a.metrics.IdPTransport(c.Transport, a.idpEndpoint)
	return &out
}

// idpEndpoint names the endpoint of the discovery document a request goes
// to, by scheme, host and path: the query is never compared, nor shown.
func (a *App) idpEndpoint(req *http.Request) servemetrics.IdPEndpoint {
	at := req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
	if p := a.idp.Load(); p != nil {
		m := &p.provider.Meta
		switch at {
		case withoutQuery(m.TokenEndpoint):
			return servemetrics.EndpointToken
		case withoutQuery(m.JWKSURI):
			return servemetrics.EndpointJWKS
		case withoutQuery(m.UserinfoEndpoint):
			return servemetrics.EndpointUserinfo
		}
	}
	// Where go-oidc fetches discovery (OpenID Connect Discovery §4).
	if at == strings.TrimSuffix(a.cfg.EnvironmentURL, "/")+"/.well-known/openid-configuration" {
		return servemetrics.EndpointDiscovery
	}
	return servemetrics.EndpointOther
}

func withoutQuery(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// jwksFetched counts a fetch of the key set by its outcome.
func (a *App) jwksFetched(err error) {
	switch {
	case err == nil:
		a.metrics.JWKSFetched(servemetrics.JWKSSuccess)
	case errors.Is(err, oidcx.ErrJWKSRateLimited):
		a.metrics.JWKSFetched(servemetrics.JWKSRateLimited)
	default:
		a.metrics.JWKSFetched(servemetrics.JWKSError)
	}
}

// countRefresh counts a redemption of a refresh token by its outcome
// (redeem's classes of E4) and hands its results on unchanged.
func (a *App) countRefresh(t *tokens, err error) (*tokens, error) {
	switch {
	case err == nil:
		a.metrics.Refreshed(servemetrics.RefreshRedeemed)
	case errors.Is(err, errUnverifiable):
		a.metrics.Refreshed(servemetrics.RefreshFailed)
	default: // errInvalid, errRefreshRefused
		a.metrics.Refreshed(servemetrics.RefreshRefused)
	}
	return t, err
}

// countFailure counts a failure page answered on the callback as a
// refused sign-in. Every refusal of a callback goes through fail, so this
// one hook sees them all.
func (a *App) countFailure(r *http.Request, f failure) {
	if r.Pattern == callbackPattern {
		a.metrics.SignIn(signInRefusal(f))
	}
}

// signInRefusal sorts a callback's failure page into the bounded classes
// of the sign-in counter: the pages of the callback (callback.go) by
// identity, the rest by status.
func signInRefusal(f failure) servemetrics.SignInOutcome {
	switch {
	case f == errSignInExpiry:
		return servemetrics.SignInExpired
	case f == errBadCallback:
		return servemetrics.SignInMalformed
	case f == errSignInReject:
		return servemetrics.SignInRejected
	case f == callbackError(""):
		return servemetrics.SignInIdPError
	}
	for _, e := range callbackErrors {
		if f == e {
			return servemetrics.SignInIdPError
		}
	}
	if f.status == http.StatusServiceUnavailable || f.status == http.StatusGatewayTimeout {
		return servemetrics.SignInIdPUnavailable
	}
	return servemetrics.SignInFailed
}
