package executor_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestApplyNamesWithBackslashesWhenStandardConformingStringsOff: with
// standard_conforming_strings off (a database default, which RESET ALL
// restores between migrations), a backslash in a file name is an escape
// character inside '…' literals. The tracking row must still record the
// file's ID exactly and a crafted name must not run SQL of its own.
func TestApplyNamesWithBackslashesWhenStandardConformingStringsOff(t *testing.T) {
	url, tg := fresh(t)
	admin := pgtest.Connect(t, url)
	var db string
	require.NoError(t, admin.QueryRow(ctx(t), `SELECT current_database()`).Scan(&db))
	_, err := admin.Exec(ctx(t), `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` SET standard_conforming_strings = off`)
	require.NoError(t, err)
	_, err = admin.Exec(ctx(t), `CREATE TABLE victim (id int)`)
	require.NoError(t, err)

	evil := `0002_a\', 1::text, 1::text, 1::text, 0, true); DROP TABLE victim; --`
	fsys := files(
		"0001_init.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
		evil+".sql", "-- safe: always\nSELECT 1;\n",
		`0003_seed\payment.sql`, "-- safe: always\nINSERT INTO t VALUES (3);\n",
		`0004_it's.sql`, "-- safe: always\nSELECT 'it''s';\n",
	)
	for _, preflight := range []bool{false, true} {
		if preflight {
			// A second database, the same attack, with the rehearsal.
			url, tg = fresh(t)
			admin = pgtest.Connect(t, url)
			require.NoError(t, admin.QueryRow(ctx(t), `SELECT current_database()`).Scan(&db))
			_, err = admin.Exec(ctx(t), `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` SET standard_conforming_strings = off`)
			require.NoError(t, err)
			_, err = admin.Exec(ctx(t), `CREATE TABLE victim (id int)`)
			require.NoError(t, err)
		}
		res, err := executor.Run(ctx(t), tg, load(t, fsys), executor.Options{Phase: planner.PostDeploy, NoPreflight: !preflight})
		require.NoError(t, err)
		require.True(t, res.OK)

		check := pgtest.Connect(t, url)
		var scs string
		require.NoError(t, check.QueryRow(ctx(t), `SHOW standard_conforming_strings`).Scan(&scs))
		require.Equal(t, "off", scs, "the database default must be in effect for the test to mean anything")
		assert.Equal(t, []string{"0001_init", evil, `0003_seed\payment`, `0004_it's`}, appliedIDs(t, check, "public"),
			"recorded IDs must equal the file IDs exactly")
		assert.Equal(t, 1, queryInt(t, check, `SELECT count(*) FROM pg_tables WHERE tablename = 'victim'`),
			"the crafted file name dropped a table")
		var sums int
		require.NoError(t, check.QueryRow(ctx(t), `SELECT count(*) FROM safemigrate_migrations WHERE length(checksum) = 64 AND safe = 'always' AND phase = 'post-deploy'`).Scan(&sums))
		assert.Equal(t, 4, sums, "every row has the file's checksum, value and phase")
	}
}

// TestBatchSkipsEverythingAfterTheFailure: in the one-round-trip batch,
// the server runs nothing after the failing statement, also nothing that
// a rollback could not undo (nextval), in the apply and in the rehearsal.
func TestBatchSkipsEverythingAfterTheFailure(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SEQUENCE seq`)
	require.NoError(t, err)
	g := load(t, files("0001_a.sql", "-- safe: always\nSELECT 1/0;\nSELECT nextval('seq');\n"))
	for _, noPreflight := range []bool{true, false} {
		_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: noPreflight})
		var me *executor.MigrationError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, 1, me.Statement)
		assert.Equal(t, 2, me.Line)
		assert.Equal(t, "22012", me.SQLState)
		assert.Equal(t, []string{"false"}, queryStrings(t, conn, `SELECT is_called::text FROM seq`), "a statement after the failure ran")
	}
}
