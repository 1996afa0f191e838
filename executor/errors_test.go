package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
)

// TestMigrationErrorRendering pins the text of a failed migration:
// file:line, statement, message, SQLSTATE, then indented DETAIL and HINT.
func TestMigrationErrorRendering(t *testing.T) {
	e := &executor.MigrationError{ID: "0002_x", File: "0002_x.sql", Line: 4, Statement: 2,
		Message: `column "x" does not exist`, SQLState: "42703", Detail: "d", Hint: "h"}
	require.Equal(t, "0002_x.sql:4: migration 0002_x, statement 2: column \"x\" does not exist (SQLSTATE 42703)\n  DETAIL: d\n  HINT: h", e.Error())
}
