package conformance_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	"github.com/skctl/skctl/internal/webapp"
)

// The first app of the mock's default fixtures (fixtures/default.yaml).
const (
	app1ID     = "skc_59615193906741387"
	app1Secret = "test_secret_d8f1c5a2e0b94f7a9c3e6b1d"
)

// listen binds a free loopback port, so that an app's redirect URI can be
// registered with the mock before either starts.
func listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, "http://" + ln.Addr().String()
}

// startMock starts a mock whose first app has the redirect and
// post-logout URIs of each app origin given.
func startMock(t testing.TB, appURLs ...string) *testenv.Env {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Apps[0].RedirectURIs, fx.Apps[0].PostLogoutRedirectURIs = nil, nil
	for _, u := range appURLs {
		fx.Apps[0].RedirectURIs = append(fx.Apps[0].RedirectURIs, u+config.CallbackPath)
		fx.Apps[0].PostLogoutRedirectURIs = append(fx.Apps[0].PostLogoutRedirectURIs, u+"/")
	}
	return testenv.Start(t, mockidp.Options{Fixtures: fx})
}

// startServe runs skctl serve's app on ln, configured for the mock, and
// returns once its discovery is done.
func startServe(t testing.TB, ln net.Listener, appURL, idpURL string) *webapp.App {
	t.Helper()
	env := map[string]string{
		config.EnvEnvironmentURL: idpURL,
		config.EnvClientID:       app1ID,
		config.EnvClientSecret:   app1Secret,
		config.EnvRedirectURI:    appURL + config.CallbackPath,
	}
	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	app, err := webapp.New(webapp.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app.Run(ctx) // returns once discovery has succeeded
	if !app.Ready() {
		t.Fatal("serve's discovery against the mock did not succeed")
	}
	serveOn(t, ln, app.Handler())
	return app
}

// serveOn serves h on ln until the test ends.
func serveOn(t testing.TB, ln net.Listener, h http.Handler) {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if hs.Shutdown(ctx) != nil {
			hs.Close()
		}
	})
}
