package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// analyseAll runs migrations in order through one schema and returns the
// last analysis.
func analyseAll(t *testing.T, opts annotate.Options, srcs ...string) *annotate.Analysis {
	t.Helper()
	s := annotate.NewSchema()
	var an *annotate.Analysis
	for _, src := range srcs {
		stmts, err := annotate.Parse(src)
		require.NoError(t, err)
		an = s.Analyze(stmts, opts)
	}
	return an
}

const eventsTable = "CREATE TABLE events (id bigserial PRIMARY KEY, happened_at timestamp NOT NULL, payload jsonb);"

func TestTimestamptzUnderUTCDoesNotRewrite(t *testing.T) {
	utc := "-- safe: before_deploy\nSET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;\n"
	an := analyseAll(t, annotate.Options{PGVersion: 15}, eventsTable, utc)
	assert.Empty(t, an.Statements[1].Rewrites, "PostgreSQL 12+ relabels the column when the session time zone is UTC")
	assert.Equal(t, migration.BeforeDeploy, an.Suggested)

	for name, src := range map[string]string{
		"no SET":          "ALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
		"other zone":      "SET timezone = 'Europe/Paris';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
		"reset":           "SET timezone = 'UTC';\nRESET timezone;\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
		"SET after":       "ALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;\nSET timezone = 'UTC';",
		"with USING":      "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz USING happened_at AT TIME ZONE 'Europe/Paris';",
		"precision moved": "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz(3);",
	} {
		an := analyseAll(t, annotate.Options{PGVersion: 15}, eventsTable, src)
		rewrites := false
		for _, s := range an.Statements {
			rewrites = rewrites || len(s.Rewrites) > 0
		}
		assert.True(t, rewrites, name)
	}
	an = analyseAll(t, annotate.Options{PGVersion: 11}, eventsTable, utc)
	assert.Equal(t, []string{"events"}, an.Statements[1].Rewrites, "before PostgreSQL 12 it always rewrites")
}

func TestSerialIsAnInteger(t *testing.T) {
	for _, create := range []string{
		"CREATE TABLE orders (id serial PRIMARY KEY, total numeric);",
		"CREATE TABLE orders (id int4 PRIMARY KEY, total numeric);",
	} {
		an := analyseAll(t, annotate.Options{}, create, "ALTER TABLE orders ALTER COLUMN id TYPE bigint;")
		assert.Equal(t, annotate.Expand, an.Effect, create)
		assert.Equal(t, "line 1: widens orders.id to int8: old code keeps working", an.Reason, create)
	}
	an := analyseAll(t, annotate.Options{}, "CREATE TABLE orders (id bigserial PRIMARY KEY);", "ALTER TABLE orders ALTER COLUMN id TYPE int;")
	assert.Equal(t, annotate.Contract, an.Effect, "bigserial is int8: int4 narrows it")
	s := annotate.NewSchema()
	stmts, err := annotate.Parse("CREATE TABLE orders (id smallserial);")
	require.NoError(t, err)
	s.Analyze(stmts, annotate.Options{})
	got, ok := s.ColumnType("orders", "id")
	assert.True(t, ok)
	assert.Equal(t, "int2", got)
}

func TestRecreatedViewIsNeutral(t *testing.T) {
	create := "CREATE VIEW active_users AS SELECT id, email, name FROM users WHERE active;"
	an := analyseAll(t, annotate.Options{}, create,
		"-- safe: always\nDROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE active AND NOT banned;\n")
	assert.Equal(t, migration.Always, an.Suggested, an.Reason)
	assert.Equal(t, annotate.Neutral, an.Statements[0].Effect)

	an = analyseAll(t, annotate.Options{}, create,
		"DROP VIEW IF EXISTS active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, name FROM users;\n")
	assert.Equal(t, migration.AfterDeploy, an.Suggested, "the new view lost a column old code selects")
	assert.Equal(t, "line 2: re-creates view active_users without column email: old code selecting it fails", an.Reason)

	an = analyseAll(t, annotate.Options{}, "DROP VIEW active_users;")
	assert.Equal(t, migration.AfterDeploy, an.Suggested, "a view dropped for good is a contract")

	matview := "CREATE MATERIALIZED VIEW sales_daily AS SELECT day, sum(total) AS total FROM sales GROUP BY day;"
	an = analyseAll(t, annotate.Options{}, matview, "DROP MATERIALIZED VIEW sales_daily;\n"+matview)
	assert.NotEqual(t, migration.AfterDeploy, an.Suggested, an.Reason)
}

