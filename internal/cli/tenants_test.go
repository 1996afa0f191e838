package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// fleetDB creates a database with the given schemas and returns its URL
// and a connection to it.
func fleetDB(t *testing.T, schemas ...string) (string, *pgx.Conn) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	for _, s := range schemas {
		sqlExec(t, conn, "CREATE SCHEMA "+pgx.Identifier{s}.Sanitize())
	}
	return url, conn
}

func sqlExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	_, err := conn.Exec(context.Background(), sql)
	require.NoError(t, err, sql)
}

func sqlStrings(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	require.NoError(t, err, sql)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err, sql)
	return out
}

// trackedIn lists the applied IDs of a tenant ([] without tracking table).
func trackedIn(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	table := pgx.Identifier{schema, "safemigrate_migrations"}.Sanitize()
	if len(sqlStrings(t, conn, `SELECT 'x' FROM (SELECT to_regclass('`+strings.ReplaceAll(table, "'", "''")+`') r) x WHERE r IS NOT NULL`)) == 0 {
		return []string{}
	}
	return sqlStrings(t, conn, `SELECT id FROM `+table+` ORDER BY id`)
}

// shopMigrations: 0003 fails in a tenant holding an order without status.
var shopMigrations = map[string]string{
	"0001_create_orders.sql":          "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, status text);\n",
	"0002_orders_status_default.sql":  "-- safe: before_deploy\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\n",
	"0003_orders_status_not_null.sql": "-- safe: always\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n",
}

// scrub replaces the temporary migrations directory in output.
func scrub(out, dir string) string {
	return strings.ReplaceAll(out, filepath.ToSlash(dir), "migrations")
}

