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

// TestInitialAutoOneReleaseLine: the same release-phase line works on a
// fresh review-app database and on production (docs/planning.md).
func TestInitialAutoOneReleaseLine(t *testing.T) {
	release := []string{"migrate", "--phase", "pre-deploy", "--initial=auto"}

	t.Run("fresh database: initial, everything runs, and it says so", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		// Without auto, the example's after_deploy history blocks a strict run.
		require.Equal(t, 3, runDB(t, url, example, "plan", "--phase", "pre-deploy").code)
		r := runDB(t, url, example, "plan", "--phase", "pre-deploy", "--initial=auto", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		doc := assertOneJSON(t, r.stdout)
		assert.Equal(t, true, doc["initial_auto"].(map[string]any)["initial"])
		assert.Len(t, doc["run"], 16)

		r = runDB(t, url, example, release...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "OK: 16 migrations applied.")
		assert.Contains(t, r.stdout, "--initial=auto: no tracking rows and no tables")
		assert.Contains(t, r.stderr, "--initial=auto")

		// The next release on the same database is a normal strict run.
		r = runDB(t, url, example, release...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "a normal run")
		assert.Contains(t, r.stdout, "nothing to apply")
	})

	t.Run("a database with tables of its own is a normal run", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		conn := pgtest.Connect(t, url)
		_, err := conn.Exec(context.Background(), `CREATE TABLE legacy_accounts (id int)`)
		require.NoError(t, err)
		r := runDB(t, url, example, release...)
		assert.Equal(t, 3, r.code, "strict, and blocked like any production release: %s", r.stdout)
		assert.Contains(t, r.stdout, "legacy_accounts")
		assert.Contains(t, r.stdout, "a normal run")
	})

	t.Run("config initial: auto", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("initial: auto\n"), 0o644))
		r := runDB(t, url, example, "--config", cfg, "migrate", "--phase", "pre-deploy")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "OK: 16 migrations applied.")
	})

	t.Run("a bad value names both forms", func(t *testing.T) {
		r := run(t, "--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--initial=maybe")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "--initial=auto")
	})
}

// delayDir has an after_deploy with a delay behind a before_deploy, and a
// migration that depends on it.
func delayDir(t *testing.T) string {
	return writeDir(t, map[string]string{
		"0001_users.sql":     "-- safe: before_deploy\nCREATE TABLE users (id int, full_name text);\n",
		"0002_drop_name.sql": "-- safe: after_deploy\n-- delay: 7d\nALTER TABLE users DROP COLUMN full_name;\n",
		"0003_index.sql":     "-- safe: always\nCREATE INDEX users_id ON users (id);\n",
		"x/0001_other.sql":   "-- safe: after_deploy\nCREATE TABLE other (id int);\n",
	})
}

// TestPostDeployHoldsDelays: a delay is rollback headroom; the post-deploy
// job does not cut it short (docs/planning.md).
func TestPostDeployHoldsDelays(t *testing.T) {
	dir := delayDir(t)
	url := pgtest.NewDatabase(t)
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, []any{"0001_users", "x/0001_other"}, doc["applied"])
	assert.Equal(t, []any{"0002_drop_name", "0003_index"}, doc["detected"], "a post-deploy run records detection")

	// The column is still there: the delay holds.
	conn := pgtest.Connect(t, url)
	var n int
	require.NoError(t, conn.QueryRow(context.Background(),
		`SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'`).Scan(&n))
	assert.Equal(t, 1, n)

	r = runDB(t, url, dir, "plan", "--phase", "post-deploy")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0002_drop_name")
	assert.Contains(t, r.stdout, "rollback headroom")
	assert.Contains(t, r.stdout, "waits for 0002_drop_name")

	// Pre-deploy: no "run the post-deploy phase" warning inside the delay.
	r = runDB(t, url, dir, "plan", "--phase", "pre-deploy")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "has waited since")

	// Eight days later the delay has passed.
	_, err := conn.Exec(context.Background(), `UPDATE safemigrate_detected SET detected_at = detected_at - interval '8 days'`)
	require.NoError(t, err)
	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []any{"0002_drop_name", "0003_index"}, assertOneJSON(t, r.stdout)["applied"])

	t.Run("--ignore-delays runs it now", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--ignore-delays", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		doc := assertOneJSON(t, r.stdout)
		assert.Len(t, doc["applied"], 4)
		assert.Empty(t, doc["detected"])
	})

	t.Run("mode disabled runs everything in pre-deploy", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		r := runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--mode", "disabled", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Len(t, assertOneJSON(t, r.stdout)["applied"], 4)
	})
}

