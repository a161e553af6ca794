package e2e_test

import (
	"net/http"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// TestServeRefusesOpaqueFromTheMock: the mock is a Scalekit environment
// (its discovery names Scalekit's endpoints, though it runs on loopback),
// and a Scalekit access token is a JWT: one that is not (at.opaque) is
// refused at sign-in with the reason, not taken for another provider's
// opaque token.
func TestServeRefusesOpaqueFromTheMock(t *testing.T) {
	t.Parallel()
	ln, appURL := listenApp(t)
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Apps[0].RedirectURIs = []string{appURL + "/api/auth/callback"}
	idp := startIdPOptions(t, nil, mockidp.Options{Fixtures: fx, Scenarios: []string{"at.opaque"}})
	app := startServe(t, ln, idp, nil, app1ID, app1Secret, nil)

	b := newBrowser(t)
	cb := b.signIn(app, idp, adaID, acmeOrgID)
	if cb.status != http.StatusBadRequest {
		t.Fatalf("callback with an opaque access token from the mock: %d %v %q", cb.status, cb.location, pageTitle(cb.body))
	}
	assertNoSessionCookie(t, cb)
	if e := app.requestLog(t, cb, "request failed"); e["reason"] != "access token is not a JWT, as every Scalekit access token is" {
		t.Errorf("the refusal's logged reason: %v", e["reason"])
	}
}
