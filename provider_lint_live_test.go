package safemigrate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/lint"
)

// liveDB is a database with a large-ish table (about 3 MB, analysed), a
// small one (never analysed) and two empty ones, autovacuum off so that
// nothing but the test writes.
func liveDB(t *testing.T) string {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	for _, sql := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)",
		"INSERT INTO big SELECT g, repeat('x', 60) FROM generate_series(1, 30000) g",
		"ANALYZE big",
		"CREATE TABLE mid (id int, v text) WITH (autovacuum_enabled = false)",
		"INSERT INTO mid VALUES (1, 'a'), (2, 'b')",
		"CREATE TABLE empty_t (id int PRIMARY KEY, x int, name varchar(50) NOT NULL, email text) WITH (autovacuum_enabled = false)",
		"CREATE INDEX empty_t_email_idx ON empty_t (email)",
		"CREATE SCHEMA app",
		"CREATE TABLE app.orders (id int, customer text) WITH (autovacuum_enabled = false)",
	} {
		_, err := conn.Exec(context.Background(), sql)
		require.NoError(t, err, sql)
	}
	return dbURL
}

func lintLive(t *testing.T, dbURL string, fsys fstest.MapFS, opts safemigrate.LintOptions) []lint.Diagnostic {
	t.Helper()
	p, err := safemigrate.New(fsys, safemigrate.WithDatabaseURL(dbURL))
	require.NoError(t, err)
	rep, err := p.Lint(context.Background(), opts)
	require.NoError(t, err)
	return rep.Diagnostics
}

func byRule(ds []lint.Diagnostic) map[string][]lint.Diagnostic {
	out := map[string][]lint.Diagnostic{}
	for _, d := range ds {
		out[d.Rule] = append(out[d.Rule], d)
	}
	return out
}

func TestLintLiveGradesByTableSize(t *testing.T) {
	dbURL := liveDB(t)
	fsys := fstest.MapFS{"0002_backfill.sql": {Data: []byte("-- safe: after_deploy\n-- transaction: false\n" +
		"UPDATE big SET v = 'y';\nUPDATE mid SET v = 'y';\nUPDATE empty_t SET x = 1;\n" +
		"ALTER TABLE empty_t ALTER COLUMN x TYPE text;\nALTER TABLE big ALTER COLUMN v TYPE int USING 0;\n")}}

	// Without the database: the rules' own severities, messages as before.
	plain := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{}))
	require.Len(t, plain["dml-without-where"], 3)
	for _, d := range plain["dml-without-where"] {
		assert.Equal(t, lint.Warning, d.Severity)
		assert.NotContains(t, d.Message, "(table")
	}

	got := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true, LargeBytes: 1 << 20}))
	dml := got["dml-without-where"]
	require.Len(t, dml, 3)
	assert.Equal(t, lint.Error, dml[0].Severity, "big is over the configured 1 MB")
	assert.Regexp(t, `^UPDATE without WHERE touches every row of big in one transaction \(table big: \d\.\d MB, ~30k rows\)$`, dml[0].Message)
	assert.Equal(t, lint.Warning, dml[1].Severity, "mid has rows, under the limits: the rule's own severity")
	assert.Regexp(t, `\(table mid: \d+ kB, ~\d rows\)$`, dml[1].Message)
	assert.Equal(t, lint.Info, dml[2].Severity, "empty_t has no rows")
	assert.Contains(t, dml[2].Message, "(table empty_t: ")

	types := got["change-column-type"]
	require.Len(t, types, 2)
	assert.Equal(t, lint.Info, types[0].Severity, "a rewrite of an empty table is info")
	assert.Contains(t, types[0].Message, "from int4 to text", "the old type comes from the live catalog")
	assert.Equal(t, lint.Error, types[1].Severity)

	// The default limits (1 GB, 10M rows): big is not large.
	got = byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))
	assert.Equal(t, lint.Warning, got["dml-without-where"][0].Severity)
	assert.Equal(t, lint.Error, got["change-column-type"][1].Severity, "the rule's own severity")
}

