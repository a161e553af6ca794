package mockidp_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
)

// TestSignInThroughPage walks the whole flow as a browser does: the page,
// a user picked from it, the code, the exchange and the verified ID token.
func TestSignInThroughPage(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	b := newBrowser(t)

	f := a.start()
	p := b.get(f.authURL)
	for _, want := range []string{"Acme Corp", "Ada Lovelace", "Globex", "Hank Scorpio", "Scalekit &amp; Astro guide"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	code := a.callback(f, b.pick(env, p, url.Values{"user": {ada}, "org": {acmeOrg}}))
	tok, err := a.exchange(f, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.idToken.Subject != ada {
		t.Errorf("sub = %s, want %s", tok.idToken.Subject, ada)
	}
	if tok.RefreshToken == "" {
		t.Errorf("no refresh token despite offline_access")
	}
	if got := tok.claims["oid"]; got != acmeOrg {
		t.Errorf("oid = %v, want %s", got, acmeOrg)
	}
	if got := tok.claims["email"]; got != "ada@acme.test" {
		t.Errorf("email = %v", got)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in page Cache-Control = %q, want no-store", p.header.Get("Cache-Control"))
	}
}
