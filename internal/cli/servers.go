package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// server is one HTTP server of a long-running command.
type server struct {
	// name is the server's name in Deps.Ready and the logs: "serve",
	// "mock-idp", "dev" (dev's app) or "dev-idp" (dev's mock).
	name string
	ln   net.Listener
	hs   *http.Server
	// readyAttrs are logged with "<name> ready".
	readyAttrs []any
	// ready, when set, is closed once the server can do its job (the web
	// app: discovery done). Until then the log says only "<name>
	// listening", so that nothing claims ready for a server that is about
	// to stop (an issuer mismatch) or cannot sign anyone in yet (the IdP
	// is down). A server without it is ready as soon as it listens.
	ready <-chan struct{}
	// fatal, when set, is called once the server serves; an error it
	// delivers stops the command with a configuration error.
	fatal func() <-chan error
	// close, when set, runs after every server has shut down: it
	// releases what the handler holds (the mock saves its state).
	close func() error
}

// event is why serveAll stops serving.
type event struct {
	s     *server
	err   error
	fatal bool
}

// serveAll serves every server until ctx ends (SIGINT, SIGTERM), one of
// them fails, or one's fatal channel delivers an error. It then shuts them
// all down at once, each bounded by d's shutdown timeout: requests in flight
// get that long to finish, then their connections are closed, so a hung
// request never holds Ctrl-C. Last, the close functions run, in reverse
// order.
func serveAll(ctx context.Context, d *Deps, log *slog.Logger, servers ...*server) error {
	events := make(chan event, 2*len(servers))
	stopped := make(chan struct{})
	defer close(stopped)
	for _, s := range servers {
		if s.hs.ReadHeaderTimeout == 0 {
			s.hs.ReadHeaderTimeout = 10 * time.Second
		}
		if s.hs.IdleTimeout == 0 {
			s.hs.IdleTimeout = 2 * time.Minute
		}
		s.hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
		go func() { events <- event{s: s, err: s.hs.Serve(s.ln)} }()
	}
	// Every "ready" line is logged by this goroutine, in the loop below,
	// so none comes after serveAll has returned.
	readied := make(chan *server, len(servers))
	readyLog := func(s *server) {
		log.Info(s.name+" ready", append([]any{"addr", s.ln.Addr().String()}, s.readyAttrs...)...)
	}
	for _, s := range servers {
		if s.ready == nil {
			readyLog(s)
		} else {
			log.Info(s.name+" listening", "addr", s.ln.Addr().String())
			go func() {
				select {
				case <-s.ready:
					readied <- s
				case <-stopped:
				}
			}()
		}
		d.ready(s.name, s.ln.Addr())
		if s.fatal != nil {
			fatal := s.fatal()
			go func() {
				select {
				case err := <-fatal:
					events <- event{s: s, err: err, fatal: true}
				case <-stopped:
				}
			}()
		}
	}

	var cause event
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down", "cmd", names(servers))
			break wait
		case cause = <-events:
			break wait
		case s := <-readied:
			readyLog(s)
		}
	}
	shutdownAll(context.WithoutCancel(ctx), d.shutdownTimeout(), log, servers)
	var closeErrs []error
	for i := len(servers) - 1; i >= 0; i-- {
		if c := servers[i].close; c != nil {
			if err := c(); err != nil {
				closeErrs = append(closeErrs, fmt.Errorf("%s: %w", servers[i].name, err))
			}
		}
	}
	switch {
	case cause.fatal:
		return &usageError{fmt.Errorf("%s: %w", cause.s.name, cause.err)}
	case cause.s != nil: // Serve returned before anything asked it to stop
		return fmt.Errorf("%s: %w", cause.s.name, cause.err)
	}
	return errors.Join(closeErrs...)
}

// shutdownAll shuts the servers down concurrently, each bounded by
// timeout, after which the connections still open are closed.
func shutdownAll(ctx context.Context, timeout time.Duration, log *slog.Logger, servers []*server) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() {
			if err := s.hs.Shutdown(ctx); err != nil {
				log.Warn("requests still in flight at the shutdown timeout; closing their connections",
					"cmd", s.name, "timeout", timeout, "err", err)
				s.hs.Close()
			}
		})
	}
	wg.Wait()
}

func names(servers []*server) string {
	n := make([]string, len(servers))
	for i, s := range servers {
		n[i] = s.name
	}
	return strings.Join(n, ", ")
}
