package main

import (
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// migrated builds, in schema, what a finished run leaves: two tables with
// indexes and the tracking tables with ids recorded.
func migrated(t *testing.T, conn *pgx.Conn, schema string, ids ...string) {
	t.Helper()
	ctx := t.Context()
	q := pgx.Identifier{schema}.Sanitize()
	for _, sql := range []string{
		`CREATE SCHEMA IF NOT EXISTS ` + q,
		`CREATE TABLE ` + q + `.items (id bigint PRIMARY KEY, name text NOT NULL, score int)`,
		`INSERT INTO ` + q + `.items SELECT g, 'n' || g, g % 3 FROM generate_series(1, 100) g`,
		`CREATE INDEX ON ` + q + `.items (score)`,
		`CREATE TABLE ` + q + `.safemigrate_migrations (id text PRIMARY KEY, checksum text NOT NULL, safe text NOT NULL)`,
		`CREATE TABLE ` + q + `.safemigrate_progress (id text PRIMARY KEY, statements_done int, statements_total int)`,
	} {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	for _, id := range ids {
		_, err := conn.Exec(ctx, `INSERT INTO `+q+`.safemigrate_migrations VALUES ($1, 'c', 'always')`, id)
		require.NoError(t, err)
	}
}

func TestCheckSchemaAcceptsATenantEqualToTheReference(t *testing.T) {
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	ids := []string{"0001_a", "0002_b"}
	migrated(t, conn, "public", ids...)
	migrated(t, conn, "tenant_1", ids...)
	ref, err := snapshot(t.Context(), conn, "public")
	require.NoError(t, err)
	require.Contains(t, ref, "index CREATE INDEX items_score_idx ON items USING btree (score)")
	problems, err := checkSchema(t.Context(), conn, "tenant_1", ref, ids)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestCheckSchemaFindsPlantedAnomalies(t *testing.T) {
	ctx := t.Context()
	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	ids := []string{"0001_a", "0002_b", "0003_c"}
	migrated(t, conn, "public", ids...)
	ref, err := snapshot(ctx, conn, "public")
	require.NoError(t, err)

	// A tenant where 0003 is missing from tracking, a rerun built the
	// unnamed index a second time, a failed CREATE UNIQUE INDEX
	// CONCURRENTLY left an INVALID index and a progress row is left.
	migrated(t, conn, "tenant_1", "0001_a", "0002_b")
	for _, sql := range []string{
		`CREATE INDEX ON tenant_1.items (score)`,
		`INSERT INTO tenant_1.safemigrate_progress VALUES ('0003_c', 1, 2)`,
	} {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	_, err = conn.Exec(ctx, `CREATE UNIQUE INDEX CONCURRENTLY items_score_key ON tenant_1.items (score)`)
	require.Error(t, err, "duplicate scores: the build fails and leaves an INVALID index")

	problems, err := checkSchema(ctx, conn, "tenant_1", ref, ids)
	require.NoError(t, err)
	all := strings.Join(problems, "\n")
	require.Contains(t, all, "migration 0003_c recorded 0 times")
	require.Contains(t, all, "unexpected: index CREATE INDEX items_score_idx1 ON items USING btree (score)")
	require.Contains(t, all, "unexpected: index CREATE UNIQUE INDEX items_score_key ON items USING btree (score) INVALID")
	require.Contains(t, all, "INVALID index items_score_key")
	require.Contains(t, all, "progress row left: 0003_c (1/2)")
	require.Contains(t, all, "missing: applied 0003_c c always")
}

func TestLeftoversReportsASessionHoldingTheAdvisoryLock(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	other := pgtest.Connect(t, withApp(url, "", "chaos-run-0"))
	_, err := other.Exec(ctx, `SELECT pg_advisory_lock(42)`)
	require.NoError(t, err)
	var db string
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db))

	left, err := leftovers(ctx, conn, db, "chaos-r", 0)
	require.NoError(t, err)
	all := strings.Join(left, "\n")
	require.Contains(t, all, "chaos-run-0")
	require.Contains(t, all, "advisory lock held by pid")

	require.NoError(t, other.Close(ctx))
	left, err = leftovers(ctx, conn, db, "chaos-r", 5e9)
	require.NoError(t, err)
	require.Empty(t, left)
}

func TestWithAppPointsTheURLAtTheProxy(t *testing.T) {
	got := withApp("postgres://u:secret@/db?host=%2Ftmp%2Fx&port=5433&sslmode=disable", "127.0.0.1:9999", "chaos-run-1")
	cfg, err := pgx.ParseConfig(got)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", cfg.Host)
	require.EqualValues(t, 9999, cfg.Port)
	require.Equal(t, "secret", cfg.Password)
	require.Equal(t, "db", cfg.Database)
	require.Equal(t, "chaos-run-1", cfg.RuntimeParams["application_name"])
}
