package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestMigrateAtomic(t *testing.T) {
	files := map[string]string{
		"0001_a.sql": "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql": "-- safe: always\nINSERT INTO a VALUES (1);\n",
	}
	t.Run("flag", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		dir := writeDir(t, files)
		r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--atomic", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		doc := assertOneJSON(t, r.stdout)
		assert.Equal(t, []any{"0001_a", "0002_b"}, doc["applied"])
		pf := doc["preflight"].(map[string]any)
		assert.Equal(t, true, pf["atomic"])
		assert.Len(t, pf["migrations"], 2)
		assert.Contains(t, r.stderr, "atomic: committed 0001_a, 0002_b")
	})
	t.Run("config, failure", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		bad := map[string]string{"0003_bad.sql": "-- safe: always\nINSERT INTO missing VALUES (1);\n"}
		for k, v := range files {
			bad[k] = v
		}
		dir := writeDir(t, bad)
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("atomic: true\n"), 0o644))
		r := runDB(t, url, dir, "--config", cfg, "migrate", "--phase", "post-deploy")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Atomic apply")
		assert.Contains(t, r.stdout, "atomic apply failed; its transaction was rolled back and nothing was applied (exit 1)")
		r = runDB(t, url, dir, "status", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		assert.NotContains(t, r.stdout, `"state": "applied"`)

		// An explicit --no-preflight wins over the config: two applied, then the failure.
		r = runDB(t, url, dir, "--config", cfg, "migrate", "--phase", "post-deploy", "--no-preflight")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stdout, "2 migrations applied before the failure")
	})
	t.Run("failure that stops the run", func(t *testing.T) {
		// Releasing the migration lock stops an atomic run at once: its
		// failure is not in the atomic list, and is printed on its own.
		url := pgtest.NewDatabase(t)
		dir := writeDir(t, map[string]string{
			"0001_a.sql":      files["0001_a.sql"],
			"0002_unlock.sql": "-- safe: always\nDO $$ BEGIN EXECUTE 'SELECT pg_advisory_' || 'unlock_all()'; END $$;\n",
		})
		r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--atomic")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stdout, "✗ failed: "+filepath.Join(dir, "0002_unlock.sql")+": migration 0002_unlock: migration 0002_unlock released safemigrate's migration lock")
		assert.Contains(t, r.stdout, "0002_unlock.sql; its atomic transaction was rolled back and nothing of it was applied")
	})
	t.Run("conflicting flags", func(t *testing.T) {
		r := run(t, "--dir", writeDir(t, files), "migrate", "--phase", "post-deploy", "--atomic", "--no-preflight")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "--atomic applies in one pass")
	})
}
