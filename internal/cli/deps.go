// Package cli is skctl's command tree: cobra commands, flags, logging and
// exit codes. It is the only package that touches the process (standard
// streams, environment, signals), through Deps, so that tests run the real
// commands in-process.
package cli

import (
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// Deps are the process resources a command uses.
type Deps struct {
	Stdout, Stderr io.Writer
	// LookupEnv reads the environment, keeping unset and empty distinct.
	LookupEnv  func(string) (string, bool)
	HTTPClient *http.Client
	Now        func() time.Time
	Listen     func(network, addr string) (net.Listener, error)
	// Ready is called once a long-running command serves on addr; nil in
	// production. Tests use it to learn a :0 port.
	Ready func(cmd string, addr net.Addr)
}

// SystemDeps are the real process resources.
func SystemDeps() *Deps {
	return &Deps{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		LookupEnv:  os.LookupEnv,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Now:        time.Now,
		Listen:     net.Listen,
	}
}

func (d *Deps) ready(cmd string, addr net.Addr) {
	if d.Ready != nil {
		d.Ready(cmd, addr)
	}
}
