package cli_test

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIIsAThinShell: the command line renders what the library
// (package safemigrate) reports; it neither talks to PostgreSQL nor
// plans, executes or loads migrations itself.
func TestCLIIsAThinShell(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	forbidden := []string{
		"github.com/jackc/pgx", "database/sql",
		"github.com/safemigrate/safemigrate/planner", "github.com/safemigrate/safemigrate/executor",
		"github.com/safemigrate/safemigrate/graph", "github.com/safemigrate/safemigrate/migration",
		"github.com/safemigrate/safemigrate/pgcluster",
	}
	for _, imp := range pkg.Imports {
		for _, f := range forbidden {
			assert.False(t, imp == f || strings.HasPrefix(imp, f+"/"), "internal/cli imports %s; use package safemigrate", imp)
		}
	}
	assert.Contains(t, pkg.Imports, "github.com/safemigrate/safemigrate")
}
