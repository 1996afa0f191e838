package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// A transaction: false migration that changes the role for its own
// statements and resets it at the end must apply. Today its progress row
// is written after statement 1 as the role the migration set, which may
// not write the tracking tables: the run fails after SET ROLE completed,
// preflight skipped it (transaction: false is not rehearsed on the target)
// and lint says nothing, and every rerun fails the same way. Progress must
// be recorded as the role safemigrate connected as (executor/nontx.go).
func TestNonTxSetRoleRecordsProgressAsTheMigrator(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	role := testRole(t, url, conn)
	me := queryStrings(t, conn, `SELECT current_user::text`)[0]
	g := load(t, files(
		"0001_role.sql", "-- safe: always\n-- transaction: false\nSET ROLE "+role+";\nCREATE TABLE IF NOT EXISTS b (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_id ON b (id);\nRESET ROLE;\n",
		"0002_next.sql", "-- safe: always\nCREATE TABLE c (id int);\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_role", "0002_next"}, res.Applied)
	require.Equal(t, []string{role, me},
		queryStrings(t, conn, `SELECT tableowner::text FROM pg_tables WHERE tablename IN ('b', 'c') ORDER BY tablename`))
}
