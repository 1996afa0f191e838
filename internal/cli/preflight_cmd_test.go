package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/cli"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/testutil"
)

// dbState is a database's schema (pg_dump --schema-only) and the rows of
// every user table, to show that a rehearsal left it as it was.
func dbState(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, url)
	rows, err := conn.Query(ctx, `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString(pgtest.DumpSchema(t, url))
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY 1`, tbl))
		require.NoError(t, err)
		data, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s: %s\n", tbl, strings.Join(data, " | "))
	}
	return b.String()
}

// preflightReport decodes the JSON of a preflight run: the document, and
// each migration's entry by ID.
func preflightReport(t *testing.T, stdout string) (map[string]any, map[string]map[string]any) {
	t.Helper()
	doc := assertOneJSON(t, stdout)
	for _, k := range []string{"ok", "phase", "preflight", "applied"} {
		require.Contains(t, doc, k, "docs/json.md key")
	}
	pf := doc["preflight"].(map[string]any)
	require.Contains(t, pf, "ok")
	byID := map[string]map[string]any{}
	for _, m := range pf["migrations"].([]any) {
		mm := m.(map[string]any)
		for _, k := range []string{"id", "status", "duration_ms"} {
			require.Contains(t, mm, k, "docs/json.md key")
		}
		byID[mm["id"].(string)] = mm
	}
	return doc, byID
}

// clusterTempDir points TMPDIR, where throwaway clusters live, at a fresh
// directory the server user can traverse when the tests run as root, and
// returns it. Call it after pgtest.NewDatabase, so that the shared test
// server is not started in it.
func clusterTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "preflight-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	t.Setenv("TMPDIR", dir)
	return dir
}

// assertNoCluster checks that no throwaway cluster's directory
// (safemigrate-pgcluster-*) is left in dir.
func assertNoCluster(t *testing.T, dir string) {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, "safemigrate-pgcluster-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the throwaway cluster is removed")
}

const (
	accounts     = "-- safe: before_deploy\nCREATE TABLE accounts (id int PRIMARY KEY, name text);\nINSERT INTO accounts VALUES (1, 'a'), (2, 'b');\n"
	addEmail     = "-- safe: before_deploy\nALTER TABLE accounts ADD COLUMN email text;\nCREATE INDEX accounts_name ON accounts (name);\n"
	concurrently = "-- safe: before_deploy\n-- transaction: false\nCREATE INDEX CONCURRENTLY accounts_email ON accounts (email);\n"
)

