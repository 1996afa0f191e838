// Command safemigrate makes PostgreSQL schema migrations safe to ship.
// See README.md, or run `safemigrate --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/safemigrate/safemigrate/internal/cli"
)

func main() {
	// A short-lived command whose garbage is parse trees: collecting less
	// often makes `lint` of 2,000 files 13% faster in wall time (149 → 130
	// ms, measured) for tens of MB more. Process-wide, so it belongs to
	// the binary, never the library; GOGC still wins when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
