package mockidp

import (
	"net/http"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fault"
)

// Limits of the HTTP server an environment is served by: real requests
// are small and quick, and a client that drips its headers or body must
// not hold a connection for ever.
const (
	maxHeaderBytes    = 64 << 10
	readHeaderTimeout = 10 * time.Second
	defaultReadLimit  = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	// writeTimeout outlasts the longest drill (a *.hang ends after
	// fault.MaxHang), so that no mode is cut short by the server itself.
	writeTimeout = fault.MaxHang + time.Minute
)

// HTTPServer returns an http.Server for the environment, with its handler
// and the limits above: 64 KiB of headers, and the whole request read
// within Options.ReadTimeout (30 s by default).
func (s *Server) HTTPServer() *http.Server {
	read := s.opts.ReadTimeout
	if read <= 0 {
		read = defaultReadLimit
	}
	// HTTP/1.1 and cleartext HTTP/2 with prior knowledge on one port: the
	// Node SDK speaks gRPC over HTTP/2 only, h2c on http://, and the Go SDK
	// gRPC over HTTP/1.1 on http://. Over TLS, ALPN picks h2 or http/1.1.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Protocols:         &protocols,
		Handler:           s.handler,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: min(readHeaderTimeout, read),
		ReadTimeout:       read,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}
