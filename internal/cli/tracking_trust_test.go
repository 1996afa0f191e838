package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// TestUntrustedTrackingTableExitsTwo: a tracking table with a trigger
// makes every command that reads the state refuse with exit 2, before
// anything runs.
func TestUntrustedTrackingTableExitsTwo(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: always\nCREATE TABLE a (id int);\n"), 0o644))
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(t.Context(), `
CREATE TABLE safemigrate_migrations (id text PRIMARY KEY, checksum text NOT NULL, safe text NOT NULL, phase text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL);
CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON safemigrate_migrations FOR EACH ROW EXECUTE FUNCTION nop();`)
	require.NoError(t, err)
	for _, args := range [][]string{
		{"plan", "--phase", "post-deploy"},
		{"status"},
		{"graph"},
		{"preflight"},
		{"migrate", "--phase", "post-deploy"},
		{"baseline", "--through", "0001_a"},
	} {
		r := runDB(t, url, dir, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "refusing to trust the tracking tables", args)
	}
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE tablename = 'a'`).Scan(&n))
	assert.Equal(t, 0, n, "nothing may run")
}
