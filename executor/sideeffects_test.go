package executor_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// A failed preflight must not claim that nothing happened when a call it
// rehearsed (setval) is not undone by the rollback: the report names it.
func TestPreflightNamesWhatItsRollbackDidNotUndo(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	base := "-- safe: always\nCREATE TABLE items (id serial PRIMARY KEY);\n"
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", base)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	g := load(t, files("0001_base.sql", base,
		"0002_seed.sql", "-- safe: always\nINSERT INTO items DEFAULT VALUES;\nSELECT setval('items_id_seq', 100);\n",
		"0003_clean.sql", "-- safe: always\nCREATE TABLE plain (id int);\n",
		"0004_bad.sql", "-- safe: always\nSELECT nextval('items_id_seq');\nINSERT INTO missing VALUES (1);\nSELECT setval('items_id_seq', 500);\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	ms := res.Preflight.Migrations
	require.Equal(t, []string{"statement 2 (line 3): setval"}, ms[0].SideEffects)
	require.Empty(t, ms[1].SideEffects)
	// The failing migration ran its nextval, never its last setval.
	require.Equal(t, []string{"statement 1 (line 2): nextval"}, ms[2].SideEffects)

	var pe *executor.PreflightError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, []string{"0002_seed statement 2 (line 3): setval", "0004_bad statement 1 (line 2): nextval"}, pe.SideEffects)
	require.Contains(t, err.Error(), "nothing was applied")
	require.Contains(t, err.Error(), "did not undo these calls")
	// What the report says is what happened: the sequence moved.
	require.Equal(t, 101, queryInt(t, conn, `SELECT last_value FROM items_id_seq`))
	require.Equal(t, 0, queryInt(t, conn, `SELECT count(*) FROM items`))
}
