package executor_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// cicRun is a `transaction: false` migration whose CREATE INDEX
// CONCURRENTLY (statement 2) a test holds while it builds: a writer keeps
// a row of big locked, so the build waits after the server created the
// INVALID index and after the run recorded that the statement started.
type cicRun struct {
	t      *testing.T
	conn   *pgx.Conn // the test's own session
	writer *pgx.Conn
	done   chan error
	pid    int
}

// startHeldCIC runs g on tg in the background as application cic-crash
// and returns once its CREATE INDEX CONCURRENTLY waits on the writer.
func startHeldCIC(t *testing.T, url string, tg executor.Target, g *graph.Graph, table string) *cicRun {
	t.Helper()
	r := &cicRun{t: t, conn: pgtest.Connect(t, url), writer: pgtest.Connect(t, url), done: make(chan error, 1)}
	_, err := r.writer.Exec(ctx(t), `BEGIN; UPDATE `+table+` SET w = w WHERE id = 1`)
	require.NoError(t, err)
	crashed := tg
	crashed.Config = tg.Config.Copy()
	crashed.Config.RuntimeParams["application_name"] = "cic-crash"
	go func() {
		_, err := executor.Run(ctx(t), crashed, g, executor.Options{Phase: planner.PostDeploy})
		r.done <- err
	}()
	r.pid = waitForIndexBuild(t, r.conn)
	return r
}

// saveProgress copies the progress rows as they are while the build
// waits: what a run killed at any later moment of the statement leaves.
func (r *cicRun) saveProgress(tracking string) {
	_, err := r.conn.Exec(ctx(r.t), `CREATE TABLE saved_progress AS SELECT * FROM `+pgx.Identifier{tracking, executor.ProgressTable}.Sanitize())
	require.NoError(r.t, err)
	require.Equal(r.t, 1, queryInt(r.t, r.conn, `SELECT count(*) FROM saved_progress`))
}

// finish lets the build complete: the run applies the migration.
func (r *cicRun) finish() {
	_, err := r.writer.Exec(ctx(r.t), `ROLLBACK`)
	require.NoError(r.t, err)
	require.NoError(r.t, <-r.done)
}

// killedAfterBuild turns the completed run into one killed after the
// server finished the index and before the run recorded it: the
// migration is not recorded and the progress row says the statement
// started.
func (r *cicRun) killedAfterBuild(tracking, id string) {
	q := func(table string) string { return pgx.Identifier{tracking, table}.Sanitize() }
	_, err := r.conn.Exec(ctx(r.t), `DELETE FROM `+q(executor.MigrationsTable)+` WHERE id = $1`, id)
	require.NoError(r.t, err)
	_, err = r.conn.Exec(ctx(r.t), `INSERT INTO `+q(executor.ProgressTable)+` SELECT * FROM saved_progress`)
	require.NoError(r.t, err)
}

// terminate ends the run's session while it builds (the server leaves
// the index INVALID), then lets the writer go.
func (r *cicRun) terminate() {
	_, err := r.conn.Exec(ctx(r.t), `SELECT pg_terminate_backend($1)`, r.pid)
	require.NoError(r.t, err)
	require.ErrorIs(r.t, <-r.done, executor.ErrMigration)
	_, err = r.writer.Exec(ctx(r.t), `ROLLBACK`)
	require.NoError(r.t, err)
}

func indexesOf(t *testing.T, conn *pgx.Conn, table string) []string {
	t.Helper()
	return queryStrings(t, conn, `
SELECT c.relname || ':' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = $1::regclass ORDER BY 1`, table)
}

