// Command fleet-bench measures safemigrate's tenant fleets, side by side
// in one run with the floor: one psql session applying the same SQL
// tenant by tenant (BEGIN; SET LOCAL search_path; …; COMMIT).
//
//	go run ./bench/fleet -tenants 500 -n 10 -jobs 2 -dbs 200
//
// Schema fleet: one throwaway PostgreSQL (pgcluster), a database with
// -tenants schemas, -n small migrations (create a table, insert a row)
// applied to every schema by `safemigrate migrate --schemas-query` (two
// passes), and by psql. Database fleet: -dbs databases spread over two
// throwaway clusters, migrated by `safemigrate migrate --databases FILE`,
// and by one psql session per database, one after the other.
//
// For each run it counts, server side, the sessions opened and the
// transactions (pg_stat_database), so that round-trip and connection
// costs can be compared before and after a change. -cpuprofile FILE runs
// the schema fleet once more in this process (package fleet) under
// runtime/pprof (with -atomic, the atomic run).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/pgcluster"
	"github.com/safemigrate/safemigrate/planner"
)

type config struct {
	tenants, n, jobs, dbs, perServer, rounds, statements int
	bin, cpuprofile, compare                             string
	atomic                                               bool
}

func main() {
	var c config
	flag.IntVar(&c.tenants, "tenants", 500, "tenant schemas")
	flag.IntVar(&c.n, "n", 10, "migrations per tenant")
	flag.IntVar(&c.jobs, "jobs", 2, "--jobs")
	flag.IntVar(&c.dbs, "dbs", 200, "databases of the database fleet (on two clusters); 0 skips it")
	flag.IntVar(&c.perServer, "jobs-per-server", 2, "--jobs-per-server of the database fleet")
	flag.IntVar(&c.rounds, "rounds", 1, "rounds (median reported)")
	flag.StringVar(&c.bin, "bin", "bin/safemigrate", "safemigrate binary")
	flag.StringVar(&c.compare, "compare", "", "another safemigrate binary (an earlier version), measured in the same rounds")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of an in-process schema fleet run to FILE")
	flag.BoolVar(&c.atomic, "atomic", false, "also measure migrate --atomic (needs a binary that has it)")
	flag.IntVar(&c.statements, "statements", 0, "print each tool's N costliest statements, server side (pg_stat_statements, last round)")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintf(os.Stderr, "fleet-bench: %v\n", redact.Error(err))
		os.Exit(1)
	}
}

// serverSettings are the schema fleet's server settings: a production
// server's durability (pgcluster.DurableSettings), room for the runs'
// sessions and locks and, with -statements, pg_stat_statements.
func serverSettings(c config) map[string]string {
	s := pgcluster.DurableSettings()
	s["max_connections"], s["max_locks_per_transaction"] = "200", "256"
	if c.statements > 0 {
		s["shared_preload_libraries"] = "pg_stat_statements"
		s["pg_stat_statements.track"] = "all"
	}
	return s
}

// counts are server-side counters of one database, and the WAL the
// server wrote (the cluster's, but a run is all that writes): unlike
// time, they do not depend on what else the machine is doing.
type counts struct{ sessions, xacts, wal int64 }

func (a counts) minus(b counts) counts {
	return counts{a.sessions - b.sessions, a.xacts - b.xacts, a.wal - b.wal}
}

