package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// runDB runs the CLI against url with the migrations in dir.
func runDB(t *testing.T, url, dir string, args ...string) result {
	t.Helper()
	return run(t, append([]string{"--dir", dir, "--database-url", url, "--no-color"}, args...)...)
}

func TestReleaseOnTheExample(t *testing.T) {
	url := pgtest.NewDatabase(t)

	r := runDB(t, url, example, "plan", "--phase", "pre-deploy")
	assert.Equal(t, 3, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0009_create_audit_events")

	r = runDB(t, url, example, "migrate", "--phase", "pre-deploy")
	assert.Equal(t, 3, r.code, "strict pre-deploy with a blocked migration: %s", r.stderr)
	assert.Contains(t, r.stdout, "BLOCKED")
	r = runDB(t, url, example, "status", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, `"state": "applied"`, "a blocked strict run applies nothing")

	r = runDB(t, url, example, "migrate", "--phase", "pre-deploy", "--mode", "nonstrict", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, true, doc["ok"])
	assert.Len(t, doc["applied"], 11)
	pf := doc["preflight"].(map[string]any)
	assert.Equal(t, true, pf["ok"])
	statuses := map[string]string{}
	for _, m := range pf["migrations"].([]any) {
		mm := m.(map[string]any)
		statuses[mm["id"].(string)] = mm["status"].(string)
		assert.Contains(t, mm, "duration_ms")
	}
	assert.Equal(t, "skipped", statuses["0005_index_users_email"], "transaction: false is not rehearsed on the target")
	assert.Equal(t, "ok", statuses["0001_create_accounts"])

	r = runDB(t, url, example, "graph")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `0005_index_users_email\s+before_deploy\s+applied`, r.stdout)
	assert.Regexp(t, `0006_drop_users_full_name\s+after_deploy\s+pending`, r.stdout)
	r = runDB(t, url, example, "graph", "--offline")
	assert.NotContains(t, r.stdout, "applied")

	r = runDB(t, url, example, "status", "--check")
	assert.Equal(t, 1, r.code, "pending migrations make --check fail")
	assert.Contains(t, r.stdout, "11 applied, 5 pending")

	// 0006_drop_users_full_name has delay: 7d, detected by the pre-deploy
	// run just now: post-deploy keeps it (and what follows it) back.
	r = runDB(t, url, example, "plan", "--phase", "post-deploy")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "11 migrations applied, 1 to run, 4 delayed")

	r = runDB(t, url, example, "migrate", "--phase", "post-deploy")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OK: 1 migration applied.")
	r = runDB(t, url, example, "migrate", "--phase", "post-deploy", "--ignore-delays")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OK: 4 migrations applied.")

	r = runDB(t, url, example, "status", "--check")
	assert.Equal(t, 0, r.code, r.stdout)
	r = runDB(t, url, example, "migrate", "--phase", "post-deploy")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "nothing to apply")
}

// writeDir writes migration files into a fresh directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		writeFile(t, dir, name, body)
	}
	return dir
}

// writeFile writes body to dir/name, creating name's directories, and
// returns the file's path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestDrift(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_a.sql": "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql": "-- safe: before_deploy\nCREATE TABLE b (id int);\n",
	})
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy").code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: before_deploy\nCREATE TABLE a (id bigint);\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0003_c.sql"), []byte("-- safe: before_deploy\nCREATE TABLE c (id int);\n"), 0o644))

	for _, args := range [][]string{
		{"plan", "--phase", "post-deploy"},
		{"migrate", "--phase", "post-deploy"},
		{"preflight"},
	} {
		r := runDB(t, url, dir, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stdout)
		assert.Contains(t, r.stderr, "0001_a.sql", "%v names the changed file", args)
	}
	r := runDB(t, url, dir, "status")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "DRIFT")
	assert.Equal(t, 1, runDB(t, url, dir, "status", "--check").code)

	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--allow-drift")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "0001_a.sql changed since it was applied")
}