func TestLintLiveSchemaKnowledge(t *testing.T) {
	dbURL := liveDB(t)
	fsys := fstest.MapFS{"0002_change.sql": {Data: []byte("-- safe: after_deploy\n" +
		"ALTER TABLE empty_t ALTER COLUMN name TYPE varchar(100);\n" +
		"ALTER TABLE empty_t ALTER COLUMN name SET NOT NULL;\n" +
		"DELETE FROM app.orders WHERE customer = 'x';\n")},
		"0003_drop_index.sql": {Data: []byte("-- safe: after_deploy\nDROP INDEX empty_t_email_idx;\n")}}

	plain := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{}))
	assert.Len(t, plain["change-column-type"], 1, "without the database the old type is unknown")
	assert.Len(t, plain["set-not-null"], 1)
	assert.Empty(t, plain["bulk-dml"], "an unknown table's columns may be indexed")
	require.Len(t, plain["require-concurrent-drop-index"], 1)
	assert.Equal(t, lint.Error, plain["require-concurrent-drop-index"][0].Severity)

	live := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))
	assert.Empty(t, live["change-column-type"], "varchar(50) to varchar(100) does not rewrite")
	assert.Empty(t, live["set-not-null"], "the column is NOT NULL already")
	require.Len(t, live["bulk-dml"], 1, "app.orders has no index on customer")
	require.Len(t, live["require-concurrent-drop-index"], 1)
	d := live["require-concurrent-drop-index"][0]
	assert.Equal(t, lint.Info, d.Severity, "the live catalog knows the index is on empty_t, which is empty")
	assert.Contains(t, d.Message, "(table empty_t: ")
}

func TestLintLiveServerVersion(t *testing.T) {
	dbURL := liveDB(t)
	var num int
	require.NoError(t, pgtest.Connect(t, dbURL).QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&num))
	p, err := safemigrate.New(fstest.MapFS{}, safemigrate.WithDatabaseURL(dbURL))
	require.NoError(t, err)
	live, err := p.ReadLive(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, num/10000, live.PGVersion)

	// A MERGE is unsupported before 15: the server's version decides when
	// none is given, a given one wins.
	fsys := fstest.MapFS{"0002_merge.sql": {Data: []byte("-- safe: after_deploy\nMERGE INTO mid m USING big b ON m.id = b.id WHEN MATCHED THEN DELETE;\n")}}
	merge := func(opts ...safemigrate.Option) int {
		p, err := safemigrate.New(fsys, append([]safemigrate.Option{safemigrate.WithDatabaseURL(dbURL)}, opts...)...)
		require.NoError(t, err)
		rep, err := p.Lint(context.Background(), safemigrate.LintOptions{Live: true})
		require.NoError(t, err)
		return len(byRule(rep.Diagnostics)["unsupported-syntax"])
	}
	assert.Equal(t, 1, merge(safemigrate.WithPGVersion(14)))
	want := 0
	if num < 150000 {
		want = 1
	}
	assert.Equal(t, want, merge(), "server_version_num %d", num)
}

// TestLintLiveReadOnly runs the live lint as a role with nothing but
// pg_read_all_stats and USAGE on the schemas, and proves that nothing
// anywhere in the cluster was written meanwhile: no transaction was given
// a transaction ID between two of the test's own.
func TestLintLiveReadOnly(t *testing.T) {
	dbURL := liveDB(t)
	admin := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role := "lint_ro_" + hex.EncodeToString(suffix)
	password := "pw-" + hex.EncodeToString(suffix)
	ident := pgx.Identifier{role}.Sanitize()
	for _, sql := range []string{
		"CREATE ROLE " + ident + " LOGIN PASSWORD '" + password + "' IN ROLE pg_read_all_stats",
		"REVOKE ALL ON SCHEMA public FROM PUBLIC",
		"GRANT USAGE ON SCHEMA public, app TO " + ident,
	} {
		_, err := admin.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP OWNED BY "+ident)
		_, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident)
	})
	var canSelect, canCreate bool
	require.NoError(t, admin.QueryRow(ctx, "SELECT has_table_privilege($1, 'big', 'SELECT'), has_schema_privilege($1, 'public', 'CREATE')", role).Scan(&canSelect, &canCreate))
	require.False(t, canSelect)
	require.False(t, canCreate)

	cfg, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password), Path: "/" + cfg.Database,
		RawQuery: url.Values{"host": {cfg.Host}, "port": {strconv.Itoa(int(cfg.Port))}, "sslmode": {"disable"}}.Encode()}
	fsys := fstest.MapFS{"0002_backfill.sql": {Data: []byte("-- safe: after_deploy\nUPDATE big SET v = 'y';\nDELETE FROM app.orders WHERE customer = 'x';\n")}}

	// Another session (autovacuum analysing a catalog, another client of a
	// shared test server) may take an ID in between: a lint that writes
	// does so every time, so one clean attempt out of five is the proof.
	var got map[string][]lint.Diagnostic
	var gaps []int64
	for range 5 {
		var before, after int64
		require.NoError(t, admin.QueryRow(ctx, "SELECT txid_current()").Scan(&before))
		got = byRule(lintLive(t, u.String(), fsys, safemigrate.LintOptions{Live: true, LargeBytes: 1 << 20}))
		require.NoError(t, admin.QueryRow(ctx, "SELECT txid_current()").Scan(&after))
		gaps = append(gaps, after-before)
		if after == before+1 {
			break
		}
	}
	assert.Contains(t, gaps, int64(1), "a transaction that wrote anything would have taken a transaction ID")

	require.Len(t, got["dml-without-where"], 1)
	assert.Equal(t, lint.Error, got["dml-without-where"][0].Severity, "the sizes are readable without SELECT on the table")
	assert.Contains(t, got["dml-without-where"][0].Message, "~30k rows")
	assert.Len(t, got["bulk-dml"], 1, "the catalog of app.orders is readable with USAGE alone")
}