func TestAlterTableSubcommandPositions(t *testing.T) {
	src := "ALTER TABLE users\n  ADD COLUMN nickname text,\n  ALTER COLUMN name TYPE varchar(20),\n  ALTER COLUMN email SET NOT NULL,\n  DROP COLUMN \"legacy, flag\";\n"
	an, err := annotate.Analyze(src, annotate.Options{})
	require.NoError(t, err)
	acts := an.Statements[0].Actions
	require.Len(t, acts, 4)
	lines := []int{}
	for _, a := range acts {
		line := 1
		for _, c := range src[:a.Pos] {
			if c == '\n' {
				line++
			}
		}
		lines = append(lines, line)
	}
	assert.Equal(t, []int{2, 3, 4, 5}, lines)
	assert.Equal(t, "ALTER COLUMN name", src[acts[1].Pos:acts[1].Pos+17])
}

func TestCreateTableIfNotExists(t *testing.T) {
	// Known to exist: a no-op that changes nothing the schema knows.
	s := annotate.NewSchema()
	for _, src := range []string{
		"CREATE TABLE users (id int PRIMARY KEY, name varchar(50));",
		"CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text);\nCREATE INDEX users_name ON users (name);",
	} {
		stmts, err := annotate.Parse(src)
		require.NoError(t, err)
		an := s.Analyze(stmts, annotate.Options{})
		if src[:25] == "CREATE TABLE IF NOT EXIST" {
			create := an.Statements[0].Actions[0]
			assert.Equal(t, annotate.Neutral, create.Effect)
			assert.Equal(t, "creates table users if it does not exist, and it does: nothing happens", create.Reason)
			assert.False(t, an.Statements[1].Actions[0].New, "users is not new: the index build blocks its writes")
		}
	}
	got, _ := s.ColumnType("users", "name")
	assert.Equal(t, "varchar(50)", got, "the no-op does not replace the columns")

	for name, tc := range map[string]struct {
		history []string
		src     string
		isNew   bool
	}{
		"unknown": {[]string{"CREATE TABLE users (id int);"}, "CREATE TABLE IF NOT EXISTS accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", false},
		// ht10b FP3: nothing earlier can have created it.
		"first migration":        {nil, "CREATE TABLE IF NOT EXISTS accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", true},
		"first, CREATE TABLE AS": {nil, "CREATE TABLE IF NOT EXISTS accounts AS SELECT 1 AS id;\nCREATE INDEX accounts_id ON accounts (id);", true},
		"dropped before":         {[]string{"CREATE TABLE accounts (id int);", "DROP TABLE accounts;"}, "CREATE TABLE IF NOT EXISTS accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", true},
		"dropped here":           {nil, "DROP TABLE IF EXISTS accounts;\nCREATE TABLE IF NOT EXISTS accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", true},
		"renamed away":           {[]string{"CREATE TABLE accounts (id int);", "ALTER TABLE accounts RENAME TO accounts_old;"}, "CREATE TABLE IF NOT EXISTS accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", true},
		"no IF NOT EXISTS":       {nil, "CREATE TABLE accounts (id int);\nCREATE INDEX accounts_id ON accounts (id);", true},
		"CREATE TABLE AS, INE":   {[]string{"CREATE TABLE accounts (id int);"}, "CREATE TABLE IF NOT EXISTS accounts AS SELECT 1 AS id;\nCREATE INDEX accounts_id ON accounts (id);", false},
	} {
		an := analyseAll(t, annotate.Options{}, append(tc.history, tc.src)...)
		last := an.Statements[len(an.Statements)-1]
		assert.Equal(t, tc.isNew, last.Actions[0].New, name)
	}
}
