package webapp_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/webapp"
)

// The first app of the mock's default fixtures (fixtures/default.yaml).
const (
	app1ID     = "skc_59615193906741387"
	app1Secret = "test_secret_d8f1c5a2e0b94f7a9c3e6b1d"
)

// mockStack is a mock Scalekit environment served on loopback, with
// request counters, and an App configured for it whose discovery is done.
// The app's listener is bound (so its redirect URI is known to the mock)
// but serves nothing until serveOn.
type mockStack struct {
	IdPURL string
	AppURL string
	App    *webapp.App
	appLn  net.Listener
	// IdPRequests counts every request the mock got; TokenRequests those
	// to POST /oauth/token.
	IdPRequests, TokenRequests atomic.Int64
}

// newMockStack starts the mock (opts.Issuer and opts.Fixtures are filled
// in) and the app, and runs discovery. Everything stops at cleanup.
func newMockStack(tb testing.TB, opts mockidp.Options) *mockStack {
	tb.Helper()
	st := &mockStack{}
	var idpLn net.Listener
	st.appLn, st.AppURL = listenLoopback(tb)
	idpLn, st.IdPURL = listenLoopback(tb)

	fx, err := fixture.Default()
	if err != nil {
		tb.Fatal(err)
	}
	fx.Apps[0].RedirectURIs = []string{st.AppURL + config.CallbackPath}
	fx.Apps[0].PostLogoutRedirectURIs = []string{st.AppURL + "/"}
	opts.Issuer, opts.Fixtures = st.IdPURL, fx
	srv, err := mockidp.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	inner := srv.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.IdPRequests.Add(1)
		if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
			st.TokenRequests.Add(1)
		}
		inner.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(idpLn)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Close()
	})
	st.App = st.newApp(tb, nil)
	return st
}

// newApp builds another App for the stack's mock and app URL, with extra
// settings (such as its own SKCTL_COOKIE_SECRET), and runs its discovery.
func (st *mockStack) newApp(tb testing.TB, extra map[string]string) *webapp.App {
	tb.Helper()
	return st.newAppWith(tb, extra, webapp.Options{})
}

// newAppWith is newApp with options besides the configuration (such as a
// Logger); opts.Config is replaced.
func (st *mockStack) newAppWith(tb testing.TB, extra map[string]string, opts webapp.Options) *webapp.App {
	tb.Helper()
	env := map[string]string{
		config.EnvEnvironmentURL: st.IdPURL,
		config.EnvClientID:       app1ID,
		config.EnvClientSecret:   app1Secret,
		config.EnvRedirectURI:    st.AppURL + config.CallbackPath,
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		tb.Fatal(err)
	}
	opts.Config = cfg
	app, err := webapp.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app.Run(ctx) // returns once discovery has succeeded
	if !app.Ready() {
		tb.Fatal("discovery against the mock did not succeed")
	}
	return app
}

// listenLoopback binds a free loopback port.
func listenLoopback(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln, "http://" + ln.Addr().String()
}

// serveOn serves h on ln until cleanup, with the limits `skctl serve`
// uses.
func serveOn(tb testing.TB, ln net.Listener, h http.Handler) {
	hs := &http.Server{
		Handler:           h,
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go hs.Serve(ln)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	})
}
