// Package testenv starts a mock Scalekit environment on 127.0.0.1:0
// for a test, and stops it when the test ends (after hashicorp/cap's
// StartTestProvider).
package testenv

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp"
)

// Env is a running mock environment.
type Env struct {
	*mockidp.Server
	// URL is the environment URL (the issuer), http://127.0.0.1:PORT.
	URL string
	hs  *http.Server
	ln  net.Listener
}

// Start serves a mock environment on a free loopback port. opts.Issuer is
// filled in from the port when empty. Stop runs at cleanup unless called
// earlier.
func Start(t testing.TB, opts mockidp.Options) *Env {
	t.Helper()
	addr := "127.0.0.1:0"
	if opts.Issuer != "" {
		addr = opts.Issuer[len("http://"):]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("mockidptest: listen: %v", err)
	}
	if opts.Issuer == "" {
		opts.Issuer = "http://" + ln.Addr().String()
	}
	srv, err := mockidp.New(opts)
	if err != nil {
		ln.Close()
		t.Fatalf("mockidptest: %v", err)
	}
	e := &Env{Server: srv, URL: opts.Issuer, ln: ln, hs: srv.HTTPServer()}
	go e.hs.Serve(ln)
	t.Cleanup(e.Stop)
	return e
}

// Stop shuts the HTTP server down and closes the environment, saving its
// state when it has a StateDir. It may be called more than once.
func (e *Env) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e.hs.Shutdown(ctx) != nil { // a request held by a hang mode
		e.hs.Close()
	}
	e.Server.Close()
}