// A run killed after the server finished a named CREATE INDEX
// CONCURRENTLY but before the progress row recorded it: the rerun finds
// the statement's index VALID, takes the statement as done and goes on
// (it used to fail for ever with 42P07, relation already exists).
func TestRerunAfterKillOnceNamedIndexBuilt(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	mig := "-- safe: always\n-- transaction: false\nCREATE TABLE audit (id int);\n" +
		"CREATE INDEX CONCURRENTLY big_v_named ON big (v);\nCREATE TABLE audit2 (id int);\n"
	g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))

	r := startHeldCIC(t, url, tg, g, "big")
	r.saveProgress("public")
	r.finish()
	r.killedAfterBuild("public", "0002_index")
	_, err = r.conn.Exec(ctx(t), `DROP TABLE audit2`)
	require.NoError(t, err)

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err, log.String())
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.Contains(t, log.String(), `0002_index: statement 2 already built index "public"."big_v_named" (VALID) before the interrupted run stopped; recorded as done`)
	require.Equal(t, []string{"big_v_named:true", "big_v_other:true"}, indexesOf(t, r.conn, "big"))
	require.Equal(t, 1, queryInt(t, r.conn, `SELECT count(*) FROM pg_class WHERE relname = 'audit2'`), "statement 3 ran")
	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.Empty(t, st.Progress)
}

// The same with an unnamed build, while big_v_other, an identical index
// that was there before, exists: the rerun takes big_v_idx (new since
// the statement started) as the statement's and builds no big_v_idx1.
func TestRerunAfterKillOnceUnnamedIndexBuilt(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	mig := "-- safe: always\n-- transaction: false\nCREATE TABLE audit (id int);\nCREATE INDEX CONCURRENTLY ON big (v);\n"
	g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))

	r := startHeldCIC(t, url, tg, g, "big")
	r.saveProgress("public")
	r.finish()
	r.killedAfterBuild("public", "0002_index")

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err, log.String())
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.Contains(t, log.String(), `already built index "public"."big_v_idx" (VALID)`)
	require.Equal(t, []string{"big_v_idx:true", "big_v_other:true"}, indexesOf(t, r.conn, "big"))
}

// A run killed after it recorded that the unnamed build starts but before
// the server began it: big_v_other, identical and there before, is not
// the statement's; the rerun builds the index.
func TestRerunAfterKillBeforeUnnamedBuildBegan(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	mig := "-- safe: always\n-- transaction: false\nCREATE TABLE audit (id int);\nCREATE INDEX CONCURRENTLY ON big (v);\n"
	g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))

	r := startHeldCIC(t, url, tg, g, "big")
	r.saveProgress("public")
	r.terminate()
	_, err = r.conn.Exec(ctx(t), `DROP INDEX big_v_idx; DELETE FROM safemigrate_progress; INSERT INTO safemigrate_progress SELECT * FROM saved_progress`)
	require.NoError(t, err)

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err, log.String())
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.NotContains(t, log.String(), "already built")
	require.Equal(t, []string{"big_v_idx:true", "big_v_other:true"}, indexesOf(t, r.conn, "big"))
}

