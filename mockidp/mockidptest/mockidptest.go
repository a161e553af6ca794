// Package mockidptest starts a local Scalekit environment inside a Go
// test, as mockoidc and hashicorp/cap's test provider do for plain OIDC:
// the same paths, tokens, claims, IDs and errors as Scalekit, on a free
// loopback port, stopped when the test ends. Point the code under test at
// Env.URL as its SCALEKIT_ENVIRONMENT_URL, with Env.ClientID and
// Env.ClientSecret; arm a failure mode from Go with Env.Arm to see how the
// code copes (docs/failure-modes.md lists them).
package mockidptest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// Options configure the environment. The zero value serves the default
// fixtures (fixtures/default.yaml), whose first app redirects to
// http://localhost:4321/api/auth/callback.
type Options struct {
	// Fixtures is a fixtures file's contents, YAML or JSON; nil means the
	// default fixtures.
	Fixtures []byte
	// RedirectURIs and PostLogoutRedirectURIs replace those of the first
	// app, the one Env.ClientID names, when set.
	RedirectURIs, PostLogoutRedirectURIs []string
	// AutoLogin is the email of a seeded user whom every sign-in signs in
	// without the sign-in page.
	AutoLogin string
	// Scenarios are failure modes (or named sets of the fixtures) on from
	// the start, such as "idt.nonce_wrong" or "token.slow=3s".
	Scenarios []string
	// AccessTokenTTL is how long access tokens live; zero means
	// Scalekit's 5 minutes.
	AccessTokenTTL time.Duration
}

// Env is a running environment.
type Env struct {
	// URL is the environment URL, http://127.0.0.1:PORT.
	URL string
	// ClientID and ClientSecret are the first app's credentials.
	ClientID, ClientSecret string
	srv                    *mockidp.Server
	hs                     *http.Server
}

// Start serves an environment on a free loopback port until the test
// ends. It fails the test when the options are invalid.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	fx, err := fixture.Default()
	if o.Fixtures != nil {
		fx, err = fixture.Parse(o.Fixtures)
	}
	if err == nil {
		err = fx.OverrideDefaultApp("", "", o.RedirectURIs, o.PostLogoutRedirectURIs)
	}
	if err != nil {
		t.Fatalf("mockidptest: fixtures: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mockidptest: listen: %v", err)
	}
	url := "http://" + ln.Addr().String()
	srv, err := mockidp.New(mockidp.Options{Issuer: url, Fixtures: fx, AutoLogin: o.AutoLogin,
		Scenarios: o.Scenarios, Lifetimes: mockidp.Lifetimes{AccessToken: o.AccessTokenTTL}})
	if err != nil {
		ln.Close()
		t.Fatalf("mockidptest: %v", err)
	}
	app := srv.DefaultApp()
	e := &Env{URL: url, ClientID: app.ClientID, ClientSecret: app.ClientSecret, srv: srv,
		hs: srv.HTTPServer()}
	go e.hs.Serve(ln)
	t.Cleanup(e.stop)
	return e
}

// Arm switches a failure mode on, such as "idt.nonce_wrong" or
// "token.status=503", for the next count requests it applies to (0: until
// Clear), and for one client ID only when client is set. An unknown mode
// is an error naming the nearest known one.
func (e *Env) Arm(mode string, count int, client string) error {
	return e.srv.Arm(mode, count, client)
}

// Clear switches every failure mode off, those of Options.Scenarios too.
func (e *Env) Clear() { e.srv.ClearFaults() }

// Requests returns how many requests each endpoint has had, by counter
// name: "discovery.requests", "authorize.requests", "token.requests",
// "refresh.requests", "jwks.requests", "userinfo.requests",
// "logout.requests".
func (e *Env) Requests() map[string]int64 { return e.srv.Requests() }

// stop shuts the server down and closes the environment. A request held
// by a hang mode would keep Shutdown waiting: after two seconds the
// connections are closed.
func (e *Env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if e.hs.Shutdown(ctx) != nil {
		e.hs.Close()
	}
	e.srv.Close()
}