func TestPreflightAgainst(t *testing.T) {
	target, copyURL := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{"0001_accounts.sql": accounts})
	// The copy is a restore of the target: same schema, same state.
	require.Equal(t, 0, runDB(t, target, dir, "migrate", "--phase", "post-deploy").code)
	require.Equal(t, 0, runDB(t, copyURL, dir, "migrate", "--phase", "post-deploy").code)
	dir = writeDir(t, map[string]string{"0001_accounts.sql": accounts, "0002_email.sql": addEmail, "0003_index.sql": concurrently})
	targetBefore, copyBefore := dbState(t, target), dbState(t, copyURL)

	r := runDB(t, target, dir, "preflight", "--against", copyURL, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc, ms := preflightReport(t, r.stdout)
	assert.Equal(t, true, doc["ok"])
	assert.Equal(t, []any{}, doc["applied"])
	assert.Contains(t, doc["preflight"].(map[string]any)["rehearsed_on"], `database "`+pgDatabase(t, copyURL)+`"`)
	require.Len(t, ms, 2, "the plan comes from the target: 0001 is applied there")
	assert.Equal(t, "ok", ms["0002_email"]["status"])
	assert.Equal(t, "ok", ms["0003_index"]["status"], "transaction: false is rehearsed on a copy")
	assert.Contains(t, ms["0003_index"]["notice"], "rehearsed with transactional equivalents")
	assert.NotContains(t, r.stderr, "warning")

	assert.Equal(t, targetBefore, dbState(t, target), "the target is unchanged")
	assert.Equal(t, copyBefore, dbState(t, copyURL), "the copy is rolled back")

	t.Run("on the target the concurrent index is skipped", func(t *testing.T) {
		r := runDB(t, target, dir, "preflight", "--format", "json")
		require.Equal(t, 0, r.code, r.stderr)
		_, ms := preflightReport(t, r.stdout)
		assert.Equal(t, "skipped", ms["0003_index"]["status"])
	})
	t.Run("the target itself is refused", func(t *testing.T) {
		r := runDB(t, target, dir, "preflight", "--against", target)
		assert.Equal(t, 2, r.code, r.stdout)
		assert.Contains(t, r.stderr, "the rehearsal database is the target itself")
	})
	t.Run("the target spelled otherwise is refused", func(t *testing.T) {
		// A key=value string naming the same database, its host written
		// differently (a trailing slash on a socket directory, or
		// localhost for 127.0.0.1): recognised by server identity.
		cfg, err := pgx.ParseConfig(target)
		require.NoError(t, err)
		host := cfg.Host + "/"
		if !strings.HasPrefix(cfg.Host, "/") {
			host = "localhost"
		}
		spelled := fmt.Sprintf("host='%s' port=%d user='%s' password='%s' dbname='%s' sslmode=disable", host, cfg.Port, cfg.User, cfg.Password, cfg.Database)
		r := runDB(t, target, dir, "preflight", "--against", spelled, "--format", "json")
		assert.Equal(t, 2, r.code, r.stdout)
		assert.Contains(t, r.stderr, "--against: the rehearsal database is the target itself")
		assert.Contains(t, r.stderr, "system identifier")
		if cfg.Password != "" {
			assert.NotContains(t, r.stdout+r.stderr, cfg.Password)
		}
		assertOneJSON(t, r.stdout)
	})
	t.Run("a copy whose identity cannot be read is refused", func(t *testing.T) {
		copyURL := pgtest.NewDatabase(t)
		conn := pgtest.Connect(t, copyURL)
		db := pgDatabase(t, copyURL)
		role := "limited_" + db[len(db)-8:] // the database's random suffix
		ident := pgx.Identifier{role}.Sanitize()
		for _, sql := range []string{
			"REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC",
			"CREATE ROLE " + ident + " LOGIN PASSWORD 'limited-pw'",
		} {
			_, err := conn.Exec(t.Context(), sql)
			require.NoError(t, err)
		}
		t.Cleanup(func() { _, _ = conn.Exec(context.WithoutCancel(t.Context()), "DROP ROLE IF EXISTS "+ident) })
		u, err := url.Parse(copyURL)
		require.NoError(t, err)
		u.User = url.UserPassword(role, "limited-pw")
		r := runDB(t, target, dir, "preflight", "--against", u.String())
		assert.Equal(t, 2, r.code, r.stdout)
		assert.Contains(t, r.stderr, "--against: cannot tell whether the rehearsal database is the target")
		assert.Contains(t, r.stderr, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO "+ident)
		assert.NotContains(t, r.stdout+r.stderr, "limited-pw")
	})
	t.Run("a copy at another state is named", func(t *testing.T) {
		ahead := pgtest.NewDatabase(t)
		require.Equal(t, 0, runDB(t, ahead, dir, "migrate", "--phase", "post-deploy").code)
		r := runDB(t, target, dir, "preflight", "--against", ahead)
		assert.Equal(t, 1, r.code, "the copy already has the email column")
		assert.Contains(t, r.stderr, "applied there but not on the target: 0002_email, 0003_index")
		assert.Contains(t, r.stdout, `column "email" of relation "accounts" already exists`)
	})
	t.Run("an unreachable copy", func(t *testing.T) {
		r := runDB(t, target, dir, "preflight", "--against", "postgres://app:s3cret@127.0.0.1:1/copy?connect_timeout=2", "--format", "json")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "--against: cannot connect")
		assert.NotContains(t, r.stdout+r.stderr, "s3cret")
		assertOneJSON(t, r.stdout)
	})
}

// pgDatabase returns the database name of url.
func pgDatabase(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	return cfg.Database
}