// TestMigrateTo: --to runs the target and its pending dependencies only.
func TestMigrateTo(t *testing.T) {
	url := pgtest.NewDatabase(t)
	r := runDB(t, url, example, "plan", "--phase", "post-deploy", "--to", "billing/2", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	ids := func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(map[string]any)["id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"0001_create_accounts", "billing/0001_create_plans", "billing/0002_create_invoices"}, ids(doc["run"]))
	assert.Equal(t, "billing/0002_create_invoices", doc["to"])

	r = runDB(t, url, example, "preflight", "--to", "0002_create_users", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, assertOneJSON(t, r.stdout)["preflight"].(map[string]any)["migrations"], 2)

	r = runDB(t, url, example, "migrate", "--phase", "pre-deploy", "--to", "billing/0002_create_invoices", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []any{"0001_create_accounts", "billing/0001_create_plans", "billing/0002_create_invoices"}, assertOneJSON(t, r.stdout)["applied"])

	r = runDB(t, url, example, "migrate", "--phase", "pre-deploy", "--to", "0002_create_user")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "did you mean 0002_create_users?")
}

// TestAccept: a cosmetic change to an applied file is accepted with its
// old and new checksums, and plan stops refusing it (docs/planning.md).
func TestAccept(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_a.sql": "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql": "-- safe: before_deploy\nCREATE TABLE b (id int);\n",
	})
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy").code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: before_deploy\n-- the a table\nCREATE TABLE a (id int);\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0003_c.sql"), []byte("-- safe: before_deploy\nCREATE TABLE c (id int);\n"), 0o644))

	r := runDB(t, url, dir, "plan", "--phase", "post-deploy")
	require.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "safemigrate accept")

	r = runDB(t, url, dir, "accept", "3")
	assert.Equal(t, 2, r.code, "0003_c is not applied")
	assert.Contains(t, r.stderr, "not applied")

	r = runDB(t, url, dir, "accept")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--all")

	r = runDB(t, url, dir, "accept", "1", "0002_b", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	acc := doc["accepted"].([]any)
	require.Len(t, acc, 1)
	a := acc[0].(map[string]any)
	assert.Equal(t, "0001_a", a["id"])
	assert.NotEqual(t, a["old_checksum"], a["new_checksum"])
	assert.Len(t, a["new_checksum"], 64)
	assert.Equal(t, []any{"0002_b"}, doc["unchanged"])

	r = runDB(t, url, dir, "plan", "--phase", "post-deploy")
	assert.Equal(t, 0, r.code, r.stderr)
	r = runDB(t, url, dir, "accept", "--all")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Nothing to accept")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "0002_b.sql"), []byte("-- safe: before_deploy\nCREATE TABLE b (id int); -- b\n"), 0o644))
	r = runDB(t, url, dir, "accept", "--all")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0002_b")
	assert.Contains(t, r.stdout, "old ")
	assert.Contains(t, r.stdout, "new ")
}

// TestBaselineDryRunAndShortReferences: baseline --dry-run writes nothing;
// short references work as in depends; a typo gets "did you mean".
func TestBaselineDryRunAndShortReferences(t *testing.T) {
	url := pgtest.NewDatabase(t)
	r := runDB(t, url, example, "baseline", "--through", "billing/2", "--dry-run", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, true, doc["dry_run"])
	assert.Equal(t, []any{"0001_create_accounts", "billing/0001_create_plans", "billing/0002_create_invoices"}, doc["recorded"])
	r = runDB(t, url, example, "status", "--format", "json")
	assert.NotContains(t, r.stdout, "baseline", "a dry run writes nothing")

	r = runDB(t, url, example, "baseline", "--through", "2", "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Dry run")
	assert.Contains(t, r.stdout, "0002_create_users")

	r = runDB(t, url, example, "baseline", "--through", "0002_create_user")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "did you mean 0002_create_users?")

	r = runDB(t, url, example, "baseline", "--through", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0002_create_users")
}
