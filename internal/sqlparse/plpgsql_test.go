package sqlparse_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

func TestParsePlpgsqlJSON(t *testing.T) {
	js, err := sqlparse.ParsePlpgsqlJSON("DO $$\nBEGIN\n  ALTER TABLE t DROP COLUMN c;\n  EXECUTE 'x';\nEND $$")
	require.NoError(t, err)
	assert.Contains(t, js, `"PLpgSQL_stmt_execsql":{"lineno":3`)
	assert.Contains(t, js, `"query":"ALTER TABLE t DROP COLUMN c"`)
	assert.Contains(t, js, `"PLpgSQL_stmt_dynexecute"`)

	_, err = sqlparse.ParsePlpgsqlJSON("DO $$ BEGIN RETURN QUERY SELECT 1; END $$")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PL/pgSQL")

	_, err = sqlparse.ParsePlpgsqlJSON("DO $$ BEGIN \x00 END $$")
	var se *sqlparse.SyntaxError
	require.ErrorAs(t, err, &se)
}