func TestPreflightEphemeralFromTheTarget(t *testing.T) {
	target := pgtest.NewDatabase(t)
	tmp := clusterTempDir(t)
	dir := writeDir(t, map[string]string{"0001_accounts.sql": accounts})
	require.Equal(t, 0, runDB(t, target, dir, "migrate", "--phase", "post-deploy").code)

	// A grant to a role of the target's: the dump only loads where the
	// role exists.
	conn := pgtest.Connect(t, target)
	role := "reader_" + strings.TrimPrefix(pgDatabase(t, target), "test_")
	role = role[:min(len(role), 63)]
	_, err := conn.Exec(context.Background(), "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+"; GRANT SELECT ON accounts TO "+pgx.Identifier{role}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP OWNED BY "+pgx.Identifier{role}.Sanitize()+"; DROP ROLE "+pgx.Identifier{role}.Sanitize())
	})

	dir = writeDir(t, map[string]string{
		"0001_accounts.sql": accounts,
		"0002_email.sql":    addEmail,
		"0003_typo.sql":     "-- safe: before_deploy\n\nALTER TABLE acounts ADD COLUMN note text;\n",
		"0004_index.sql":    concurrently,
	})
	before := dbState(t, target)
	r := runDB(t, target, dir, "preflight", "--ephemeral", "--format", "json")
	require.Equal(t, 1, r.code, r.stderr)
	doc, ms := preflightReport(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	pf := doc["preflight"].(map[string]any)
	assert.Regexp(t, `^a throwaway PostgreSQL \d+\.\d+ loaded from pg_dump --schema-only of the target$`, pf["rehearsed_on"])
	assert.Equal(t, "ok", ms["0002_email"]["status"])
	require.Equal(t, "failed", ms["0003_typo"]["status"])
	e := ms["0003_typo"]["error"].(map[string]any)
	assert.Equal(t, "42P01", e["sqlstate"])
	assert.EqualValues(t, 3, e["line"])
	assert.Equal(t, "ok", ms["0004_index"]["status"])
	assert.Contains(t, ms["0004_index"]["notice"], "statement 1 without CONCURRENTLY")
	assert.Contains(t, r.stderr, "ephemeral: started PostgreSQL")
	assert.NotContains(t, r.stderr, "warning")

	assert.Equal(t, before, dbState(t, target), "the target is unchanged")
	assertNoCluster(t, tmp)

	t.Run("text", func(t *testing.T) {
		r := runDB(t, target, dir, "preflight", "--ephemeral")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Regexp(t, `Preflight on a throwaway PostgreSQL \S+ loaded from pg_dump --schema-only of the target \(one transaction, rolled back\):`, r.stdout)
		assert.Regexp(t, `FAILED\s+0003_typo\s+\d+ms\s+statement 1, line 3: relation "acounts" does not exist \(42P01\)`, r.stdout)
		assertNoCluster(t, tmp)
	})
}