func readCounts(ctx context.Context, c *pgcluster.Cluster, db string) (counts, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return counts{}, err
	}
	defer conn.Close(ctx)
	// The statistics are flushed by backends at the end of transactions
	// and at exit; give them a moment, then read fresh values.
	time.Sleep(600 * time.Millisecond)
	var k counts
	_, _ = conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`)
	err = conn.QueryRow(ctx, `SELECT coalesce(sessions, 0), xact_commit + xact_rollback, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint
  FROM pg_stat_database WHERE datname = $1`, db).Scan(&k.sessions, &k.xacts, &k.wal)
	return k, err
}

// settle makes each measured run start from a quiet machine: the
// previous run's database (thousands of relations) was just dropped and
// this one's schemas created; without a checkpoint and the kernel's
// write-back done first, whichever tool runs next pays for them.
func settle(ctx context.Context, c *pgcluster.Cluster) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		return err
	}
	syscall.Sync()
	return nil
}

// serverCPU is the CPU time of the server's processes that have exited
// (the postmaster's children: backends, autovacuum workers), read from
// /proc; 0 where /proc is missing.
func serverCPU(c *pgcluster.Cluster) time.Duration {
	pid, err := os.ReadFile(filepath.Join(c.Dir(), "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(pid), "\n")
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(first) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis; cutime and cstime
	// are fields 16 and 17 of the line, in clock ticks (100 a second).
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if len(f) < 15 {
		return 0
	}
	var cu, cs int64
	fmt.Sscan(f[13], &cu)
	fmt.Sscan(f[14], &cs)
	return time.Duration(cu+cs) * 10 * time.Millisecond
}

type result struct {
	name string
	wall []time.Duration
	cpu  []time.Duration // the tool's and the server's
	k    counts
	top  []string // -statements
}

// ratios are r's per-round ratios to the floor's same round, wall and CPU.
func (r *result) ratios(floor *result) (wall, cpu []float64) {
	for i := range r.wall {
		wall = append(wall, float64(r.wall[i])/float64(floor.wall[i]))
		cpu = append(cpu, float64(r.cpu[i])/float64(max(floor.cpu[i], 1)))
	}
	return wall, cpu
}

func medianF(fs []float64) float64 {
	w := slices.Clone(fs)
	slices.Sort(w)
	return w[len(w)/2]
}

func median(ds []time.Duration) time.Duration {
	w := slices.Clone(ds)
	slices.Sort(w)
	return w[len(w)/2]
}

func (r *result) median() time.Duration { return median(r.wall) }

func run(ctx context.Context, c config) error {
	work, err := os.MkdirTemp("", "safemigrate-fleet-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "migrations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var bodies strings.Builder
	for i := 1; i <= c.n; i++ {
		body := fmt.Sprintf("CREATE TABLE bench_%d (id integer PRIMARY KEY, note text NOT NULL);\nINSERT INTO bench_%d VALUES (1, 'row %d');\n", i, i, i)
		bodies.WriteString(body)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d_bench_%d.sql", i, i)), []byte("-- safe: before_deploy\n\n"+body), 0o644); err != nil {
			return err
		}
	}
	a, err := pgcluster.Start(ctx, pgcluster.Options{Settings: serverSettings(c)})
	if err != nil {
		return err
	}
	defer a.Stop()
	psql, err := pgcluster.FindBin("psql")
	if err != nil {
		return err
	}

	// The floor's script: every tenant in its own transaction.
	var floor strings.Builder
	for t := 1; t <= c.tenants; t++ {
		fmt.Fprintf(&floor, "BEGIN;\nSET LOCAL search_path TO tenant_%04d;\n%sCOMMIT;\n", t, bodies.String())
	}
	floorFile := filepath.Join(work, "floor.sql")
	if err := os.WriteFile(floorFile, []byte(floor.String()), 0o644); err != nil {
		return err
	}

	type tool struct {
		name string
		cmd  func(dsn string) *exec.Cmd
	}
	query := `SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'tenant\_%' ORDER BY 1`
	tools := []tool{
		{"psql, one session (floor)", func(dsn string) *exec.Cmd {
			return exec.Command(psql, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", floorFile, dsn)
		}},
		{fmt.Sprintf("safemigrate two-pass --jobs %d", c.jobs), func(dsn string) *exec.Cmd {
			return exec.Command(c.bin, "--dir", dir, "--database-url", dsn, "migrate", "--phase", "post-deploy",
				"--schemas-query", query, "--jobs", fmt.Sprint(c.jobs))
		}},
	}
	if c.atomic {
		tools = append(tools, tool{fmt.Sprintf("safemigrate --atomic --jobs %d", c.jobs), func(dsn string) *exec.Cmd {
			return exec.Command(c.bin, "--dir", dir, "--database-url", dsn, "migrate", "--phase", "post-deploy", "--atomic",
				"--schemas-query", query, "--jobs", fmt.Sprint(c.jobs))
		}})
	}
	if c.compare != "" {
		// The earlier version's runs, in the same rounds: a comparison
		// that does not depend on what else the machine did in between.
		tools = append(tools, tool{fmt.Sprintf("-compare two-pass --jobs %d", c.jobs), func(dsn string) *exec.Cmd {
			return exec.Command(c.compare, "--dir", dir, "--database-url", dsn, "migrate", "--phase", "post-deploy",
				"--schemas-query", query, "--jobs", fmt.Sprint(c.jobs))
		}})
		if c.atomic {
			tools = append(tools, tool{fmt.Sprintf("-compare --atomic --jobs %d", c.jobs), func(dsn string) *exec.Cmd {
				return exec.Command(c.compare, "--dir", dir, "--database-url", dsn, "migrate", "--phase", "post-deploy", "--atomic",
					"--schemas-query", query, "--jobs", fmt.Sprint(c.jobs))
			}})
		}
	}
	results := make([]*result, len(tools))
	for i, t := range tools {
		results[i] = &result{name: t.name}
	}
	if c.statements > 0 {
		if err := pgAdmin(ctx, a, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
			return err
		}
	}
	load0 := loadAverage()
	round := 0
	for r := 0; r < c.rounds; r++ {
		// Each round starts with another tool, so that no tool always
		// runs right after the same one (whose dropped database the
		// server and the kernel may still be cleaning up).
		for k := range tools {
			i := (k + r) % len(tools)
			t := tools[i]
			round++
			name := fmt.Sprintf("fleet_%d", round)
			url, err := a.CreateDatabase(ctx, name)
			if err != nil {
				return err
			}
			if err := createSchemas(ctx, url, c.tenants); err != nil {
				return err
			}
			if err := settle(ctx, a); err != nil {
				return err
			}
			before, err := readCounts(ctx, a, name)
			if err != nil {
				return err
			}
			dsn, password := redact.SplitPassword(url)
			cmd := t.cmd(dsn)
			cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if c.statements > 0 {
				if err := pgAdmin(ctx, a, `SELECT pg_stat_statements_reset()`); err != nil {
					return err
				}
			}
			cpu0 := serverCPU(a)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %v\n%s", t.name, err, redact.String(tail(out.String())))
			}
			results[i].wall = append(results[i].wall, time.Since(start))
			after, err := readCounts(ctx, a, name) // after the run's backends exited
			if err != nil {
				return err
			}
			results[i].cpu = append(results[i].cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()+serverCPU(a)-cpu0)
			results[i].k = after.minus(before)
			if c.statements > 0 && r == c.rounds-1 {
				if results[i].top, err = topStatements(ctx, a, name, c.statements); err != nil {
					return err
				}
			}
			if err := a.DropDatabase(ctx, name); err != nil {
				return err
			}
		}
	}
	floorT := results[0].median()
	fmt.Printf("Schema fleet: %d tenant schemas × %d migrations (CREATE TABLE + INSERT each), median of %d round(s):\n\n", c.tenants, c.n, c.rounds)
	floorCPU := median(results[0].cpu)
	fmt.Printf("  %-36s %10s %10s %9s %10s %9s %10s %12s %9s\n", "tool", "wall", "per tenant", "vs floor", "CPU", "vs floor", "sessions", "transactions", "WAL MB")
	for _, r := range results {
		m, cpu := r.median(), median(r.cpu)
		fmt.Printf("  %-36s %10s %10s %8.2fx %10s %8.2fx %10d %12d %9.1f\n", r.name, m.Round(time.Millisecond), (m / time.Duration(c.tenants)).Round(time.Microsecond),
			float64(m)/float64(floorT), cpu.Round(10*time.Millisecond), float64(cpu)/float64(max(floorCPU, 1)), r.k.sessions, r.k.xacts, float64(r.k.wal)/(1<<20))
	}
	fmt.Printf("\n  CPU is the tool's and the server's (backends, autovacuum): what the run costs\n  whatever else the machine is doing; wall time depends on that too.\n")
	fmt.Printf("  The server runs with a production's durability (fsync, synchronous_commit,\n  full_page_writes on; wal_level replica); each run gets a fresh database.\n")
	fmt.Printf("  Load average before / after: %s / %s\n", load0, loadAverage())
	fmt.Printf("\n  rounds (each round starts with the next tool; wall, and wall/CPU vs the floor's round):\n")
	for _, r := range results {
		wr, cr := r.ratios(results[0])
		cells := make([]string, len(r.wall))
		for i, w := range r.wall {
			cells[i] = fmt.Sprintf("%s (%.2fx/%.2fx)", w.Round(time.Millisecond), wr[i], cr[i])
		}
		fmt.Printf("  %-36s %s\n", r.name, strings.Join(cells, "  "))
	}
	target := func(what string, r *result, limit float64) {
		wr, cr := r.ratios(results[0])
		w, cpu := medianF(wr), medianF(cr)
		fmt.Printf("Target: %s <= %.2fx the floor (median of the per-round ratios): wall %.2fx %s, CPU %.2fx %s\n", what, limit, w, verdict(w <= limit), cpu, verdict(cpu <= limit))
	}
	fmt.Println()
	target("two-pass", results[1], 2.5)
	if c.atomic {
		target("--atomic", results[2], 1.3)
	} else {
		fmt.Printf("--atomic: not measured (-atomic not given)\n")
	}
	for _, r := range results {
		if len(r.top) == 0 {
			continue
		}
		fmt.Printf("\n  %s, costliest statements (server side, last round): calls, total ms, statement\n", r.name)
		for _, l := range r.top {
			fmt.Printf("    %s\n", l)
		}
	}

	if c.cpuprofile != "" {
		if err := profile(ctx, a, c, dir, query); err != nil {
			return err
		}
	}
	if c.dbs > 0 {
		return databases(ctx, a, c, dir, bodies.String(), psql, work)
	}
	return nil
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// pgAdmin runs sql in the database postgres of c.
func pgAdmin(ctx context.Context, c *pgcluster.Cluster, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// topStatements lists the n statements that cost the server the most in
// database db since the last pg_stat_statements_reset.
func topStatements(ctx context.Context, c *pgcluster.Cluster, db string, n int) ([]string, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	// A tenant's schema name makes its tracking tables' DDL a statement
	// of its own: they are counted together.
	rows, err := conn.Query(ctx, `SELECT sum(calls)::bigint, sum(total_exec_time), q
  FROM (SELECT calls, total_exec_time, regexp_replace(regexp_replace(left(query, 100), '\s+', ' ', 'g'), '"tenant_[0-9]+"', '"tenant_N"', 'g') AS q
          FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1) s
 GROUP BY q ORDER BY 2 DESC LIMIT $2`, db, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var calls int64
		var ms float64
		var q string
		if err := rows.Scan(&calls, &ms, &q); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%7d %9.0f  %s", calls, ms, q))
	}
	return out, rows.Err()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(MISSED)"
}

// createSchemas creates tenant_0001 … in the database of url.
func createSchemas(ctx context.Context, url string, n int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_catalog.set_config('client_min_messages', 'warning', false);
DO $$BEGIN FOR i IN 1..`+fmt.Sprint(n)+` LOOP EXECUTE format('CREATE SCHEMA %I', 'tenant_' || lpad(i::text, 4, '0')); END LOOP; END$$`)
	return err
}