func TestPreflightFailureReportsEveryStatementAndAppliesNothing(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_t.sql":        "-- safe: before_deploy\nCREATE TABLE t (id int, note text);\nINSERT INTO t VALUES (1, NULL);\n",
		"0002_not_null.sql": "-- safe: after_deploy\n\n-- make note required\nALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ALTER COLUMN note SET NOT NULL;\n",
		"0003_bad.sql":      "-- safe: always\nSELECT * FROM missing_table;\n",
	})
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--format", "json")
	require.Equal(t, 1, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	assert.Empty(t, doc["applied"])
	var failed []map[string]any
	for _, m := range doc["preflight"].(map[string]any)["migrations"].([]any) {
		if mm := m.(map[string]any); mm["status"] == "failed" {
			failed = append(failed, mm["error"].(map[string]any))
		}
	}
	require.Len(t, failed, 2, "one preflight reports every failure")
	assert.EqualValues(t, 2, failed[0]["statement"])
	assert.EqualValues(t, 5, failed[0]["line"])
	assert.Equal(t, "23502", failed[0]["sqlstate"])
	assert.Equal(t, "42P01", failed[1]["sqlstate"])

	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "0002_not_null.sql:5")
	assert.Contains(t, r.stdout, "nothing was applied")
	r = runDB(t, url, dir, "status", "--format", "json")
	assert.NotContains(t, r.stdout, `"applied"`+": \"")
	assert.NotContains(t, r.stdout, `"state": "applied"`)
}

func TestBaselineCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	r := runDB(t, url, example, "baseline", "--through", "billing/0002_create_invoices", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, []any{"0001_create_accounts", "billing/0001_create_plans", "billing/0002_create_invoices"}, doc["recorded"])
	r = runDB(t, url, example, "status")
	assert.Contains(t, r.stdout, "baseline")
	r = runDB(t, url, example, "baseline", "--through", "0042_nope")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "0042_nope")
	r = runDB(t, url, example, "migrate", "--phase", "pre-deploy", "--initial")
	assert.Equal(t, 2, r.code, "--initial on a database with applied rows")
	assert.Contains(t, r.stderr, "--initial")
}

func TestInitialRunsEverythingOnAnEmptyDatabase(t *testing.T) {
	url := pgtest.NewDatabase(t)
	r := runDB(t, url, example, "migrate", "--phase", "pre-deploy", "--initial")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OK: 16 migrations applied.")
}

func TestPasswordNeverPrinted(t *testing.T) {
	const secret = "s3cr3t-pw"
	for _, args := range [][]string{
		{"migrate", "--phase", "post-deploy"},
		{"status"},
		{"plan", "--phase", "pre-deploy"},
		{"--format", "json", "status"},
	} {
		for _, url := range []string{
			"postgres://alice:" + secret + "@127.0.0.1:1/db?connect_timeout=2",
			"host=127.0.0.1 port=1 user=alice password=" + secret + " dbname=db connect_timeout=2",
			// Mistyped URLs are echoed by the parser that refuses them.
			"postgres//alice:" + secret + "@127.0.0.1:1/db",
			"postgresql:/alice:" + secret + "@127.0.0.1:1/db",
			"postgres:" + secret + "@127.0.0.1:1/db",
		} {
			r := run(t, append([]string{"--dir", example, "--database-url", url}, args...)...)
			assert.Equal(t, 2, r.code, "%v: connection errors exit 2", args)
			assert.NotContains(t, r.stderr+r.stdout, secret)
			assert.Contains(t, r.stderr, "connect")
		}
	}
	// A connection string in the wrong place of the config file.
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tenants:\n  databases: postgres://alice:"+secret+"@127.0.0.1:1/db\n"), 0o600))
	r0 := run(t, "--dir", example, "--config", cfg, "--format", "json", "status")
	assert.Equal(t, 2, r0.code, r0.stderr)
	assert.Contains(t, r0.stderr, "tenants.databases must be a list")
	assert.NotContains(t, r0.stderr+r0.stdout, secret)
	// DATABASE_URL from the environment works, and is redacted too.
	t.Setenv("DATABASE_URL", "postgres://alice:"+secret+"@127.0.0.1:1/db?connect_timeout=2")
	r := run(t, "--dir", example, "status")
	assert.Equal(t, 2, r.code)
	assert.False(t, strings.Contains(r.stderr+r.stdout, secret))
}

