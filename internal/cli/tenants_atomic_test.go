package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFleetMigrateAtomic(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "t1", "t2", "t3")
	// t2's duplicate ids break 0002 there.
	sqlExec(t, conn, `CREATE TABLE t2.items (id int); INSERT INTO t2.items VALUES (1), (1)`)
	dir := writeDir(t, map[string]string{
		"0001_items.sql":  "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS items (id int);\n",
		"0002_unique.sql": "-- safe: always\nCREATE UNIQUE INDEX items_id ON items (id);\n",
	})
	all := []string{"0001_items", "0002_unique"}

	// t2 first: its transaction rolls back, nothing is applied anywhere.
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--atomic", "--schemas", "t2,t3", "--jobs", "1")
	require.Equal(t, 1, r.code, r.stderr)
	assert.Regexp(t, `t2\s+failed\s+2\s+1 ok, 1 failed\s+0\s+0002_unique`, r.stdout)
	assert.Regexp(t, `t3\s+not_started`, r.stdout)
	assert.Regexp(t, `tenant\s+state\s+to run\s+atomic pass\s+applied`, r.stdout, "no separate preflight ran")
	assert.Contains(t, r.stdout, "FAILED: 1 of 2 tenants failed; nothing was applied in any tenant (exit 1).")
	assert.Empty(t, trackedIn(t, conn, "t2"))
	assert.Empty(t, trackedIn(t, conn, "t3"))

	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--atomic", "--schemas", "t1,t2,t3", "--jobs", "1", "--format", "json")
	require.Equal(t, 1, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	pf := doc["preflight"].(map[string]any)
	assert.Equal(t, true, pf["atomic"])
	assert.Equal(t, []any{"0001_items", "0002_unique"}, doc["applied"])
	tenants := doc["tenants"].([]any)
	require.Len(t, tenants, 3)
	assert.Equal(t, "applied", tenants[0].(map[string]any)["state"])
	t2 := tenants[1].(map[string]any)
	assert.Equal(t, "failed", t2["state"])
	assert.Equal(t, []any{}, t2["applied"])
	assert.EqualValues(t, 1, t2["error"].(map[string]any)["exit_code"])
	assert.Equal(t, "not_started", tenants[2].(map[string]any)["state"])
	assert.Equal(t, all, trackedIn(t, conn, "t1"))
	assert.Empty(t, trackedIn(t, conn, "t2"))
	assert.Empty(t, trackedIn(t, conn, "t3"))

	// The configuration's atomic: true applies to fleets too; a rerun
	// finishes the job.
	sqlExec(t, conn, `DELETE FROM t2.items`)
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("atomic: true\n"), 0o644))
	r = runDB(t, url, dir, "--config", cfg, "migrate", "--phase", "post-deploy", "--schemas", "t1,t2,t3", "--jobs", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "atomic: committed 0001_items, 0002_unique")
	assert.Contains(t, r.stdout, "OK: 4 migrations applied in 2 of 3 tenants.")
	for _, s := range []string{"t1", "t2", "t3"} {
		assert.Equal(t, all, trackedIn(t, conn, s), s)
	}
}
