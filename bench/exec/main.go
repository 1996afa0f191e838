// Command exec-bench measures how fast safemigrate applies migrations,
// side by side in one run with goose v3 and with one psql session.
//
//	go run ./bench/exec -n 500 -rounds 3                  # synthetic
//	go run ./bench/exec -history real -n 240 -rounds 3    # real DDL
//
// It starts a throwaway PostgreSQL (pgcluster), writes N migrations in
// each tool's format, applies them to a fresh database per tool and round
// (tools interleaved within each round), and prints median wall times and
// the ratios against goose: psql (one session, the floor), goose,
// safemigrate with --no-preflight, the default two passes, and --atomic,
// and psql doing the two-pass and --atomic protocols by hand (files.go),
// the floors of those protocols. The server runs with production
// durability.
//
// -history synthetic: N small migrations (create a table, insert a row).
// -history real: a realistic history of real DDL on tables holding data
// (see real.go): tables, foreign keys, indexes (some CONCURRENTLY),
// constraints validated later, backfills, views, functions, triggers,
// enums. goose is installed by bench/exec/run.sh into .bench/ (never
// committed); pass its path with -goose.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/pgcluster"
)

func main() {
	n := flag.Int("n", 500, "number of migrations")
	history := flag.String("history", "synthetic", "synthetic or real")
	seed := flag.Uint64("seed", 1, "random seed of the real history")
	out := flag.String("out", "", "only write the migrations into DIR (safemigrate/, goose/ and psql scripts) and exit")
	rounds := flag.Int("rounds", 3, "rounds per tool (median reported)")
	bin := flag.String("bin", "bin/safemigrate", "safemigrate binary")
	goose := flag.String("goose", ".bench/bin/goose", "goose binary")
	flag.Parse()
	if *history != "synthetic" && *history != "real" {
		fmt.Fprintf(os.Stderr, "exec-bench: -history %q: want synthetic or real\n", *history)
		os.Exit(2)
	}
	ms := syntheticHistory(*n)
	if *history == "real" {
		ms = realHistory(*n, *seed)
	}
	if *out != "" {
		if err := writeHistory(*out, ms); err != nil {
			fmt.Fprintf(os.Stderr, "exec-bench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *history, ms, *rounds, *bin, *goose); err != nil {
		fmt.Fprintf(os.Stderr, "exec-bench: %v\n", err)
		os.Exit(1)
	}
}

type tool struct {
	name string
	cmd  func(url string) *exec.Cmd
}

func run(ctx context.Context, history string, ms []*rmig, rounds int, bin, goose string) error {
	n := len(ms)
	work, err := os.MkdirTemp("", "safemigrate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := writeHistory(work, ms); err != nil {
		return err
	}
	smDir, gooseDir := filepath.Join(work, smSubdir), filepath.Join(work, gooseSubdir)
	// Durability as in production (pgcluster.DurableSettings): with
	// fsync off a commit is free, which flatters whoever commits more.
	// Autovacuum off: a CREATE INDEX CONCURRENTLY that meets an
	// autovacuum worker on its table waits deadlock_timeout (1s) for it
	// to be cancelled, which would add a random second to one tool or
	// another. No tool depends on it.
	settings := pgcluster.DurableSettings()
	settings["autovacuum"] = "off"
	c, err := pgcluster.Start(ctx, pgcluster.Options{Settings: settings})
	if err != nil {
		return err
	}
	defer c.Stop()
	psql, err := pgcluster.FindBin("psql")
	if err != nil {
		return err
	}
	psqlFile := func(file string) func(url string) *exec.Cmd {
		return func(url string) *exec.Cmd {
			return exec.Command(psql, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(work, file), url)
		}
	}
	// The order of tools is the report's: the indexes below name them.
	const (
		floor, gooseUp, noPreflight, twoPass, atomic, twoPassFloor, atomicFloor = 0, 1, 2, 3, 4, 5, 6
	)
	tools := []tool{
		{"psql (one session, floor)", psqlFile(allFile)},
		{"goose v3 up", func(url string) *exec.Cmd {
			return exec.Command(goose, "-dir", gooseDir, "postgres", url, "up")
		}},
		{"safemigrate --no-preflight", func(url string) *exec.Cmd {
			return exec.Command(bin, "--dir", smDir, "--database-url", url, "migrate", "--phase", "post-deploy", "--no-preflight")
		}},
		{"safemigrate (two passes)", func(url string) *exec.Cmd {
			return exec.Command(bin, "--dir", smDir, "--database-url", url, "migrate", "--phase", "post-deploy")
		}},
		{"safemigrate --atomic", func(url string) *exec.Cmd {
			return exec.Command(bin, "--dir", smDir, "--database-url", url, "migrate", "--phase", "post-deploy", "--atomic")
		}},
		{"psql, two passes by hand", psqlFile(twoPassFile)},
		{"psql, --atomic by hand", psqlFile(oneTxFile)},
	}
	times := make([][]time.Duration, len(tools))
	db := 0
	for r := 0; r < rounds; r++ {
		// Interleave tools within a round so drift in machine load hits all.
		for i, t := range tools {
			db++
			url, err := c.CreateDatabase(ctx, fmt.Sprintf("bench_%d", db))
			if err != nil {
				return err
			}
			// The cluster's password goes in the environment, not on
			// command lines that other users can read.
			dsn, password := redact.SplitPassword(url)
			cmd := t.cmd(dsn)
			cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %v\n%s", t.name, err, redact.String(out.String()))
			}
			times[i] = append(times[i], time.Since(start))
			if err := c.DropDatabase(ctx, fmt.Sprintf("bench_%d", db)); err != nil {
				return err
			}
		}
	}
	// A ratio is the median of the rounds' ratios: both sides of one
	// ratio ran within seconds of each other, under the same load.
	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	wall := func(i int) time.Duration {
		ts := slices.Clone(times[i])
		slices.Sort(ts)
		return ts[len(ts)/2]
	}
	ratio := func(i, j int) float64 {
		rs := make([]float64, rounds)
		for r := range rs {
			rs[r] = float64(times[i][r]) / float64(times[j][r])
		}
		return median(rs)
	}
	what := "CREATE TABLE + INSERT each"
	if history == "real" {
		what = "a realistic history of real DDL on tables with data, bench/exec/real.go"
	}
	fmt.Printf("Applying %d migrations (%s), %d interleaved rounds, fresh database each;\n", n, what, rounds)
	fmt.Printf("the server runs with production durability (fsync, synchronous_commit, full_page_writes on).\n")
	fmt.Printf("Wall is the median run; a ratio is the median of the rounds' ratios.\n\n")
	fmt.Printf("  %-30s %10s %10s %10s %16s\n", "tool", "wall", "per migr.", "vs goose", "vs same by hand")
	for i, t := range tools {
		byHand := ""
		switch i {
		case twoPass:
			byHand = fmt.Sprintf("%.2fx", ratio(twoPass, twoPassFloor))
		case atomic:
			byHand = fmt.Sprintf("%.2fx", ratio(atomic, atomicFloor))
		case noPreflight:
			byHand = fmt.Sprintf("%.2fx", ratio(noPreflight, floor))
		}
		fmt.Printf("  %-30s %10s %10s %9.2fx %16s\n", t.name, wall(i).Round(time.Millisecond), (wall(i) / time.Duration(n)).Round(time.Microsecond),
			ratio(i, gooseUp), byHand)
	}
	fmt.Printf("\n  (load average now: %s)\n", loadavg())
	np, wp, ap := ratio(noPreflight, gooseUp), ratio(twoPass, gooseUp), ratio(atomic, gooseUp)
	twoPassTarget := 1.8
	if history == "real" {
		twoPassTarget = 2.0
	}
	fmt.Printf("\nTargets: --no-preflight <= 1.00x goose: %.2fx %s; two passes <= %.2fx goose: %.2fx %s; --atomic <= 1.10x goose: %.2fx %s\n",
		np, verdict(np <= 1.0), twoPassTarget, wp, verdict(wp <= twoPassTarget), ap, verdict(ap <= 1.1))
	fmt.Printf("The protocols' own floors (psql doing the same by hand): two passes %.2fx goose, --atomic %.2fx goose.\n",
		ratio(twoPassFloor, gooseUp), ratio(atomicFloor, gooseUp))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(MISSED)"
}

// loadavg is the 1-minute load average, "?" when unknown: figures taken
// on a busy machine say so.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b) + " ?")[0]
}