func TestLintLiveConnectErrorHasNoPassword(t *testing.T) {
	p, err := safemigrate.New(fstest.MapFS{}, safemigrate.WithDatabaseURL("postgres://someone:s3cret-pw@/db?host=/nonexistent-dir&connect_timeout=2"))
	require.NoError(t, err)
	_, err = p.Lint(context.Background(), safemigrate.LintOptions{Live: true})
	require.ErrorIs(t, err, safemigrate.ErrConnect)
	assert.NotContains(t, err.Error(), "s3cret-pw")
	assert.True(t, strings.Contains(err.Error(), `database "db"`), err.Error())
}

// TestLintLivePartitionsAndNotNull: a partitioned table's rows are its
// partitions' (the parent's reltuples, once analysed, already sums them
// and must not count twice), and SET NOT NULL on a column the live
// catalog says is NOT NULL changes nothing old code sees.
func TestLintLivePartitionsAndNotNull(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	for _, sql := range []string{
		"CREATE TABLE events (id int NOT NULL, at date NOT NULL, v text) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') WITH (autovacuum_enabled = false)",
		"CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01') WITH (autovacuum_enabled = false)",
		"INSERT INTO events SELECT g, '2026-03-01', 'x' FROM generate_series(1, 30000) g",
		"ANALYZE events",
		`CREATE SCHEMA "Billing"`,
		`CREATE TABLE "Billing"."Invoices" (id int PRIMARY KEY, note text NOT NULL)`,
	} {
		_, err := conn.Exec(context.Background(), sql)
		require.NoError(t, err, sql)
	}
	fsys := fstest.MapFS{"0002_change.sql": {Data: []byte("-- safe: before_deploy\n" +
		"UPDATE events SET v = 'y';\n" +
		`ALTER TABLE "Billing"."Invoices" ALTER COLUMN note SET NOT NULL;` + "\n")}}
	got := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))
	require.Len(t, got["dml-without-where"], 1)
	assert.Contains(t, got["dml-without-where"][0].Message, "~30k rows", "the parent's estimate is its partitions', counted once")
	assert.Empty(t, got["set-not-null"], "note is NOT NULL already")
	assert.Empty(t, got["contract-before-deploy"], "a column NOT NULL already: old code's inserts fail as before")
}

// TestLintLiveViews: the live catalog's views tell the columns of a view
// dropped and re-created, and are not graded by size.
func TestLintLiveViews(t *testing.T) {
	dbURL := liveDB(t)
	_, err := pgtest.Connect(t, dbURL).Exec(context.Background(), "CREATE VIEW big_ids AS SELECT id, v AS label FROM big")
	require.NoError(t, err)
	fsys := fstest.MapFS{"0002_view.sql": {Data: []byte("-- safe: always\nDROP VIEW big_ids;\nCREATE VIEW big_ids AS SELECT id, v AS label FROM big WHERE id > 0;\n")}}
	assert.NotEmpty(t, byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{}))["contract-before-deploy"], "offline, the view's columns are unknown")
	assert.Empty(t, byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))["contract-before-deploy"], "the live view had id and label")

	fsys = fstest.MapFS{"0002_view.sql": {Data: []byte("-- safe: always\nDROP VIEW big_ids;\nCREATE VIEW big_ids AS SELECT id FROM big;\n")}}
	got := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))["contract-before-deploy"]
	require.Len(t, got, 1)
	assert.Contains(t, got[0].Message, "re-creates view big_ids without column label")
}