// profile runs the schema fleet in this process under runtime/pprof.
func profile(ctx context.Context, a *pgcluster.Cluster, c config, dir, query string) error {
	url, err := a.CreateDatabase(ctx, "fleet_profile")
	if err != nil {
		return err
	}
	if err := createSchemas(ctx, url, c.tenants); err != nil {
		return err
	}
	ms, err := migration.Load(os.DirFS(dir), migration.Options{})
	if err != nil {
		return err
	}
	g, err := graph.New(ms)
	if err != nil {
		return err
	}
	db, err := executor.ParseTarget(url)
	if err != nil {
		return err
	}
	f, err := fleet.New(ctx, db, fleet.Source{Query: query})
	if err != nil {
		return err
	}
	out, err := os.Create(c.cpuprofile)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		return err
	}
	start := time.Now()
	_, err = f.Run(ctx, g, fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy, Atomic: c.atomic}, Jobs: c.jobs})
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	what := "two-pass"
	if c.atomic {
		what = "--atomic"
	}
	fmt.Printf("\nIn-process %s run under pprof: %s; profile in %s (go tool pprof -top %s)\n", what, time.Since(start).Round(time.Millisecond), c.cpuprofile, c.cpuprofile)
	return nil
}

// databases measures a fleet of c.dbs databases spread over a and a
// second cluster.
func databases(ctx context.Context, a *pgcluster.Cluster, c config, dir, bodies, psql, work string) error {
	b, err := pgcluster.Start(ctx, pgcluster.Options{Settings: serverSettings(config{})})
	if err != nil {
		return err
	}
	defer b.Stop()
	clusters := []*pgcluster.Cluster{a, b}
	var urls []string
	for i := range c.dbs {
		u, err := clusters[i%2].CreateDatabase(ctx, fmt.Sprintf("tenant_db_%04d", i+1))
		if err != nil {
			return err
		}
		urls = append(urls, u)
	}
	// The list holds the passwords: a private file, as a user's would be.
	list := filepath.Join(work, "databases.txt")
	if err := os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	floorFile := filepath.Join(work, "floor-db.sql")
	if err := os.WriteFile(floorFile, []byte("BEGIN;\n"+bodies+"COMMIT;\n"), 0o644); err != nil {
		return err
	}
	// The floor runs on copies of the databases, so that safemigrate
	// finds its own untouched.
	var floorURLs []string
	for i := range c.dbs {
		u, err := clusters[i%2].CreateDatabase(ctx, fmt.Sprintf("floor_db_%04d", i+1))
		if err != nil {
			return err
		}
		floorURLs = append(floorURLs, u)
	}
	// Floor: one psql session per database, one database after the other.
	start := time.Now()
	for _, u := range floorURLs {
		dsn, password := redact.SplitPassword(u)
		cmd := exec.Command(psql, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", floorFile, dsn)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("psql: %v\n%s", err, redact.String(string(out)))
		}
	}
	floorT := time.Since(start)
	jobs := 2 * c.perServer
	cmd := exec.Command(c.bin, "--dir", dir, "migrate", "--phase", "post-deploy",
		"--databases", list, "--jobs", fmt.Sprint(jobs), "--jobs-per-server", fmt.Sprint(c.perServer))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	start = time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("database fleet: %v\n%s", err, redact.String(tail(out.String())))
	}
	took := time.Since(start)
	// A rerun finds nothing to do: one pass that reads every database.
	cmd = exec.Command(c.bin, "--dir", dir, "migrate", "--phase", "post-deploy",
		"--databases", list, "--jobs", fmt.Sprint(jobs), "--jobs-per-server", fmt.Sprint(c.perServer))
	out.Reset()
	cmd.Stdout, cmd.Stderr = out, out
	start = time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("database fleet rerun: %v\n%s", err, redact.String(tail(out.String())))
	}
	rerun := time.Since(start)
	fmt.Printf("\nDatabase fleet: %d databases on 2 clusters × %d migrations:\n\n", c.dbs, c.n)
	fmt.Printf("  %-52s %10s %12s\n", "tool", "wall", "per database")
	fmt.Printf("  %-52s %10s %12s\n", "psql, one session per database, in turn (floor)", floorT.Round(time.Millisecond), (floorT / time.Duration(c.dbs)).Round(time.Microsecond))
	fmt.Printf("  %-52s %10s %12s\n", fmt.Sprintf("safemigrate --databases --jobs %d --jobs-per-server %d", jobs, c.perServer), took.Round(time.Millisecond), (took / time.Duration(c.dbs)).Round(time.Microsecond))
	fmt.Printf("  %-52s %10s %12s\n", "the same, rerun (nothing to do)", rerun.Round(time.Millisecond), (rerun / time.Duration(c.dbs)).Round(time.Microsecond))
	return nil
}
