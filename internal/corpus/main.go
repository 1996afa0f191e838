// Command corpus runs safemigrate over real, public migration histories
// and prints what it found next to squawk's counts (docs/corpus.md).
// `make corpus` builds bin/safemigrate and runs this.
//
// For every project in manifest.json it downloads the project's Go module
// from the Go module proxy into a cache (CACHE/modcache, ignored by git;
// the files are never committed: see the licences in manifest.json),
// copies the migration history into a layout safemigrate reads without
// changing a byte of SQL, and then:
//
//   - counts files and statements (the PostgreSQL parser),
//   - runs `annotate --format json` (the suggestion distribution) and
//     `lint --format json` (findings per rule),
//   - runs `preflight` and `migrate --phase post-deploy --no-preflight` on
//     a fresh database of a throwaway PostgreSQL (pgcluster),
//   - applies the same up parts in order with `psql -1 -f` on a second
//     database and compares `pg_dump --schema-only` of both (without
//     safemigrate's tracking tables),
//   - runs squawk (npm package squawk-cli, installed into .bench/lint/squawk
//     as bench/lint/run.sh does) on the same up files.
//
// Every report is kept in CACHE/work/NAME for reading samples.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

//go:embed manifest.json
var manifestJSON []byte

func main() {
	bin := flag.String("bin", "bin/safemigrate", "safemigrate binary")
	cache := flag.String("cache", ".corpus", "cache directory (modules, converted histories, reports)")
	squawk := flag.String("squawk", "", "squawk binary; default: install squawk-cli with npm into .bench/lint/squawk")
	only := flag.String("only", "", "run only the project with this manifest name")
	pg := flag.Int("pg-version", 15, "PostgreSQL major version for lint and squawk")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, options{bin: *bin, cache: *cache, squawk: *squawk, only: *only, pgVersion: *pg})
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "corpus: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	bin, cache, squawk, only string
	pgVersion                int
}

func loadManifest() ([]Project, error) {
	var ps []Project
	if err := json.Unmarshal(manifestJSON, &ps); err != nil {
		return nil, fmt.Errorf("internal/corpus/manifest.json: %w", err)
	}
	return ps, nil
}