// TestLintLiveNewTablesAndPartitions (ht10b FP3, LS6): a table the live
// catalog lacks is created by CREATE TABLE IF NOT EXISTS, so what follows
// on it is on a new table; an index on a live partitioned table gets the
// procedure PostgreSQL accepts, not CREATE INDEX CONCURRENTLY.
func TestLintLiveNewTablesAndPartitions(t *testing.T) {
	dbURL := liveDB(t)
	_, err := pgtest.Connect(t, dbURL).Exec(context.Background(), "CREATE TABLE events (id int NOT NULL, at date NOT NULL, v text) PARTITION BY RANGE (at)")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"0001_init.sql": {Data: []byte("-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS mid (id int, v text);\n")},
		"0002_audit.sql": {Data: []byte("-- safe: before_deploy\n" +
			"CREATE TABLE IF NOT EXISTS brand_new (id int);\n" +
			"CREATE INDEX brand_new_id ON brand_new (id);\n" +
			"ALTER TABLE brand_new ADD COLUMN who text NOT NULL;\n" +
			"CREATE INDEX events_v ON events (v);\n")},
	}
	plain := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{}))
	assert.Len(t, plain["require-concurrent-index"], 2, "offline, brand_new may exist: 0001 came before")
	assert.Len(t, plain["add-column-not-null"], 1)

	live := byRule(lintLive(t, dbURL, fsys, safemigrate.LintOptions{Live: true}))
	assert.Empty(t, live["add-column-not-null"], "brand_new is not in the database: it is new")
	require.Len(t, live["require-concurrent-index"], 1, "only the index on events")
	d := live["require-concurrent-index"][0]
	assert.Contains(t, d.Message, "creates index events_v")
	assert.Contains(t, d.Hint, "CREATE INDEX events_v ON ONLY events (...);")
	assert.NotContains(t, d.Hint, "CREATE INDEX CONCURRENTLY events_v ON events")
}

// TestAnnotateLive (ht10b O1): annotate with the live catalog suggests
// what lint with it says: a column NOT NULL already, a view re-created
// with the live view's columns.
func TestAnnotateLive(t *testing.T) {
	dbURL := liveDB(t)
	_, err := pgtest.Connect(t, dbURL).Exec(context.Background(), "CREATE VIEW big_ids AS SELECT id, v AS label FROM big")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"0002_not_null.sql": {Data: []byte("ALTER TABLE empty_t ALTER COLUMN name SET NOT NULL;\n")},
		"0003_view.sql":     {Data: []byte("DROP VIEW big_ids;\nCREATE VIEW big_ids AS SELECT id, v AS label FROM big WHERE id > 0;\n")},
	}
	suggest := func(live bool) map[string]string {
		p, err := safemigrate.New(fsys, safemigrate.WithDatabaseURL(dbURL))
		require.NoError(t, err)
		rep, err := p.Suggest(context.Background(), safemigrate.SuggestOptions{Live: live})
		require.NoError(t, err)
		out := map[string]string{}
		for _, m := range rep.Migrations {
			require.NotNil(t, m.Suggested, m.ID)
			out[m.ID] = *m.Suggested + ": " + m.Reason
		}
		return out
	}
	offline := suggest(false)
	assert.True(t, strings.HasPrefix(offline["0002_not_null"], "after_deploy"), offline["0002_not_null"])
	assert.True(t, strings.HasPrefix(offline["0003_view"], "after_deploy"), offline["0003_view"])
	live := suggest(true)
	assert.Equal(t, "always: sets empty_t.name NOT NULL, which it is already: old code keeps working", live["0002_not_null"])
	assert.True(t, strings.HasPrefix(live["0003_view"], "always"), live["0003_view"])
}
