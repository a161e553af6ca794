// Package cli is skctl's command tree: cobra commands, flags, logging and
// exit codes. It is the only package that touches the process (standard
// streams, environment, network, signals), through Deps, so that tests run
// the real commands in-process.
package cli

import (
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/skctl/skctl/internal/oidcx"
)

// Deps are the process resources a command uses. A command reads nothing
// of the process but through them.
type Deps struct {
	Stdout, Stderr io.Writer
	// LookupEnv reads the environment, keeping unset and empty distinct.
	LookupEnv func(string) (string, bool)
	// Environ lists the environment as KEY=value (os.Environ). Only the
	// names are used, to find misspelt settings, and only those LookupEnv
	// also finds: a test that replaces LookupEnv alone never sees the
	// process's variables. nil lists nothing.
	Environ func() []string
	// Transport carries every outbound request: serve's and dev's calls to
	// the IdP, check-config's, rotate-keys', conformance's. Each command
	// builds its client (timeouts, response caps) on it; nil means oidcx's
	// default (for conformance, net/http's).
	Transport http.RoundTripper
	Now       func() time.Time
	Listen    func(network, addr string) (net.Listener, error)
	// Ready is called once a long-running command listens on addr, once
	// per server (dev has two: "dev" and "dev-idp"), before the web app
	// has fetched discovery (its log then says "ready", and /readyz
	// answers 200); nil in production. Tests use it to learn a :0 port.
	Ready func(name string, addr net.Addr)
	// ShutdownTimeout bounds a graceful shutdown: how long requests in
	// flight may take to finish before their connections are closed.
	// Zero means defaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// defaultShutdownTimeout is long enough for any request of a healthy app
// (the IdP calls time out after 10 s), and short enough that Ctrl-C never
// waits on a hung one for long.
const defaultShutdownTimeout = 10 * time.Second

// SystemDeps are the real process resources.
func SystemDeps() *Deps {
	return &Deps{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Environ:   os.Environ,
		Transport: systemTransport(),
		Now:       time.Now,
		Listen:    net.Listen,
	}
}

// systemTransport is the network: dial and TLS handshakes bounded (each
// client adds an overall timeout), connections kept alive and shared by
// every client of the process. The proxy settings (HTTPS_PROXY, NO_PROXY)
// are the process's, read here at the edge, as net/http does.
func systemTransport() *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

// client returns an HTTP client on d.Transport with an overall timeout
// and oidcx's response caps.
func (d *Deps) client(timeout time.Duration) *http.Client {
	return oidcx.NewHTTPClient(d.Transport, timeout)
}

func (d *Deps) ready(name string, addr net.Addr) {
	if d.Ready != nil {
		d.Ready(name, addr)
	}
}

func (d *Deps) shutdownTimeout() time.Duration {
	if d.ShutdownTimeout > 0 {
		return d.ShutdownTimeout
	}
	return defaultShutdownTimeout
}
