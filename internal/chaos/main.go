// Command chaos is safemigrate's fault-injection harness: `make chaos`
// (or `go run ./internal/chaos`) builds the real binary, starts a
// throwaway PostgreSQL with pgcluster, and for a bounded time migrates
// fresh databases and tenant fleets while it injects faults: SIGKILL of
// the binary (at a random moment or while a `transaction: false`
// migration builds an index concurrently), pg_terminate_backend of its
// sessions, a server crash and restart, a fast restart of the server
// (as `pg_ctl restart -m fast`), a TCP proxy that cuts or stalls
// every connection, and parallel runs on one database and on a tenant
// fleet with faults applied to some of them.
//
// After each fault it reruns safemigrate without faults until it
// succeeds (a bounded number of times) and checks convergence: every
// migration recorded exactly once, the schema equal to a reference
// database migrated once without faults, no INVALID index, no progress
// rows, no sessions or advisory locks of safemigrate left. It prints a
// summary table and every anomaly, and exits 1 if there was any.
//
// Faults are chosen by a seeded random generator; the seed is printed,
// and -seed replays the same choices (timings still vary). Flags:
// -duration, -faults (run until both are reached, within -max), -seed,
// -jobs (concurrent binaries in parallel runs), -tenants,
// -statement-timeout, -bin (a prebuilt binary instead of building one).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.DurationVar(&cfg.duration, "duration", 2*time.Minute, "run at least this long")
	flag.IntVar(&cfg.minFaults, "faults", 200, "inject at least this many faults")
	flag.DurationVar(&cfg.max, "max", 30*time.Minute, "hard cap on the whole run")
	flag.Uint64Var(&cfg.seed, "seed", 0, "random seed (0: from the clock); printed so that a run can be replayed")
	flag.IntVar(&cfg.jobs, "jobs", 3, "concurrent safemigrate binaries in parallel runs")
	flag.IntVar(&cfg.tenants, "tenants", 3, "tenant schemas in fleet runs")
	flag.DurationVar(&cfg.stmtTimeout, "statement-timeout", 5*time.Second, "--statement-timeout passed to safemigrate; a run longer than 2× this plus its expected time is a hang (a run whose network stalled may also take the deadlines docs/security.md documents)")
	flag.StringVar(&cfg.bin, "bin", "", "safemigrate binary (default: build ./cmd/safemigrate into a temporary directory)")
	flag.Parse()
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	if cfg.jobs < 2 {
		cfg.jobs = 2
	}
	if cfg.tenants < 1 {
		cfg.tenants = 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %v\n", err)
		os.Exit(2)
	}
	os.Exit(code)
}
