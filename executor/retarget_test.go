package executor_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

func TestRetargetMovesASessionToAnotherSchema(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA c`)
	require.NoError(t, err)
	ts := tenants(tg, "a", "b", "c")
	// 0001 leaves search_path pointing elsewhere: the session's reset
	// must bring back the retargeted schema, not the first one's.
	g := load(t, files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\nSET search_path TO public;\n",
		"0002_u.sql", "-- safe: always\nCREATE TABLE u (id int);\n",
	))
	opts := executor.Options{Phase: planner.PostDeploy, LockWait: -1}

	s, err := executor.Open(ctx(t), ts[0], opts)
	require.NoError(t, err)
	defer s.Close(ctx(t))
	migrateOn(t, s, g)
	require.NoError(t, s.Retarget(ctx(t), ts[1]))
	// The lock moved with it: a is free, b is taken.
	other, err := executor.Open(ctx(t), ts[0], opts)
	require.NoError(t, err)
	require.NoError(t, other.Close(ctx(t)))
	_, err = executor.Open(ctx(t), ts[1], opts)
	assert.ErrorIs(t, err, executor.ErrLockWait)
	migrateOn(t, s, g)
	// Released, it holds no lock until retargeted again.
	require.NoError(t, s.ReleaseLock(ctx(t)))
	other, err = executor.Open(ctx(t), ts[1], opts)
	require.NoError(t, err)
	require.NoError(t, other.Close(ctx(t)))
	require.NoError(t, s.Retarget(ctx(t), ts[2]))
	migrateOn(t, s, g)

	for _, sc := range []string{"a", "b", "c"} {
		assert.Equal(t, []string{"0001_t", "0002_u"}, appliedIDs(t, conn, sc), sc)
		assert.Equal(t, []string{"safemigrate_detected", "safemigrate_migrations", "t", "u"},
			queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, sc), sc)
	}
	assert.Empty(t, queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'`))

	// A lock set's session moves only to targets the set holds.
	l, err := executor.LockAll(ctx(t), ts[:2], executor.Options{})
	require.NoError(t, err)
	defer l.Close(ctx(t))
	ls, err := l.Open(ctx(t), ts[0], opts)
	require.NoError(t, err)
	defer ls.Close(ctx(t))
	require.NoError(t, l.Retarget(ctx(t), ls, ts[1]))
	assert.ErrorContains(t, l.Retarget(ctx(t), ls, ts[2]), "does not hold")
	assert.ErrorContains(t, l.Retarget(ctx(t), s, ts[1]), "holds its own lock")
}
