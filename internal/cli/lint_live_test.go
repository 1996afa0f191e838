package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestLintDatabaseURL(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	for _, sql := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)",
		"INSERT INTO big SELECT g, repeat('x', 60) FROM generate_series(1, 20000) g",
		"ANALYZE big",
		"CREATE TABLE empty_t (id int PRIMARY KEY, x int)",
	} {
		_, err := conn.Exec(context.Background(), sql)
		require.NoError(t, err, sql)
	}
	dir := t.TempDir()
	migs := filepath.Join(dir, "migrations")
	require.NoError(t, os.MkdirAll(migs, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(migs, "0002_backfill.sql"), []byte("-- safe: after_deploy\nUPDATE big SET v = 'y';\nUPDATE empty_t SET x = 1;\n"), 0o644))
	cfg := filepath.Join(dir, "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("lint:\n  large_table: 1MB\n"), 0o644))

	r := run(t, "--dir", migs, "--config", cfg, "lint", "--database-url", dbURL)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Regexp(t, `0002_backfill.sql:2:1: error dml-without-where: UPDATE without WHERE touches every row of big in one transaction \(table big: [\d.]+ MB, ~20k rows\)`, r.stdout)
	assert.Regexp(t, `0002_backfill.sql:3:1: info dml-without-where: .*\(table empty_t: `, r.stdout)

	// A URL from the environment or the configuration does not make lint
	// connect.
	t.Setenv("DATABASE_URL", dbURL)
	r = run(t, "--dir", migs, "--config", cfg, "lint")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "(table")
	assert.Contains(t, r.stdout, "warning dml-without-where")

	// A connection failure is exit 2, without the password.
	r = run(t, "--dir", migs, "lint", "--database-url", "postgres://someone:s3cret-pw@/db?host=/nonexistent-dir&connect_timeout=2")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "cannot connect")
	assert.NotContains(t, r.stderr+r.stdout, "s3cret-pw")
}
