package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestPreflightLeavesNoTrace compares pg_dump --schema-only and every
// table's rows before and after a passing and a failing rehearsal.
func TestPreflightLeavesNoTrace(t *testing.T) {
	t.Parallel()
	base := []string{
		"0001_init.sql", "-- safe: always\nCREATE TABLE accounts (id serial PRIMARY KEY, name text);\nINSERT INTO accounts (name) VALUES ('a'), ('b');\n",
	}
	tests := []struct {
		name string
		more []string
		ok   bool
	}{
		{"passing", []string{
			"0002_schema.sql", "-- safe: always\nALTER TABLE accounts ADD COLUMN email text;\nCREATE INDEX accounts_email ON accounts (email);\nCREATE TYPE mood AS ENUM ('ok');\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
			"0003_data.sql", "-- safe: always\nUPDATE accounts SET email = name || '@example.com';\nDELETE FROM accounts WHERE name = 'a';\nCREATE TABLE audit AS SELECT * FROM accounts;\n",
			"0004_nontx.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY accounts_name ON accounts (name);\n",
		}, true},
		{"failing", []string{
			"0002_schema.sql", "-- safe: always\nALTER TABLE accounts ADD COLUMN email text;\nUPDATE accounts SET name = NULL;\n",
			"0003_fails.sql", "-- safe: always\nALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n",
			"0004_more.sql", "-- safe: always\nDROP TABLE accounts;\n",
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			_, err := executor.Run(ctx(t), tg, load(t, files(base...)), executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			schemaBefore, dataBefore := pgtest.DumpSchema(t, url), dataSnapshot(t, conn)
			require.Contains(t, schemaBefore, "CREATE TABLE public.accounts")
			require.Contains(t, dataBefore, "(1,a)")

			g := load(t, files(append(append([]string{}, base...), tc.more...)...))
			res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, DryRun: tc.ok})
			if tc.ok {
				require.NoError(t, err)
				require.True(t, res.Preflight.OK)
			} else {
				require.ErrorIs(t, err, executor.ErrPreflight)
				require.False(t, res.Preflight.OK)
			}
			require.Empty(t, res.Applied)
			require.Equal(t, schemaBefore, pgtest.DumpSchema(t, url), "schema changed")
			require.Equal(t, dataBefore, dataSnapshot(t, conn), "data changed")
		})
	}

	// On a brand-new database a rehearsal does not even create the
	// tracking tables.
	t.Run("empty database", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		before := pgtest.DumpSchema(t, url)
		_, err := executor.Run(ctx(t), tg, load(t, files(base...)), executor.Options{Phase: planner.PostDeploy, DryRun: true})
		require.NoError(t, err)
		require.Equal(t, before, pgtest.DumpSchema(t, url))
	})
}

