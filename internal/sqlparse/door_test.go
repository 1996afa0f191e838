package sqlparse_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneDoor: package sqlparse is the only importer of pg_query (tests
// included), so that the executor, lint and --trace read one tree.
func TestOneDoor(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	door := filepath.Join(root, "internal", "sqlparse")
	fset := token.NewFileSet()
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		if filepath.Dir(path) == door {
			return nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/pganalyze/pg_query_go") {
				t.Errorf("%s imports %s: parse through package internal/sqlparse, the only door to the parser", fset.Position(imp.Pos()), p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 100, "the walk covers the module")
}