func TestPreflightEphemeralFromASchemaDump(t *testing.T) {
	target := pgtest.NewDatabase(t)
	tmp := clusterTempDir(t)
	dir := writeDir(t, map[string]string{"0001_accounts.sql": accounts})
	require.Equal(t, 0, runDB(t, target, dir, "migrate", "--phase", "post-deploy").code)
	dir = writeDir(t, map[string]string{"0001_accounts.sql": accounts, "0002_email.sql": addEmail, "0003_index.sql": concurrently})
	files := writeDir(t, map[string]string{
		"schema.sql": "-- a schema dump\nCREATE TABLE public.accounts (id integer PRIMARY KEY, name text);\n",
		"broken.sql": "CREATE TABLE public.accounts (id integer PRIMARY KEY, name text);\n\nCREATE TABLE public.users (\n  id integer,\n  mood public.mood\n);\n",
	})
	schema, broken := filepath.Join(files, "schema.sql"), filepath.Join(files, "broken.sql")

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // regular expressions
		stderr []string // substrings
	}{
		{"loads and rehearses", []string{"--ephemeral", "--schema-dump", schema}, 0,
			[]string{`Preflight on a throwaway PostgreSQL \S+ loaded from ` + regexp.QuoteMeta(schema), `ok\s+0002_email`, `ok\s+0003_index\s+\d+ms\s+transaction: false: rehearsed with transactional equivalents`, `OK: dry run: preflight passed for 2 migrations`},
			[]string{"ephemeral: loaded " + schema}},
		{"a dump that does not load", []string{"--ephemeral", "--schema-dump", broken}, 2, nil,
			[]string{"--ephemeral: the schema did not load: " + broken + `:6: type "public.mood" does not exist (SQLSTATE 42704)`, "LINE 3:   mood public.mood", "--against URL"}},
		{"a missing file", []string{"--ephemeral", "--schema-dump", filepath.Join(files, "nope.sql")}, 2, nil,
			[]string{"--schema-dump: stat " + filepath.Join(files, "nope.sql")}},
		{"--schema-dump without --ephemeral", []string{"--schema-dump", schema}, 2, nil,
			[]string{"--schema-dump needs --ephemeral"}},
		{"no server binaries", []string{"--ephemeral", "--pg-bindir", files}, 2, nil,
			[]string{"--ephemeral needs PostgreSQL's server binaries", "initdb and postgres not found in " + files, "apt-get install", "--against URL"}},
		{"--against with --ephemeral", []string{"--ephemeral", "--against", target}, 2, nil,
			[]string{"--against and --ephemeral can't be used together"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runDB(t, target, dir, append([]string{"preflight"}, tt.args...)...)
			require.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, re := range tt.stdout {
				assert.Regexp(t, re, r.stdout)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, r.stderr, s)
			}
			assertNoCluster(t, tmp)
		})
	}
	t.Run("json on a load failure", func(t *testing.T) {
		r := runDB(t, target, dir, "preflight", "--ephemeral", "--schema-dump", broken, "--format", "json")
		require.Equal(t, 2, r.code)
		doc := assertOneJSON(t, r.stdout)
		assert.Equal(t, false, doc["ok"])
		assert.Contains(t, doc["error"].(map[string]any)["message"], broken+":6:")
	})
}

func TestPreflightTrace(t *testing.T) {
	target := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{"0001_t.sql": "-- safe: before_deploy\nCREATE TABLE t (id int PRIMARY KEY, v varchar(10));\nINSERT INTO t VALUES (1, 'a');\n"})
	require.Equal(t, 0, runDB(t, target, dir, "migrate", "--phase", "post-deploy").code)
	dir = writeDir(t, map[string]string{
		"0001_t.sql": "-- safe: before_deploy\nCREATE TABLE t (id int PRIMARY KEY, v varchar(10));\nINSERT INTO t VALUES (1, 'a');\n",
		"0002_c.sql": "-- safe: before_deploy\nALTER TABLE t ADD COLUMN c int;\n",
		"0003_i.sql": "-- safe: before_deploy\nCREATE INDEX t_c ON t (c);\n",
		"0004_types.sql": "-- safe: after_deploy\nALTER TABLE t ALTER COLUMN v TYPE varchar(20);\n" +
			"ALTER TABLE t ALTER COLUMN id TYPE bigint;\nCREATE TABLE u (id int);\nINSERT INTO u VALUES (1);\n",
	})
	before := dbState(t, target)
	r := runDB(t, target, dir, "preflight", "--trace", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	_, ms := preflightReport(t, r.stdout)

	type stmt struct{ locks, rewrites string }
	summary := func(id string) []stmt {
		var out []stmt
		for _, tr := range ms[id]["trace"].([]any) {
			tr := tr.(map[string]any)
			var locks, rewrites []string
			for _, l := range tr["locks"].([]any) {
				l := l.(map[string]any)
				held := ""
				if l["already_held"] == true {
					held = " (held)"
				}
				locks = append(locks, fmt.Sprintf("%s %s%s", l["mode"], l["relation"], held))
			}
			for _, w := range tr["rewrites"].([]any) {
				rewrites = append(rewrites, w.(string))
			}
			out = append(out, stmt{strings.Join(locks, ", "), strings.Join(rewrites, ", ")})
		}
		return out
	}
	assert.Equal(t, []stmt{{"ACCESS EXCLUSIVE public.t", ""}}, summary("0002_c"), "ALTER TABLE ADD COLUMN")
	assert.Equal(t, []stmt{{"SHARE public.t", ""}}, summary("0003_i"), "CREATE INDEX")
	assert.Equal(t, []stmt{
		{"ACCESS EXCLUSIVE public.t (held)", ""},         // varchar(10) → varchar(20): no rewrite; 0002 took the lock first
		{"ACCESS EXCLUSIVE public.t (held)", "public.t"}, // int → bigint rewrites
		{"", ""}, // a new table: nobody else can see it yet
		{"", ""},
	}, summary("0004_types"))
	tr := ms["0004_types"]["trace"].([]any)[1].(map[string]any)
	assert.EqualValues(t, 2, tr["statement"])
	assert.EqualValues(t, 3, tr["line"])
	assert.Equal(t, "ALTER TABLE t ALTER COLUMN id TYPE bigint", tr["sql"])
	assert.Equal(t, before, dbState(t, target))

	r = runDB(t, target, dir, "preflight")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "#1", "no trace without --trace")

	r = runDB(t, target, dir, "preflight", "--trace")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	var traced []string
	for i, l := range lines {
		if strings.Contains(l, "0004_types") {
			traced = lines[i+1 : i+5]
		}
	}
	require.Len(t, traced, 4, r.stdout)
	assert.Regexp(t, `^      #1  line 2  ALTER TABLE t ALTER COLUMN v TYPE varchar\(20\)  ACCESS EXCLUSIVE public.t \(already held\)$`, traced[0])
	assert.Regexp(t, `^      #2  line 3  ALTER TABLE t ALTER COLUMN id TYPE bigint      ACCESS EXCLUSIVE public.t \(already held\)  rewrites public.t$`, traced[1])
	assert.Regexp(t, `^      #3  line 4  CREATE TABLE u \(id int\)\s+no table locks$`, traced[2])
	assert.Regexp(t, `^      #1  line 2  ALTER TABLE t ADD COLUMN c int\s+ACCESS EXCLUSIVE public.t$`, lineAfter(lines, "0002_c"))
}

