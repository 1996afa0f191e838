package executor_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

const bigBase = "-- safe: always\nCREATE TABLE big (id int, v int, w int);\n" +
	"INSERT INTO big SELECT g, g, g % 2 FROM generate_series(1, 1000) g;\n" +
	"CREATE INDEX big_v_other ON big (v);\n"

// An unnamed CREATE INDEX CONCURRENTLY killed while it builds leaves an
// INVALID index whose name the server chose; the rerun drops exactly that
// one before building again, so the index keeps the name the migration
// would have given it.
func TestRerunAfterCrashDuringUnnamedConcurrentIndex(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_big.sql", bigBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	// Unrelated INVALID indexes stay: a failed unique build on w (the
	// server's default name pattern, another definition) and a named one.
	for _, sql := range []string{`CREATE UNIQUE INDEX CONCURRENTLY ON big (w)`, `CREATE UNIQUE INDEX CONCURRENTLY big_w_named ON big (w)`} {
		_, err = conn.Exec(ctx(t), sql)
		require.Error(t, err)
	}

	mig := "-- safe: always\n-- transaction: false\nCREATE TABLE audit (id int);\nCREATE INDEX CONCURRENTLY ON big (v);\n"
	g := load(t, files("0001_big.sql", bigBase, "0002_index.sql", mig))

	// A writer keeps the build waiting, after the server created the
	// INVALID index.
	writer := pgtest.Connect(t, url)
	_, err = writer.Exec(ctx(t), `BEGIN; UPDATE big SET w = w WHERE id = 1`)
	require.NoError(t, err)
	crashed := tg
	crashed.Config = tg.Config.Copy()
	crashed.Config.RuntimeParams["application_name"] = "cic-crash"
	done := make(chan error, 1)
	go func() {
		_, err := executor.Run(ctx(t), crashed, g, executor.Options{Phase: planner.PostDeploy})
		done <- err
	}()
	pid := waitForIndexBuild(t, conn)
	require.Equal(t, []string{"big_v_idx"}, queryStrings(t, conn, `
SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'big'::regclass AND NOT i.indisvalid AND c.relname LIKE 'big_v%'`))
	// The process dies with its session: nothing of it cleans up.
	_, err = conn.Exec(ctx(t), `SELECT pg_terminate_backend($1)`, pid)
	require.NoError(t, err)
	require.ErrorIs(t, <-done, executor.ErrMigration)
	_, err = writer.Exec(ctx(t), `ROLLBACK`)
	require.NoError(t, err)
	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, 1, st.Progress["0002_index"].Done, "the progress row shows statement 2 started")
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid = 'big_v_idx'::regclass`))

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_index"}, res.Applied)
	require.Contains(t, log.String(), "big_v_idx")
	require.Equal(t, []string{"big_v_idx:true", "big_v_other:true", "big_w_idx:false", "big_w_named:false"}, queryStrings(t, conn, `
SELECT c.relname || ':' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'big'::regclass ORDER BY 1`))
}

// waitForIndexBuild waits until the session named cic-crash waits in its
// CREATE INDEX CONCURRENTLY and returns its pid.
func waitForIndexBuild(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	return pgtest.WaitForSession(t, conn, "waits in its CREATE INDEX CONCURRENTLY",
		`application_name = 'cic-crash' AND wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'`)
}

func TestLeftByMatchesTheStatementsIndexOnly(t *testing.T) {
	t.Parallel()
	const unnamed = "CREATE INDEX CONCURRENTLY ON big (v)"
	for _, tc := range []struct {
		stmt, name, def string
		interrupted     bool
		want            bool
	}{
		{unnamed, "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING btree (v)", true, true},
		{unnamed, "big_v_idx1", "CREATE INDEX big_v_idx1 ON public.big USING btree (v)", true, true},
		{unnamed, "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING btree (v)", false, false},
		{unnamed, "big_v_idx", "CREATE UNIQUE INDEX big_v_idx ON public.big USING btree (v)", true, false},
		{unnamed, "big_v_w_idx", "CREATE INDEX big_v_w_idx ON public.big USING btree (v, w)", true, false},
		{unnamed, "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING hash (v)", true, false},
		{unnamed, "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING btree (v) WHERE (w > 0)", true, false},
		{"CREATE INDEX CONCURRENTLY ON big USING hash (v) WHERE w > 0", "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING hash (v) WHERE (w > 0)", true, true},
		{"CREATE INDEX CONCURRENTLY big_v ON big (v)", "big_v", "CREATE INDEX big_v ON public.big USING btree (w)", false, true},
		{"CREATE INDEX CONCURRENTLY big_v ON big (v)", "big_v_idx", "CREATE INDEX big_v_idx ON public.big USING btree (v)", true, false},
	} {
		require.Equal(t, tc.want, executor.LeftBy(tc.stmt, tc.name, tc.def, tc.interrupted), "%s / %s", tc.stmt, tc.def)
	}
}
