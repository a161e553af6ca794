// Command skctl signs users in with Scalekit: a web app (serve), a local
// Scalekit environment (mock-idp) and a configuration check for CI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/skctl/skctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.SystemDeps())
	stop()
	os.Exit(code)
}