// lineAfter returns the line after the first one containing s.
func lineAfter(lines []string, s string) string {
	for i, l := range lines {
		if strings.Contains(l, s) && i+1 < len(lines) {
			return lines[i+1]
		}
	}
	return ""
}

// slowEphemeral is `preflight --ephemeral` of a migration that sleeps a
// minute, running in the background until interrupted.
type slowEphemeral struct {
	tmp    string // where its throwaway cluster lives
	stderr *testutil.SyncBuffer
	cancel context.CancelFunc
	done   chan int // its exit code
}

// startSlowEphemeral starts the run and returns once its rehearsal has
// started the migration (the progress line on stderr).
func startSlowEphemeral(t *testing.T) *slowEphemeral {
	t.Helper()
	target := pgtest.NewDatabase(t)
	r := &slowEphemeral{tmp: clusterTempDir(t), stderr: &testutil.SyncBuffer{}, done: make(chan int, 1)}
	dir := writeDir(t, map[string]string{"0001_slow.sql": "-- safe: always\nSELECT pg_sleep(60);\n"})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	t.Cleanup(cancel)
	go func() {
		r.done <- cli.Run(ctx, []string{"--dir", dir, "--database-url", target, "preflight", "--ephemeral"}, strings.NewReader(""), io.Discard, r.stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(r.stderr.String(), "→ 0001_slow (preflight)") }, 30*time.Second, 20*time.Millisecond, r.stderr.String())
	return r
}

// interrupt cancels the run (Ctrl-C), waits for it and returns its exit
// code; the throwaway server is gone by then.
func (r *slowEphemeral) interrupt(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		assertNoCluster(t, r.tmp)
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("the interrupted run did not return")
		return 0
	}
}

// TestPreflightEphemeralInterrupted: Ctrl-C (a cancelled context) during
// the rehearsal stops the throwaway server and removes it.
func TestPreflightEphemeralInterrupted(t *testing.T) {
	r := startSlowEphemeral(t)
	assert.NotEqual(t, 0, r.interrupt(t))
}