func TestRefusedOrFailedRunsExplainThemselves(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_a.sql": "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
	})
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy").code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: before_deploy\nCREATE TABLE a (id bigint);\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0002_b.sql"), []byte("-- safe: before_deploy\nINSERT INTO nowhere VALUES (1);\n"), 0o644))

	for _, cmd := range [][]string{{"migrate", "--phase", "post-deploy"}, {"preflight"}} {
		t.Run("drift "+cmd[0], func(t *testing.T) {
			r := runDB(t, url, dir, cmd...)
			require.Equal(t, 2, r.code, r.stderr)
			assert.NotContains(t, r.stdout, "drift allowed", "drift was refused, not allowed")
			assert.Contains(t, r.stdout, "nothing was run")

			r = runDB(t, url, dir, append(cmd, "--format", "json")...)
			require.Equal(t, 2, r.code, r.stderr)
			doc := assertOneJSON(t, r.stdout)
			assert.Equal(t, false, doc["ok"])
			e, _ := doc["error"].(map[string]any)
			require.NotNil(t, e, "the JSON says why the run stopped: %s", r.stdout)
			assert.Contains(t, e["message"], "0001_a.sql")
			assert.EqualValues(t, 2, e["exit_code"])
			assert.Contains(t, r.stderr, "0001_a.sql", "the error goes to stderr in JSON mode too")
			assert.NotContains(t, r.stdout, "drift allowed")
		})
	}

	t.Run("failed apply in JSON mode", func(t *testing.T) {
		r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--allow-drift", "--no-preflight", "--format", "json")
		require.Equal(t, 1, r.code, r.stderr)
		doc := assertOneJSON(t, r.stdout)
		e, _ := doc["error"].(map[string]any)
		require.NotNil(t, e, r.stdout)
		assert.Contains(t, e["message"], "0002_b")
		assert.EqualValues(t, 1, e["exit_code"])
		assert.Contains(t, r.stderr, "nowhere")
	})
}

func TestLockWaitZeroDoesNotWait(t *testing.T) {
	url := pgtest.NewDatabase(t)
	tg, err := executor.ParseTarget(url)
	require.NoError(t, err)
	holder, err := executor.Open(context.Background(), tg, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	defer holder.Close(context.Background())

	start := time.Now()
	r := runDB(t, url, example, "migrate", "--phase", "post-deploy", "--lock-wait", "0")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "another safemigrate run is in progress")
	assert.Less(t, time.Since(start), 3*time.Second, "--lock-wait 0 gives up at once")
	assert.NotContains(t, r.stderr, "up to 5m")
}

// TestFailurePathsAreRelativeToTheWorkingDirectory: a failure names the
// file as the user can open it (migrations/0002_b.sql:2), as load errors
// do, not relative to the migrations directory.
func TestFailurePathsAreRelativeToTheWorkingDirectory(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_a.sql":         "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"billing/0001_b.sql": "-- safe: before_deploy\nINSERT INTO nowhere VALUES (1);\n",
	})
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy")
	require.Equal(t, 1, r.code, r.stderr)
	want := filepath.ToSlash(filepath.Join(dir, "billing", "0001_b.sql")) + ":2"
	assert.Contains(t, r.stdout, want)
	assert.Contains(t, r.stderr, want)
	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--format", "json")
	assert.Contains(t, r.stdout, `"file": "`+filepath.ToSlash(filepath.Join(dir, "billing", "0001_b.sql"))+`"`)

	require.NoError(t, os.Remove(filepath.Join(dir, "billing", "0001_b.sql")))
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy").code)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: before_deploy\nCREATE TABLE a (id bigint);\n"), 0o644))
	for _, args := range [][]string{{"plan", "--phase", "post-deploy"}, {"migrate", "--phase", "post-deploy"}} {
		r = runDB(t, url, dir, args...)
		require.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, filepath.ToSlash(filepath.Join(dir, "0001_a.sql")), "%v", args)
	}
}

// TestEmptyEnvironmentVariableDoesNotHideDatabaseURL: a CI job may define
// SAFEMIGRATE_DATABASE_URL as an empty string; DATABASE_URL still applies.
func TestEmptyEnvironmentVariableDoesNotHideDatabaseURL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	t.Setenv("SAFEMIGRATE_DATABASE_URL", "")
	t.Setenv("DATABASE_URL", url)
	r := run(t, "--dir", example, "status")
	assert.Equal(t, 0, r.code, r.stderr)
	r = run(t, "--dir", example, "graph")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "pending", "graph reads the state from DATABASE_URL")
}
