// Package testenv starts a mock Scalekit environment on 127.0.0.1:0
// for a test, and stops it when the test ends (after hashicorp/cap's
// StartTestProvider).
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"net/http"
	"sync"
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

// sharedKey is the key material of the environments tests start, made
// once per test binary: a package's tests start hundreds of environments,
// and a new RSA key for each was a third of the CPU they took. Each still
// has its own kid and issuer, so a token of one is refused by another;
// rotations make new keys.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("testenv: making the shared signing key: " + err.Error())
	}
	return k
})

// SigningKey is the key material the test binary's environments share,
// for tests that build their mock with mockidp.New themselves. A mock's
// scenario environments inherit it too, so a test of many scenarios makes
// no RSA key of its own; each environment still has its own kid and
// issuer.
func SigningKey() *rsa.PrivateKey { return sharedKey() }

// Start serves a mock environment on a free loopback port. opts.Issuer is
// filled in from the port when empty; opts.SigningKey from a key shared
// by the test binary's environments. Stop runs at cleanup unless called
// earlier.
func Start(t testing.TB, opts mockidp.Options) *Env {
	t.Helper()
	addr := "127.0.0.1:0"
	if opts.Issuer != "" {
		addr = opts.Issuer[len("http://"):]
	}
	if opts.SigningKey == nil {
		opts.SigningKey = sharedKey()
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
