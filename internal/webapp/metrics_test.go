package webapp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/skctl/skctl/internal/servemetrics"
)

// TestSignInRefusalClasses: each failure page the callback can answer is
// counted under the class docs/metrics.md gives it, so that an operator
// tells a cancelled sign-in from a forged one from an IdP outage.
func TestSignInRefusalClasses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		f    failure
		want servemetrics.SignInOutcome
	}{
		{"no transaction, or a used one", errSignInExpiry, servemetrics.SignInExpired},
		{"repeated parameter", errBadCallback, servemetrics.SignInMalformed},
		{"token did not verify", errSignInReject, servemetrics.SignInRejected},
		{"user cancelled", callbackError("access_denied"), servemetrics.SignInIdPError},
		{"IdP busy (its own error code)", callbackError("temporarily_unavailable"), servemetrics.SignInIdPError},
		{"unknown IdP error code", callbackError("something_else"), servemetrics.SignInIdPError},
		{"IdP unreachable", errIdPUnavailable, servemetrics.SignInIdPUnavailable},
		{"IdP timed out", idpFailure(context.DeadlineExceeded), servemetrics.SignInIdPUnavailable},
		{"keys unreachable", tokenFailure(errUnverifiable), servemetrics.SignInIdPUnavailable},
		{"IdP answer unusable", idpFailure(errInvalid), servemetrics.SignInFailed},
		{"token expires at once", errTokenTooShort, servemetrics.SignInFailed},
	} {
		if got := signInRefusal(c.f); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestIdPEndpointByDiscovery: a request is named by the endpoint of the
// discovery document it goes to, whatever its query; anything else is
// other.
func TestIdPEndpointByDiscovery(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	a := newTestApp(t, f, nil)
	for target, want := range map[string]servemetrics.IdPEndpoint{
		f.srv.URL + "/.well-known/openid-configuration": servemetrics.EndpointDiscovery,
		f.srv.URL + "/oauth/token":                      servemetrics.EndpointToken,
		f.srv.URL + "/keys?cache=no":                    servemetrics.EndpointJWKS,
		f.srv.URL + "/oauth/authorize":                  servemetrics.EndpointOther,
		"http://elsewhere.test/keys":                    servemetrics.EndpointOther,
	} {
		if got := a.idpEndpoint(httptest.NewRequest(http.MethodGet, target, nil)); got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}
