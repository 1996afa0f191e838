package executor_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/testutil"
	"github.com/safemigrate/safemigrate/migration"
)

// childEnv switches the test binary into a child process that runs one
// migration scenario (see crash_test.go); its value is the database URL.
const childEnv = "SAFEMIGRATE_EXECUTOR_TEST_CHILD"

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		os.Exit(runChild(url))
	}
	os.Exit(pgtest.Main(m))
}

// files builds a migrations FS from name → SQL.
func files(kv ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		fsys[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return fsys
}

// load turns a migrations FS into a graph.
func load(t testing.TB, fsys fstest.MapFS) *graph.Graph {
	t.Helper()
	ms, err := migration.Load(fsys, migration.Options{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	g, err := graph.New(ms)
	if err != nil {
		t.Fatalf("graph: %v", err)
	}
	return g
}

// target returns a Target for url.
func target(t testing.TB, url string) executor.Target {
	t.Helper()
	tg, err := executor.ParseTarget(url)
	if err != nil {
		t.Fatalf("parse target: %v", err)
	}
	return tg
}

// fresh creates a database for the test and returns its URL and Target.
func fresh(t testing.TB) (string, executor.Target) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return url, target(t, url)
}

// syncBuffer is a log writer safe for concurrent use.
type syncBuffer = testutil.SyncBuffer

// ctx returns a context bounded for one test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return c
}

// queryInt runs a query returning one integer.
func queryInt(t testing.TB, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// queryStrings runs a query returning one text column.
func queryStrings(t testing.TB, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// appliedIDs lists the IDs in the tracking table ([] when it is missing).
func appliedIDs(t testing.TB, conn *pgx.Conn, schema string) []string {
	t.Helper()
	table := pgx.Identifier{schema, executor.MigrationsTable}.Sanitize()
	if queryInt(t, conn, `SELECT count(*) FROM (SELECT to_regclass($1) AS r) x WHERE r IS NOT NULL`, table) == 0 {
		return []string{}
	}
	return queryStrings(t, conn, `SELECT id FROM `+table+` ORDER BY id`)
}

// dataSnapshot renders every row of every user table, for comparing the
// data before and after a rehearsal.
func dataSnapshot(t testing.TB, conn *pgx.Conn) string {
	t.Helper()
	tables := queryStrings(t, conn, `
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	var b strings.Builder
	for _, tbl := range tables {
		rows := queryStrings(t, conn, fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY 1`, tbl))
		fmt.Fprintf(&b, "%s: %s\n", tbl, strings.Join(rows, " | "))
	}
	return b.String()
}

// migrateOn plans, rehearses and applies g on the open session s, and
// requires every step to pass.
func migrateOn(t testing.TB, s *executor.Session, g *graph.Graph) {
	t.Helper()
	plan, _, err := s.Plan(ctx(t), g)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	pf, err := s.Preflight(ctx(t), plan)
	if err != nil || !pf.OK {
		t.Fatalf("preflight: ok=%v err=%v", pf != nil && pf.OK, err)
	}
	if _, err := s.Apply(ctx(t), plan); err != nil {
		t.Fatalf("apply: %v", err)
	}
}
