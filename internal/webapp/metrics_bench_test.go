package webapp_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/servemetrics"
	"github.com/skctl/skctl/internal/webapp"
)

// BenchmarkMetricsOverhead measures what counting costs on a signed-in
// GET /dashboard: the stack's app without metrics against an app with
// them, the same configuration and session, in alternating blocks
// (compareHandlers). with/without is the ratio of their rates (1 means
// free); allocs/req and base-allocs/req show what counting allocates.
//
//	go test -run '^$' -bench BenchmarkMetricsOverhead ./internal/webapp/
func BenchmarkMetricsOverhead(b *testing.B) {
	st := newMockStack(b, mockidp.Options{Lifetimes: mockidp.Lifetimes{AccessToken: time.Hour}})
	serveOn(b, st.appLn, st.App.Handler())
	cookie := signIn(b, st)
	metered := newMeteredApp(b, st)
	req := httptest.NewRequest(http.MethodGet, st.AppURL+"/dashboard", nil)
	req.Header.Set("Cookie", cookie)
	with, without := metered.Handler(), st.App.Handler()
	// The first request of each verifies the token (RSA); then both serve
	// from their verify cache.
	if a, c := getPage(b, with, req), getPage(b, without, req); !bytes.Equal(a, c) {
		b.Fatalf("the two apps serve different pages")
	}
	w := &discardWriter{h: http.Header{}}
	serveWith := func() { w.reset(); with.ServeHTTP(w, req); w.check(b) }
	serveWithout := func() { w.reset(); without.ServeHTTP(w, req); w.check(b) }
	compareHandlers(b, serveWith, serveWithout)
	b.ReportMetric(testing.AllocsPerRun(200, serveWith), "allocs/req")
	b.ReportMetric(testing.AllocsPerRun(200, serveWithout), "base-allocs/req")
}

// newMeteredApp is the stack's app again, with metrics.
func newMeteredApp(tb testing.TB, st *mockStack) *webapp.App {
	tb.Helper()
	env := map[string]string{
		config.EnvEnvironmentURL: st.IdPURL, config.EnvClientID: app1ID, config.EnvClientSecret: app1Secret,
		config.EnvRedirectURI: st.AppURL + config.CallbackPath,
	}
	cfg, err := config.Load(config.Sources{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		tb.Fatal(err)
	}
	app, err := webapp.New(webapp.Options{Config: cfg, Metrics: servemetrics.New()})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app.Run(ctx)
	if !app.Ready() {
		tb.Fatal("discovery against the mock did not succeed")
	}
	return app
}
