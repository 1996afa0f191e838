package fleet_test

import (
	"context"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/testutil"
	"github.com/safemigrate/safemigrate/migration"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// db is one test database with a connection for setting up and checking.
type db struct {
	url    string
	target executor.Target
	conn   *pgx.Conn
}

// newDB creates a database with the given schemas.
func newDB(t *testing.T, schemas ...string) *db {
	t.Helper()
	url := pgtest.NewDatabase(t)
	tg, err := executor.ParseTarget(url)
	require.NoError(t, err)
	d := &db{url: url, target: tg, conn: pgtest.Connect(t, url)}
	for _, s := range schemas {
		d.exec(t, "CREATE SCHEMA "+pgx.Identifier{s}.Sanitize())
	}
	return d
}

func (d *db) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := d.conn.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// strings runs a query returning one text column.
func (d *db) strings(t *testing.T, sql string, args ...any) []string {
	t.Helper()
	rows, err := d.conn.Query(context.Background(), sql, args...)
	require.NoError(t, err, sql)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err, sql)
	if out == nil {
		out = []string{}
	}
	return out
}

// applied lists the IDs in a schema's tracking table ([] when missing).
func (d *db) applied(t *testing.T, schema string) []string {
	t.Helper()
	table := pgx.Identifier{schema, executor.MigrationsTable}.Sanitize()
	if len(d.strings(t, `SELECT r::text FROM to_regclass($1) r WHERE r IS NOT NULL`, table)) == 0 {
		return []string{}
	}
	return d.strings(t, `SELECT id FROM `+table+` ORDER BY id`)
}

// tables lists the tables of a schema.
func (d *db) tables(t *testing.T, schema string) []string {
	t.Helper()
	return d.strings(t, `SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
}

// fleetOf resolves a fleet of schemas.
func (d *db) fleetOf(t *testing.T, src fleet.Source) *fleet.Fleet {
	t.Helper()
	f, err := fleet.New(ctx(t), d.target, src)
	require.NoError(t, err)
	return f
}

// load turns name → SQL pairs into a graph.
func load(t *testing.T, kv ...string) *graph.Graph {
	t.Helper()
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		fsys[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	ms, err := migration.Load(fsys, migration.Options{})
	require.NoError(t, err)
	g, err := graph.New(ms)
	require.NoError(t, err)
	return g
}

// ctx returns a context bounded for one test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return c
}

// syncBuffer is a log writer safe for concurrent use.
type syncBuffer = testutil.SyncBuffer
