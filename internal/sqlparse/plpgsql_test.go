package sqlparse_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

func TestParsePlpgsql(t *testing.T) {
	root, err := sqlparse.ParsePlpgsql("DO $$\nBEGIN\n  ALTER TABLE t DROP COLUMN c;\n  EXECUTE 'x';\nEND $$")
	require.NoError(t, err)
	found := map[string]sqlparse.Node{}
	root.Walk(func(key string, v sqlparse.Node) bool {
		if _, ok := found[key]; !ok {
			found[key] = v
		}
		return true
	})
	exec := found["PLpgSQL_stmt_execsql"]
	assert.Equal(t, 3, exec.I("lineno"))
	assert.Equal(t, "ALTER TABLE t DROP COLUMN c", exec.Get("sqlstmt").As("PLpgSQL_expr").S("query"))
	assert.Contains(t, found, "PLpgSQL_stmt_dynexecute")

	_, err = sqlparse.ParsePlpgsql("DO $$ BEGIN RETURN QUERY SELECT 1; END $$")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PL/pgSQL")

	_, err = sqlparse.ParsePlpgsql("DO $$ BEGIN \x00 END $$")
	var se *sqlparse.SyntaxError
	require.ErrorAs(t, err, &se)
}

// TestParsePlpgsqlSQLStandardBody: libpg_query asserts (and aborts the
// process) on a function without an AS body; a SQL-standard body is an
// error instead.
func TestParsePlpgsqlSQLStandardBody(t *testing.T) {
	for _, src := range []string{
		"CREATE PROCEDURE pr() LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1",
		"/* c */ create or replace function f() returns int return 1",
	} {
		_, err := sqlparse.ParsePlpgsql(src)
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), "SQL-standard function body is SQL")
	}
	_, err := sqlparse.ParsePlpgsql("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$")
	assert.NoError(t, err)
}