func TestFleetMigrateIsAllOrNothing(t *testing.T) {
	t.Parallel()
	tenants := []string{"acme", "globex", "Initech-EU", "umbrella corp"}
	url, conn := fleetDB(t, tenants...)
	sqlExec(t, conn, `CREATE TABLE globex.orders (id bigint PRIMARY KEY, status text); INSERT INTO globex.orders VALUES (1, NULL)`)
	dir := writeDir(t, shopMigrations)
	schemas := strings.Join(tenants, ",")

	r := runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", schemas, "--jobs", "2")
	require.Equal(t, 1, r.code, r.stderr)
	golden(t, "fleet_migrate_failed.txt", scrub(r.stdout, dir))
	assert.Contains(t, r.stderr, "safemigrate: error: 1 of 4 tenants failed before anything was applied; nothing was applied in any tenant (details above)")
	assert.Contains(t, r.stderr, "tenants: 4/4 preflighted, 1 failed\n", "plain progress lines when stderr is not a terminal")
	assert.NotContains(t, r.stderr, "\r")
	for _, s := range tenants {
		assert.Empty(t, trackedIn(t, conn, s), "nothing applied in %s", s)
	}
	assert.Empty(t, sqlStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'acme'`))

	r = runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", schemas, "--jobs", "2", "--format", "json")
	require.Equal(t, 1, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	for _, k := range []string{"ok", "phase", "preflight", "applied", "tenants"} {
		assert.Contains(t, doc, k)
	}
	assert.Equal(t, false, doc["ok"])
	var failing []string
	for _, m := range doc["preflight"].(map[string]any)["migrations"].([]any) {
		mm := m.(map[string]any)
		if mm["status"] == "failed" {
			failing = append(failing, mm["tenant"].(string)+":"+mm["id"].(string))
		}
	}
	assert.Equal(t, []string{"globex:0003_orders_status_not_null"}, failing)
	ts := doc["tenants"].([]any)
	require.Len(t, ts, 4)
	byName := map[string]map[string]any{}
	for _, tn := range ts {
		m := tn.(map[string]any)
		for _, k := range []string{"tenant", "ok", "state", "preflight", "applied", "plan"} {
			assert.Contains(t, m, k)
		}
		byName[m["tenant"].(string)] = m
	}
	assert.Equal(t, false, byName["globex"]["ok"])
	assert.Equal(t, "failed", byName["globex"]["state"])
	assert.Equal(t, true, byName["umbrella corp"]["ok"])
	assert.Equal(t, "preflighted", byName["umbrella corp"]["state"])
	assert.Contains(t, byName["globex"], "error")
	assert.Equal(t, []any{}, doc["applied"])

	sqlExec(t, conn, `UPDATE globex.orders SET status = 'paid'`)
	r = runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", schemas, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc = assertOneJSON(t, r.stdout)
	assert.Equal(t, true, doc["ok"])
	assert.Equal(t, []any{"0001_create_orders", "0002_orders_status_default", "0003_orders_status_not_null"}, doc["applied"])
	for _, tn := range doc["tenants"].([]any) {
		m := tn.(map[string]any)
		assert.Equal(t, "applied", m["state"])
		assert.Len(t, m["applied"], 3)
	}
	for _, s := range tenants {
		assert.Equal(t, []string{"0001_create_orders", "0002_orders_status_default", "0003_orders_status_not_null"}, trackedIn(t, conn, s), s)
	}
}

func TestFleetTextOutputIsAligned(t *testing.T) {
	t.Parallel()
	tenants := []string{"acme", "Initech-EU", "umbrella corp"}
	url, _ := fleetDB(t, tenants...)
	dir := writeDir(t, shopMigrations)
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", strings.Join(tenants, ","), "--jobs", "3")
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "fleet_migrate_ok.txt", r.stdout)
	assert.Contains(t, r.stderr, "[umbrella corp] ✓ 0003_orders_status_not_null (apply) ")

	r = runDB(t, url, dir, "status", "--schemas", "acme,Initech-EU")
	require.Equal(t, 0, r.code, r.stderr)
	// Every row of the tenant table starts its columns at the same offsets.
	var starts []int
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "  ") {
			starts = append(starts, regexp.MustCompile(`\S+\s+(\d|applied)`).FindStringSubmatchIndex(line)[2])
		}
	}
	require.Len(t, starts, 3, r.stdout)
	assert.Equal(t, starts[0], starts[1])
	assert.Equal(t, starts[0], starts[2])
}

func TestFleetApplyFailureStopsAndRerunContinues(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "t1", "t2", "t3")
	sqlExec(t, conn, `CREATE TABLE t2.items (id int); INSERT INTO t2.items VALUES (1), (1)`)
	dir := writeDir(t, map[string]string{
		"0001_items.sql":  "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS items (id int);\n",
		"0002_unique.sql": "-- safe: before_deploy\n-- transaction: false\nCREATE UNIQUE INDEX CONCURRENTLY items_id ON items (id);\n",
	})
	r := runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", "t1,t2,t3", "--jobs", "1")
	require.Equal(t, 1, r.code, r.stderr)
	assert.Regexp(t, `t1\s+applied\s+2\s+1 ok, 1 skipped\s+2\n`, r.stdout)
	assert.Regexp(t, `t2\s+failed\s+2\s+1 ok, 1 skipped\s+1\s+0002_unique: statement 1, line 3: could not create unique index`, r.stdout)
	assert.Regexp(t, `t3\s+not_started\s+2`, r.stdout)
	assert.Contains(t, r.stdout, "FAILED: apply failed in 1 of 3 tenants; 1 applied and kept, 1 not started (exit 1).")
	assert.Empty(t, trackedIn(t, conn, "t3"))

	sqlExec(t, conn, `DELETE FROM t2.items`)
	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", "t1,t2,t3", "--jobs", "1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OK: 3 migrations applied in 2 of 3 tenants.")
	for _, s := range []string{"t1", "t2", "t3"} {
		assert.Equal(t, []string{"0001_items", "0002_unique"}, trackedIn(t, conn, s))
	}
}

func TestFleetFromConfigAndQuery(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "tenant_a", "tenant_b", "other")
	sqlExec(t, conn, `CREATE FUNCTION public.code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$`)
	dir := writeDir(t, map[string]string{
		"0001_t.sql": "-- safe: before_deploy\nCREATE TABLE t (id int, code text DEFAULT code());\n",
	})
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tenants:\n  query: SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1\n  search_path: [public]\n  jobs: 3\n"), 0o644))

	r := runDB(t, url, dir, "--config", cfg, "migrate", "--phase", "post-deploy", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.EqualValues(t, 3, doc["jobs"])
	require.Len(t, doc["tenants"], 2)
	assert.Equal(t, []string{"0001_t"}, trackedIn(t, conn, "tenant_b"))
	assert.Empty(t, trackedIn(t, conn, "other"))

	// Flags win over the configuration's tenants (search_path stays).
	r = runDB(t, url, dir, "--config", cfg, "migrate", "--phase", "post-deploy", "--schemas-query", "SELECT 'other'")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"0001_t"}, trackedIn(t, conn, "other"))

	r = runDB(t, url, dir, "status", "--schemas-query", "SELECT nspname FROM pg_namespace WHERE false")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the tenants query returned no schema")
	assert.Contains(t, r.stdout, "Status of 0 tenants")
}

func TestFleetUsageErrors(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "a", "B-b")
	dir := writeDir(t, shopMigrations)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing schemas", []string{"migrate", "--phase", "post-deploy", "--schemas", "a,nope,No Pe"}, `tenant schemas "nope", "No Pe" do not exist; nothing was run`},
		{"case matters", []string{"status", "--schemas", "b-b"}, `tenant schema "b-b" does not exist`},
		{"bad query", []string{"preflight", "--schemas-query", "SELECT 1, 2"}, "it returns 2 columns"},
		{"both flags", []string{"migrate", "--phase", "post-deploy", "--schemas", "a", "--schemas-query", "SELECT 'a'"}, "--schemas"},
		{"jobs", []string{"migrate", "--phase", "post-deploy", "--schemas", "a", "--jobs", "0"}, `--jobs must be at least 1`},
		{"plan offline", []string{"plan", "--phase", "post-deploy", "--schemas", "a", "--offline"}, "--offline"},
		{"trace", []string{"preflight", "--schemas", "a", "--trace"}, "do not work with tenant fleets yet"},
		{"ephemeral", []string{"preflight", "--schemas", "a", "--ephemeral"}, "do not work with tenant fleets yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runDB(t, url, dir, tt.args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			r = runDB(t, url, dir, append(tt.args, "--format", "json")...)
			doc := assertOneJSON(t, r.stdout)
			assert.Equal(t, false, doc["ok"])
			assert.Contains(t, doc, "error")
		})
	}
	assert.Empty(t, trackedIn(t, conn, "a"), "nothing ran")
}

func TestFleetBlockedAndDriftAcrossTenants(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "a", "b")
	base := map[string]string{
		"0001_base.sql":     "-- safe: before_deploy\nCREATE TABLE t (id int, old text);\n",
		"0002_drop_old.sql": "-- safe: after_deploy\nALTER TABLE t DROP COLUMN old;\n",
	}
	dir := writeDir(t, base)
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", "a").code)
	r := runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", "b")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Detected (delays start now): 0002_drop_old")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0003_add.sql"), []byte("-- safe: before_deploy\nALTER TABLE t ADD COLUMN new text;\n"), 0o644))

	r = runDB(t, url, dir, "plan", "--phase", "pre-deploy", "--schemas", "a,b", "--format", "json")
	require.Equal(t, 3, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	require.Len(t, doc["tenants"], 2)
	assert.Len(t, doc["blocked"], 1, "blocked in at least one tenant")
	assert.Len(t, doc["run"], 1, "0003 would run in a")

	r = runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", "a,b")
	require.Equal(t, 3, r.code, r.stderr)
	assert.Regexp(t, `b\s+blocked\s+0\s+-\s+0\s+blocked by 0002_drop_old`, r.stdout)
	assert.Contains(t, r.stdout, "BLOCKED: strict pre-deploy ran nothing in any tenant: 1 of 2 tenants blocked (exit 3).")
	assert.Equal(t, []string{"0001_base", "0002_drop_old"}, trackedIn(t, conn, "a"), "0003 ran nowhere")

	r = runDB(t, url, dir, "migrate", "--phase", "pre-deploy", "--schemas", "a,b", "--mode", "nonstrict")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"0001_base", "0002_drop_old", "0003_add"}, trackedIn(t, conn, "a"))

	sqlExec(t, conn, `UPDATE b.safemigrate_migrations SET checksum = 'changed'`)
	for _, args := range [][]string{
		{"migrate", "--phase", "post-deploy", "--schemas", "a,b"},
		{"preflight", "--schemas", "a,b"},
		{"plan", "--phase", "post-deploy", "--schemas", "a,b"},
	} {
		r = runDB(t, url, dir, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stdout)
		assert.Contains(t, r.stderr, "tenant b:", "%v names the tenant", args)
		assert.Contains(t, r.stderr, "0001_base", "%v names the file", args)
	}
	assert.Equal(t, []string{"0001_base"}, trackedIn(t, conn, "b"))
	r = runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", "a,b", "--allow-drift")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"0001_base", "0002_drop_old", "0003_add"}, trackedIn(t, conn, "b"))
}

func TestFleetStatusPerTenant(t *testing.T) {
	t.Parallel()
	url, conn := fleetDB(t, "a", "b")
	dir := writeDir(t, shopMigrations)
	require.Equal(t, 0, runDB(t, url, dir, "migrate", "--phase", "post-deploy", "--schemas", "a").code)
	sqlExec(t, conn, `INSERT INTO a.safemigrate_migrations (id, checksum, safe, phase, duration_ms) VALUES ('0000_gone', 'x', 'always', 'post-deploy', 0)`)

	r := runDB(t, url, dir, "status", "--schemas", "a,b")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Status of 2 tenants: 1 up to date, 1 with pending migrations, 0 with drift")
	assert.Regexp(t, `a\s+3\s+0\s+0\s+1\s+unknown: 0000_gone`, r.stdout)
	assert.Regexp(t, `b\s+0\s+3\s+0\s+0\s+pending: 0001_create_orders, 0002_orders_status_default, 0003_orders_status_not_null`, r.stdout)
	assert.Equal(t, 1, runDB(t, url, dir, "status", "--schemas", "a,b", "--check").code)
	assert.Equal(t, 0, runDB(t, url, dir, "status", "--schemas", "a", "--check").code)

	r = runDB(t, url, dir, "status", "--schemas", "a,b", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	ts := doc["tenants"].([]any)
	require.Len(t, ts, 2)
	b := ts[1].(map[string]any)
	assert.Equal(t, "b", b["tenant"])
	assert.Len(t, b["migrations"], 3)
	assert.Equal(t, "pending", b["migrations"].([]any)[0].(map[string]any)["state"])
}

func TestFleetOfDatabases(t *testing.T) {
	t.Parallel()
	var urls []string
	var conns []*pgx.Conn
	for range 3 {
		u, c := fleetDB(t)
		urls, conns = append(urls, u), append(conns, c)
	}
	_, pw := redact.SplitPassword(urls[0])
	require.NotEmpty(t, pw)
	dir := writeDir(t, shopMigrations)
	list := filepath.Join(t.TempDir(), "databases.txt")
	require.NoError(t, os.WriteFile(list, []byte("# tenants\n"+urls[0]+"\n\n"+urls[1]+"\n"), 0o600))

	r := run(t, "--dir", dir, "--no-color", "migrate", "--phase", "post-deploy", "--databases", list, "--jobs", "2", "--jobs-per-server", "1", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, pw)
	doc := assertOneJSON(t, r.stdout)
	ts := doc["tenants"].([]any)
	require.Len(t, ts, 2)
	for _, tn := range ts {
		name := tn.(map[string]any)["tenant"].(string)
		assert.Regexp(t, `^/.+:\d+/test_`, name, "host:port/database")
		assert.Equal(t, "applied", tn.(map[string]any)["state"])
	}
	for _, c := range conns[:2] {
		assert.Equal(t, []string{"0001_create_orders", "0002_orders_status_default", "0003_orders_status_not_null"}, trackedIn(t, c, "public"))
	}
	assert.Empty(t, trackedIn(t, conns[2], "public"))

	// The query form, run on --database-url; the text output names them too.
	sqlExec(t, conns[2], `CREATE TABLE tenants (url text)`)
	_, err := conns[2].Exec(context.Background(), `INSERT INTO tenants VALUES ($1), ($2)`, urls[1], urls[2])
	require.NoError(t, err)
	r = runDB(t, urls[2], dir, "migrate", "--phase", "post-deploy", "--databases-query", "SELECT url FROM tenants ORDER BY 1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, pw)
	assert.Contains(t, r.stdout, regexp.MustCompile(`/([a-z0-9_]+)\?`).FindStringSubmatch(urls[2])[1])
	assert.Equal(t, []string{"0001_create_orders", "0002_orders_status_default", "0003_orders_status_not_null"}, trackedIn(t, conns[2], "public"))

	// tenants.databases in the config; status reads every database.
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("tenants:\n  databases:\n    - "+urls[0]+"\n    - "+urls[2]+"\n  jobs_per_server: 1\n"), 0o600))
	r = run(t, "--dir", dir, "--config", cfg, "status", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, pw)
	assert.Len(t, assertOneJSON(t, r.stdout)["tenants"], 2)

	// Usage errors: exit 2, no password.
	for _, args := range [][]string{
		{"--databases", list, "--jobs-per-server", "0"},
		{"--databases", list, "--databases-query", "SELECT 1"},
		{"--databases", filepath.Join(t.TempDir(), "missing.txt")},
		{"--databases", list, "--schemas-query", "SELECT 'a'"},
	} {
		r = run(t, append([]string{"--dir", dir, "migrate", "--phase", "post-deploy"}, args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stdout+r.stderr, pw)
	}
	// --jobs-per-server outside a fleet of databases would be ignored.
	for _, args := range [][]string{{"--schemas", "a,b", "--jobs-per-server", "2"}, {"--jobs-per-server", "2"}} {
		r = runDB(t, urls[0], dir, append([]string{"migrate", "--phase", "post-deploy"}, args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "--jobs-per-server applies to a fleet of databases only", args)
	}
	// A schema missing in a database stops the run before anything is
	// applied, as in a fleet of schemas (exit 2).
	r = run(t, "--dir", dir, "migrate", "--phase", "post-deploy", "--databases", list, "--schemas", "nope")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stdout+r.stderr, `tenant schema "nope" does not exist in `)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("# fleet\n"+urls[0]+"\npostgres://u:"+pw+"@h/x?sslmode=nonsense\n\npostgres//u:"+pw+"@h/y\n"+urls[0]+"\n"), 0o600))
	r = run(t, "--dir", dir, "migrate", "--phase", "post-deploy", "--databases", bad, "--format", "json")
	assert.Equal(t, 2, r.code, r.stderr)
	for _, want := range []string{bad + ":3: not a connection string", bad + ":5: not a connection string", bad + ":6: names database "} {
		assert.Contains(t, r.stderr, want, "every bad line is named by its line")
	}
	assert.NotContains(t, r.stdout+r.stderr, pw)
	assertOneJSON(t, r.stdout)
}

// TestFleetStatusWithAServerDown: status of a fleet of databases in which
// one server cannot be reached shows every other tenant's state and names
// the unreachable one, in text and in one JSON document (exit 2), instead
// of giving up on the whole fleet at the first failure.
func TestFleetStatusWithAServerDown(t *testing.T) {
	t.Parallel()
	up, conn := fleetDB(t)
	_, pw := redact.SplitPassword(up)
	dir := writeDir(t, shopMigrations)
	down := "postgres://app:" + pw + "@127.0.0.1:1/gone?connect_timeout=2"
	list := filepath.Join(t.TempDir(), "databases.txt")
	require.NoError(t, os.WriteFile(list, []byte(up+"\n"+down+"\n"), 0o600))
	single := filepath.Join(t.TempDir(), "up.txt")
	require.NoError(t, os.WriteFile(single, []byte(up+"\n"), 0o600))
	r := run(t, "--dir", dir, "migrate", "--phase", "post-deploy", "--databases", single)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, trackedIn(t, conn, "public"), 3)

	r = run(t, "--dir", dir, "--no-color", "status", "--databases", list)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 up to date, 0 with pending migrations, 0 with drift, 1 not read")
	assert.Regexp(t, `127\.0\.0\.1:1/gone\s+-\s+-\s+-\s+-\s+not read: `, r.stdout)
	assert.Regexp(t, `/`+regexp.QuoteMeta(conn.Config().Database)+`\s+3\s+0\s+0\s+0`, r.stdout, "the reachable tenant is shown")
	assert.Contains(t, r.stderr, "1 of 2 tenants could not be read")
	assert.NotContains(t, r.stderr, "--database-url", "the failing URL came from the databases file")
	assert.NotContains(t, r.stdout+r.stderr, pw)

	r = run(t, "--dir", dir, "status", "--databases", list, "--format", "json")
	assert.Equal(t, 2, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	ts := doc["tenants"].([]any)
	require.Len(t, ts, 2)
	assert.Len(t, ts[0].(map[string]any)["migrations"], 3)
	assert.Nil(t, ts[0].(map[string]any)["error"])
	assert.Contains(t, ts[1].(map[string]any)["error"].(map[string]any)["message"], "cannot connect")
	assert.NotContains(t, r.stdout+r.stderr, pw)
}
