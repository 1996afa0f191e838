package executor_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneParsePerMigration: the executor parses a migration file once,
// in [Session.unit], and everything else (refusals, the run, the
// rehearsal's side effects, --trace's analysed locks) reads the
// statements and trees cached there. Before, a file was parsed up to four
// times a run (refusals, split, side effects, trace), two of them into
// another tree. Statement rewrites (sqlparse.WithoutConcurrently,
// sqlparse.IndexShape) reparse one statement for its new text and are
// not whole-file parses.
func TestOneParsePerMigration(t *testing.T) {
	t.Parallel()
	fileParsers := map[string]bool{
		"sqlparse.Split": true, "annotate.Parse": true, "annotate.Analyze": true,
		"annotate.SideEffects": true, "annotate.Refusals": true,
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var calls []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && fileParsers[pkg.Name+"."+sel.Sel.Name] {
				calls = append(calls, pkg.Name+"."+sel.Sel.Name+" at "+fset.Position(sel.Pos()).String())
			}
			return true
		})
	}
	require.Len(t, calls, 1, "one whole-file parse in the executor: %v", calls)
	assert.Contains(t, calls[0], "sqlparse.Split at unit.go:")
}
