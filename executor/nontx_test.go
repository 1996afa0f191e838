package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

const nontxBase = "-- safe: always\nCREATE TABLE t (id int, v int);\nINSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\nINSERT INTO t VALUES (1, 1);\n"

// nontxIndexes builds a unique index on data with a duplicate: statement 2
// fails until the duplicate is gone.
const nontxIndexes = "-- safe: always\n-- transaction: false\n" +
	"CREATE INDEX CONCURRENTLY t_v_idx ON t (v);\n" +
	"CREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id);\n" +
	"ALTER TABLE t ADD CONSTRAINT t_id_unique UNIQUE USING INDEX t_id_key;\n"

func TestNonTransactionalResumesAtFailedStatement(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", nontxIndexes))

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	var pe *executor.PartialError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, []string{"0001_t"}, pe.Applied)
	require.Equal(t, "0002_indexes", pe.Failed)
	require.Equal(t, executor.StatusSkipped, res.Preflight.Migrations[1].Status)
	require.Contains(t, res.Preflight.Migrations[1].Notice, "transaction: false")
	require.Contains(t, log.String(), "preflight: 0002_indexes skipped")
	require.Equal(t, 2, res.Failed.Statement)
	require.Equal(t, 4, res.Failed.Line)
	require.Equal(t, "23505", res.Failed.SQLState)
	require.Contains(t, log.String(), "dropped INVALID index")

	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`), "no INVALID index left")
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_indexes WHERE indexname = 't_v_idx'`))
	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, 1, st.Progress["0002_indexes"].Done)
	require.Equal(t, 3, st.Progress["0002_indexes"].Total)
	require.Contains(t, st.Progress["0002_indexes"].LastError, "could not create unique index")

	// The operator fixes the data; the rerun resumes at statement 2 (a
	// rerun of statement 1 would fail: t_v_idx exists).
	_, err = conn.Exec(ctx(t), `DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t WHERE id = 1)`)
	require.NoError(t, err)
	log = syncBuffer{}
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_indexes"}, res.Applied)
	require.Contains(t, log.String(), "resuming 0002_indexes at statement 2 of 3")
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_constraint WHERE conname = 't_id_unique'`))
	st, err = executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.Empty(t, st.Progress, "progress cleared once applied")
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`))
}

func TestNonTransactionalChangedFileStartsOver(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", nontxIndexes)),
		executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrMigration)

	// The fix goes into the file instead: statement 1 must run again.
	fixed := "-- safe: always\n-- transaction: false\n" +
		"DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t WHERE id = 1);\n" +
		"CREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id);\n"
	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", fixed)),
		executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_indexes"}, res.Applied)
	require.Contains(t, log.String(), "changed since its interrupted run")
	require.Equal(t, 100, queryInt(t, conn, `SELECT count(*) FROM t`))
}

// TestNonTransactionalFixedFailingStatementResumes: the usual repair
// after a failure is to fix the failing statement in the file. The
// statements that completed are unchanged, so the rerun resumes at the
// fixed one instead of running statement 1 again ("relation t_v_idx
// already exists", a dead end without manual work).
func TestNonTransactionalFixedFailingStatementResumes(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	broken := "-- safe: always\n-- transaction: false\n" +
		"CREATE INDEX CONCURRENTLY t_v_idx ON t (v);\n" +
		"CREATE INDEX CONCURRENTLY t_w_idx ON t (w);\n"
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", broken)),
		executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrMigration)

	fixed := "-- safe: always\n-- transaction: false\n" +
		"CREATE INDEX CONCURRENTLY t_v_idx ON t (v);\n" +
		"CREATE INDEX CONCURRENTLY t_v_id_idx ON t (v, id);\n"
	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", fixed)),
		executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_indexes"}, res.Applied)
	require.Contains(t, log.String(), "resuming 0002_indexes at statement 2 of 2")
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_indexes WHERE indexname = 't_v_id_idx'`))
}

func TestNonTransactionalDropsLeftoverInvalidIndex(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_t.sql", nontxBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	// What a killed CREATE INDEX CONCURRENTLY leaves behind: an INVALID
	// index of that name.
	_, err = conn.Exec(ctx(t), `CREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id)`)
	require.Error(t, err)
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`))
	_, err = conn.Exec(ctx(t), `DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t WHERE id = 1)`)
	require.NoError(t, err)

	var log syncBuffer
	g := load(t, files("0001_t.sql", nontxBase, "0002_key.sql", "-- safe: always\n-- transaction: false\nCREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id);\n"))
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Contains(t, log.String(), "left by an interrupted run")
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`))
}

func TestNonTransactionalRehearsal(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	g := load(t, files("0001_t.sql", nontxBase, "0002_indexes.sql", nontxIndexes))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, RehearseNonTransactional: true})
	require.ErrorIs(t, err, executor.ErrPreflight, "the equivalent CREATE UNIQUE INDEX finds the duplicate")
	m := res.Preflight.Migrations[1]
	require.Equal(t, executor.StatusFailed, m.Status)
	require.Equal(t, 2, m.Error.Statement)
	require.Equal(t, "23505", m.Error.SQLState)
	require.Empty(t, appliedIDs(t, pgtest.Connect(t, url), "public"))

	g = load(t, files("0001_t.sql", nontxBase,
		"0002_indexes.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_v_idx ON t (v);\nVACUUM t;\nDROP INDEX CONCURRENTLY t_v_idx;\n"))
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, RehearseNonTransactional: true, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, executor.StatusOK, res.Preflight.Migrations[1].Status)
	require.Contains(t, res.Preflight.Migrations[1].Notice, "transactional equivalents")
}

func TestEquivalents(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX i ON t USING btree (a)"},
		{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t (a) WHERE a > 0", "CREATE UNIQUE INDEX IF NOT EXISTS i ON s.t USING btree (a) WHERE a > 0"},
		{"DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX IF EXISTS i"},
		{"REINDEX INDEX CONCURRENTLY i", "REINDEX INDEX i"},
		{"REINDEX (CONCURRENTLY, VERBOSE) TABLE t", "REINDEX (VERBOSE) TABLE t"},
		{"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", "ALTER TABLE p DETACH PARTITION c"},
		{"VACUUM ANALYZE t", ""},
		{"UPDATE t SET a = 1", "UPDATE t SET a = 1"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := executor.Equivalents(tc.in)
			require.NoError(t, err)
			require.Equal(t, []string{tc.want}, got)
		})
	}
}
