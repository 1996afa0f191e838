package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/planner"
)

// TestPreflightServerSyntaxErrorIsAFailedRow: pg_query's PostgreSQL 17
// grammar accepts a subquery in FROM without an alias, PostgreSQL 15
// rejects it (42601). The rehearsal reports it as that migration's failed
// row with statement, line and SQLSTATE, and rehearses the rest.
func TestPreflightServerSyntaxErrorIsAFailedRow(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_base.sql", "-- safe: always\nCREATE TABLE t (id int PRIMARY KEY);\n",
		"0002_ctas.sql", "-- safe: always\nCREATE TABLE a (id int);\n\nCREATE TABLE c AS SELECT * FROM (SELECT 1 AS x);\n",
		"0003_fine.sql", "-- safe: always\nCREATE TABLE u (id int);\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	require.NotNil(t, res.Preflight)
	got := map[string]string{}
	for _, m := range res.Preflight.Migrations {
		got[m.ID] = string(m.Status)
	}
	require.Equal(t, map[string]string{"0001_base": "ok", "0002_ctas": "failed", "0003_fine": "ok"}, got)
	for _, m := range res.Preflight.Migrations {
		if m.ID != "0002_ctas" {
			continue
		}
		require.NotNil(t, m.Error)
		require.Equal(t, 2, m.Error.Statement)
		require.Equal(t, 4, m.Error.Line)
		require.Equal(t, "42601", m.Error.SQLState)
	}
}

// Without the rehearsal the apply fails on the same statement, and the
// error names it (not "preparing the transaction").
func TestApplyServerSyntaxErrorNamesTheStatement(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_base.sql", "-- safe: always\nCREATE TABLE t (id int PRIMARY KEY);\n",
		"0002_ctas.sql", "-- safe: always\nCREATE TABLE a (id int);\n\nCREATE TABLE c AS SELECT * FROM (SELECT 1 AS x);\n",
	))
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "preparing")
	require.Contains(t, err.Error(), "0002_ctas.sql:4")
	require.Contains(t, err.Error(), "statement 2")
	require.Contains(t, err.Error(), "42601")
}