func TestPreflightSetNotNullOnNullsFailsWithLine(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := executor.Run(ctx(t), tg, load(t, files(
		"0001_users.sql", "-- safe: always\nCREATE TABLE users (id int, email text);\nINSERT INTO users VALUES (1, 'a@b'), (2, NULL);\n",
	)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)

	var log syncBuffer
	g := load(t, files(
		"0001_users.sql", "-- safe: always\nCREATE TABLE users (id int, email text);\nINSERT INTO users VALUES (1, 'a@b'), (2, NULL);\n",
		"0002_index.sql", "-- safe: before_deploy\nCREATE INDEX users_id ON users (id);\n",
		"0003_email_required.sql", "-- safe: before_deploy\n-- Every user must have an email from now on.\n\nCOMMENT ON TABLE users IS 'people';\n\nALTER TABLE users\n    ALTER COLUMN email SET NOT NULL;\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Log: &log})
	require.ErrorIs(t, err, executor.ErrPreflight)
	var pe *executor.PreflightError
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe.Failures, 1)
	f := pe.Failures[0]
	require.Equal(t, "0003_email_required", f.ID)
	require.Equal(t, 2, f.Statement)
	require.Equal(t, 6, f.Line)
	require.Equal(t, "23502", f.SQLState)
	require.Contains(t, err.Error(), "0003_email_required.sql:6: migration 0003_email_required, statement 2: column \"email\" of relation \"users\" contains null values (SQLSTATE 23502)")
	require.Contains(t, log.String(), "preflight: 0003_email_required FAILED")

	require.Empty(t, res.Applied, "nothing applied, not even the passing 0002")
	require.Equal(t, []string{"0001_users"}, appliedIDs(t, conn, "public"))
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_indexes WHERE indexname = 'users_id'`))
}

func TestPreflightReportsEveryFailure(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_base.sql", "-- safe: always\nCREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\n",
		"0002_missing.sql", "-- safe: always\nINSERT INTO nowhere VALUES (1);\n",
		"0003_fine.sql", "-- safe: always\nCREATE TABLE u (id int);\n",
		"0004_dup.sql", "-- safe: always\nINSERT INTO u VALUES (1);\nINSERT INTO t VALUES (1);\n",
		"0005_syntax.sql", "-- safe: always\nCREATE TABLE v (id int);\n\nCREAT TABLE w (id int);\n",
		"0006_fine.sql", "-- safe: always\nCREATE TABLE x (id int REFERENCES t);\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	got := map[string]string{}
	for _, m := range res.Preflight.Migrations {
		got[m.ID] = string(m.Status)
	}
	require.Equal(t, map[string]string{
		"0001_base": "ok", "0002_missing": "failed", "0003_fine": "ok",
		"0004_dup": "failed", "0005_syntax": "failed", "0006_fine": "ok",
	}, got)
	byID := map[string]*executor.MigrationError{}
	for _, m := range res.Preflight.Migrations {
		byID[m.ID] = m.Error
	}
	require.Equal(t, "42P01", byID["0002_missing"].SQLState)
	require.Equal(t, 2, byID["0004_dup"].Statement)
	require.Equal(t, 3, byID["0004_dup"].Line)
	require.Equal(t, "23505", byID["0004_dup"].SQLState)
	require.Equal(t, "42601", byID["0005_syntax"].SQLState)
	require.Equal(t, 4, byID["0005_syntax"].Line)
	var pe *executor.PreflightError
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe.Failures, 3)
	require.Empty(t, res.Applied)
}

func TestPreflightDeferredConstraints(t *testing.T) {
	t.Parallel()
	schema := "-- safe: always\nCREATE TABLE parent (id int PRIMARY KEY);\n" +
		"CREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n"
	t.Run("violation is caught", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		g := load(t, files(
			"0001_schema.sql", schema,
			"0002_data.sql", "-- safe: always\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 42);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		f := res.Preflight.Migrations[1]
		require.Equal(t, executor.StatusFailed, f.Status)
		require.Equal(t, "23503", f.Error.SQLState)
		require.Equal(t, 0, f.Error.Statement)
		require.Contains(t, f.Error.Context, "deferred constraint")
		require.Contains(t, f.Error.Message, "child_parent_id_fkey")
		require.Empty(t, appliedIDs(t, pgtest.Connect(t, url), "public"))
	})
	t.Run("deferred unique constraints and constraint triggers are checked", func(t *testing.T) {
		t.Parallel()
		_, tg := fresh(t)
		g := load(t, files(
			"0001_schema.sql", "-- safe: always\nCREATE TABLE u (id int UNIQUE DEFERRABLE INITIALLY DEFERRED);\n"+
				"CREATE TABLE audited (id int);\n"+
				"CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;\n"+
				"CREATE CONSTRAINT TRIGGER audited_refuse AFTER INSERT ON audited DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();\n",
			"0002_dup.sql", "-- safe: always\nINSERT INTO u VALUES (1), (1);\n",
			"0003_audited.sql", "-- safe: always\nINSERT INTO audited VALUES (1);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		dup, audited := res.Preflight.Migrations[1], res.Preflight.Migrations[2]
		require.Equal(t, executor.StatusFailed, dup.Status)
		require.Equal(t, "23505", dup.Error.SQLState)
		require.Contains(t, dup.Error.Context, "deferred constraint")
		require.Equal(t, executor.StatusFailed, audited.Status)
		require.Contains(t, audited.Error.Message, "refused at commit")
		require.Contains(t, audited.Error.Context, "deferred constraint")
	})
	t.Run("later migrations keep deferred mode", func(t *testing.T) {
		t.Parallel()
		_, tg := fresh(t)
		g := load(t, files(
			"0001_schema.sql", schema,
			"0002_data.sql", "-- safe: always\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 1);\n",
			// Child before parent: valid only while the FK stays deferred.
			"0003_more.sql", "-- safe: always\nINSERT INTO child VALUES (2, 7);\nINSERT INTO parent VALUES (7);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		require.Len(t, res.Applied, 3)
	})
	t.Run("violation at commit during apply", func(t *testing.T) {
		t.Parallel()
		_, tg := fresh(t)
		g := load(t, files(
			"0001_schema.sql", schema,
			"0002_data.sql", "-- safe: always\nINSERT INTO child VALUES (1, 42);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
		var pe *executor.PartialError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, []string{"0001_schema"}, pe.Applied)
		require.Equal(t, "23503", res.Failed.SQLState)
		require.Contains(t, res.Failed.Context, "commit")
	})
}

func TestPreflightRejectsTransactionControl(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files("0001_tx.sql", "-- safe: always\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	f := res.Preflight.Migrations[0].Error
	require.Equal(t, 1, f.Statement)
	require.Equal(t, 2, f.Line)
	require.Contains(t, f.Hint, "own transaction")

	g = load(t, files("0001_cic.sql", "-- safe: always\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"))
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	f = res.Preflight.Migrations[0].Error
	require.Equal(t, "25001", f.SQLState)
	require.Contains(t, f.Hint, "transaction: false")
}

func TestPreflightSyntaxErrorIsPositioned(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files("0001_typo.sql", "-- safe: always\nCREATE TABLE a (id int);\n\nSELEC 1;\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	f := res.Preflight.Migrations[0].Error
	require.Equal(t, 4, f.Line)
	require.Equal(t, "42601", f.SQLState)
	require.Equal(t, `syntax error at or near "SELEC"`, f.Message, "said once, not \"syntax error: syntax error at …\"")
	require.Contains(t, err.Error(), `0001_typo.sql:4: migration 0001_typo: syntax error at or near "SELEC"`)
}

// TestErrorLineIsWhereThePositionIs: when PostgreSQL gives the position of
// the error, the reported line is that line of the file, not the first
// line of a long statement.
func TestErrorLineIsWhereThePositionIs(t *testing.T) {
	t.Parallel()
	body := "-- safe: always\nCREATE TABLE a (id int);\nSELECT id,\n       nope\n  FROM a;\n"
	for _, tc := range []struct {
		name string
		src  string
		opts executor.Options
	}{
		{"preflight", body, executor.Options{Phase: planner.PostDeploy}},
		{"apply", body, executor.Options{Phase: planner.PostDeploy, NoPreflight: true}},
		{"transaction false", "-- safe: always\n-- transaction: false\nCREATE TABLE a (id int);\nSELECT id,\n       nope\n  FROM a;\n", executor.Options{Phase: planner.PostDeploy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, tg := fresh(t)
			res, err := executor.Run(ctx(t), tg, load(t, files("0001_a.sql", tc.src)), tc.opts)
			require.Error(t, err)
			f := res.Failed
			if f == nil {
				f = res.Preflight.Migrations[0].Error
			}
			require.Equal(t, "42703", f.SQLState)
			require.Equal(t, 2, f.Statement)
			want := 4
			if tc.name == "transaction false" {
				want = 5
			}
			require.Equal(t, want, f.Line, "the line of \"nope\"")
		})
	}
}
