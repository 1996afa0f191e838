// Command exec-bench measures how fast safemigrate applies migrations,
// side by side in one run with goose v3 and with one psql session.
//
//	go run ./bench/exec -n 500 -rounds 3                  # synthetic
//	go run ./bench/exec -history real -n 240 -rounds 3    # real DDL
//
// It starts a throwaway PostgreSQL (pgcluster), writes N migrations in
// each tool's format, applies them to a fresh database per tool and round
// (tools interleaved within each round), and prints median wall times and
// the ratios against goose: psql (one session, the floor), goose, and
// safemigrate with --no-preflight, the default two passes, and --atomic.
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
	out := flag.String("out", "", "only write the migrations (DIR/safemigrate, DIR/goose, DIR/all.sql) and exit")
	rounds := flag.Int("rounds", 3, "rounds per tool (median reported)")
	bin := flag.String("bin", "bin/safemigrate", "safemigrate binary")
	goose := flag.String("goose", ".bench/bin/goose", "goose binary")
	flag.Parse()
	if *history != "synthetic" && *history != "real" {
		fmt.Fprintf(os.Stderr, "exec-bench: -history %q: want synthetic or real\n", *history)
		os.Exit(2)
	}
	if *out != "" {
		write := writeMigrations
		if *history == "real" {
			write = func(n int, sm, goose, all string) error { return writeReal(n, *seed, sm, goose, all) }
		}
		if err := write(*n, filepath.Join(*out, "safemigrate"), filepath.Join(*out, "goose"), filepath.Join(*out, "all.sql")); err != nil {
			fmt.Fprintf(os.Stderr, "exec-bench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *history, *n, *seed, *rounds, *bin, *goose); err != nil {
		fmt.Fprintf(os.Stderr, "exec-bench: %v\n", err)
		os.Exit(1)
	}
}

type tool struct {
	name string
	cmd  func(url string) *exec.Cmd
}

func run(ctx context.Context, history string, n int, seed uint64, rounds int, bin, goose string) error {
	work, err := os.MkdirTemp("", "safemigrate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	smDir, gooseDir := filepath.Join(work, "safemigrate"), filepath.Join(work, "goose")
	all := filepath.Join(work, "all.sql")
	write := func() error { return writeMigrations(n, smDir, gooseDir, all) }
	if history == "real" {
		write = func() error { return writeReal(n, seed, smDir, gooseDir, all) }
	}
	if err := write(); err != nil {
		return err
	}
	// Autovacuum off: a CREATE INDEX CONCURRENTLY that meets an
	// autovacuum worker on its table waits deadlock_timeout (1s) for it
	// to be cancelled, which would add a random second to one tool or
	// another. No tool depends on it.
	c, err := pgcluster.Start(ctx, pgcluster.Options{Settings: map[string]string{"autovacuum": "off"}})
	if err != nil {
		return err
	}
	defer c.Stop()
	psql, err := pgcluster.FindBin("psql")
	if err != nil {
		return err
	}
	tools := []tool{
		{"psql (one session, floor)", func(url string) *exec.Cmd {
			return exec.Command(psql, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", all, url)
		}},
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
	med := make([]time.Duration, len(tools))
	for i := range tools {
		slices.Sort(times[i])
		med[i] = times[i][len(times[i])/2]
	}
	goosed := med[1]
	what := "CREATE TABLE + INSERT each"
	if history == "real" {
		what = "a realistic history of real DDL on tables with data, bench/exec/real.go"
	}
	fmt.Printf("Applying %d migrations (%s), median of %d interleaved rounds, fresh database each:\n\n", n, what, rounds)
	fmt.Printf("  %-30s %10s %10s %12s %10s %12s\n", "tool", "wall", "per migr.", "vs goose", "best run", "best vs goose")
	for i, t := range tools {
		fmt.Printf("  %-30s %10s %10s %11.2fx %10s %11.2fx\n", t.name, med[i].Round(time.Millisecond), (med[i] / time.Duration(n)).Round(time.Microsecond),
			float64(med[i])/float64(goosed), times[i][0].Round(time.Millisecond), float64(times[i][0])/float64(times[1][0]))
	}
	fmt.Printf("\n  (load average now: %s)\n", loadavg())
	np, wp, ap := float64(med[2])/float64(goosed), float64(med[3])/float64(goosed), float64(med[4])/float64(goosed)
	twoPass := 1.8
	if history == "real" {
		twoPass = 2.0
	}
	fmt.Printf("\nTargets: --no-preflight <= 1.00x goose: %.2fx %s; two passes <= %.2fx goose: %.2fx %s; --atomic <= 1.10x goose: %.2fx %s\n",
		np, verdict(np <= 1.0), twoPass, wp, verdict(wp <= twoPass), ap, verdict(ap <= 1.1))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(MISSED)"
}

func writeMigrations(n int, smDir, gooseDir, all string) error {
	for _, d := range []string{smDir, gooseDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var everything strings.Builder
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("CREATE TABLE bench_%d (id integer PRIMARY KEY, note text NOT NULL);\nINSERT INTO bench_%d VALUES (1, 'row %d');\n", i, i, i)
		everything.WriteString(body)
		if err := os.WriteFile(filepath.Join(smDir, fmt.Sprintf("%05d_bench_%d.sql", i, i)), []byte("-- safe: before_deploy\n\n"+body), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gooseDir, fmt.Sprintf("%05d_bench_%d.sql", i, i)), []byte("-- +goose Up\n"+body), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(all, []byte(everything.String()), 0o644)
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
