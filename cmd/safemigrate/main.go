// Command safemigrate makes PostgreSQL schema migrations safe to ship.
// See README.md, or run `safemigrate --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/safemigrate/safemigrate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