// A tenant's run (search_path is the tenant's schema, its tracking tables
// in it) terminated while an unnamed build waits: the rerun drops the
// INVALID index in the tenant's schema, leaves public's identical
// INVALID one alone and builds the index under its own name.
func TestTenantRerunAfterTerminatedUnnamedBuild(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA tenant_a;
CREATE TABLE public.big (id int, v int, w int);
INSERT INTO public.big SELECT g, g, g % 2 FROM generate_series(1, 10) g`)
	require.NoError(t, err)
	// public.big has an INVALID index of the same shape and name.
	_, err = conn.Exec(ctx(t), `CREATE INDEX big_w_idx ON public.big (w);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.big_w_idx'::regclass`)
	require.NoError(t, err)
	tg.Schema, tg.SearchPath, tg.TrackingSchema, tg.Name = "tenant_a", []string{"public"}, "tenant_a", "tenant_a"
	base := "-- safe: always\nCREATE TABLE big (id int, v int, w int);\n" +
		"INSERT INTO big SELECT g, g, 0 FROM generate_series(1, 1000) g;\n"
	_, err = executor.Run(ctx(t), tg, load(t, files("0001_big.sql", base)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	mig := "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY ON big (w);\nCREATE INDEX CONCURRENTLY big_v_named ON big (v);\n"
	g := load(t, files("0001_big.sql", base, "0002_index.sql", mig))

	r := startHeldCIC(t, url, tg, g, "tenant_a.big")
	r.terminate()
	require.Equal(t, []string{"big_w_idx:false"}, indexesOf(t, conn, "tenant_a.big"))

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err, log.String())
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.Contains(t, log.String(), `dropping INVALID index "tenant_a"."big_w_idx" left by an interrupted run`)
	require.Equal(t, []string{"big_v_named:true", "big_w_idx:true"}, indexesOf(t, conn, "tenant_a.big"))
	require.Equal(t, []string{"big_w_idx:false"}, indexesOf(t, conn, "public.big"))
}

// The tenant's variant of a kill once the named index is built, with a
// VALID index of that name in public (on the search_path): the rerun
// looks in the tenant's schema and takes the statement as done.
func TestTenantRerunAfterKillOnceNamedIndexBuilt(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA tenant_a;
CREATE TABLE public.big (id int, v int, w int);
CREATE INDEX big_v_named ON public.big (w)`)
	require.NoError(t, err)
	tg.Schema, tg.SearchPath, tg.TrackingSchema, tg.Name = "tenant_a", []string{"public"}, "tenant_a", "tenant_a"
	_, err = executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	mig := "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY big_v_named ON big (v);\n"
	g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))

	r := startHeldCIC(t, url, tg, g, "tenant_a.big")
	r.saveProgress("tenant_a")
	r.finish()
	r.killedAfterBuild("tenant_a", "0002_index")

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err, log.String())
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.Contains(t, log.String(), `already built index "tenant_a"."big_v_named" (VALID)`)
	require.Equal(t, []string{"big_v_named:true", "big_v_other:true"}, indexesOf(t, conn, "tenant_a.big"))
}

// A progress row written by an older version (no started_statement or
// started_indexes: the columns are added on the next run) cannot tell a
// pre-existing index from the statement's. Named, the index of the
// statement's name and definition is the statement's: VALID, the rerun
// records the statement as done. Unnamed, a VALID index of the same
// definition (big_v_other, there before) is not taken for it: the rerun
// builds big_v_idx.
func TestRerunAfterKillWithOlderProgressRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stmt, log string
		want            []string
	}{
		{"named", "CREATE INDEX CONCURRENTLY big_v_named ON big (v)", "already built index", []string{"big_v_named:true", "big_v_other:true"}},
		{"unnamed", "CREATE INDEX CONCURRENTLY ON big (v)", "", []string{"big_v_idx:true", "big_v_other:true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			_, err := executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			// The older version's table and the row its run wrote as the
			// statement started (statement 1 done), then the build the
			// server finished.
			_, err = conn.Exec(ctx(t), `DROP TABLE IF EXISTS safemigrate_progress; CREATE TABLE safemigrate_progress (
	id text PRIMARY KEY, checksum text NOT NULL, statements_done integer NOT NULL, statements_total integer NOT NULL,
	last_error text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE audit (id int)`)
			require.NoError(t, err)
			if tc.name == "named" {
				_, err = conn.Exec(ctx(t), tc.stmt)
				require.NoError(t, err)
			}
			mig := "-- safe: always\n-- transaction: false\nCREATE TABLE audit (id int);\n" + tc.stmt + ";\n"
			g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))
			_, err = conn.Exec(ctx(t), `INSERT INTO safemigrate_progress (id, checksum, statements_done, statements_total) VALUES ('0002_index', $1, 1, 2)`,
				executor.DoneChecksum(mig, 1))
			require.NoError(t, err)

			var log syncBuffer
			res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
			require.NoError(t, err, log.String())
			require.Equal(t, []string{"0002_index"}, res.Applied)
			require.Contains(t, log.String(), "resuming 0002_index at statement 2 of 2")
			if tc.log != "" {
				require.Contains(t, log.String(), tc.log)
			} else {
				require.NotContains(t, log.String(), "already built")
			}
			require.Equal(t, tc.want, indexesOf(t, conn, "big"))
			require.Equal(t, 2, queryInt(t, conn, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'safemigrate_progress'::regclass AND attname LIKE 'started_%'`))
		})
	}
}
