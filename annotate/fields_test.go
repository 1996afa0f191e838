package annotate_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// The analysis reads the parse tree by name: a field name, a node type
// or an enum value misspelt (or renamed by a new parser version) would
// read as absent and silently turn a check off. TestTreeNamesExist
// collects, from the source of every package that reads the tree, each
// name it reads, and asserts that the parser produces it for some
// statement of the corpus: the .sql files of the repository (every lint
// rule's fixtures among them) and testdata/tree-names.sql, which holds a
// statement for each name nothing else exercises.

// readSites are the packages that read statements' parse trees
// (internal/sqlparse reads only the envelope of the statements, which
// every test of Split covers).
var readSites = []string{".", "../executor", "../lint"}

// nameUse is a name the source reads and where.
type nameUse struct {
	name, at string
	value    bool // an enum or option value, not a field or node type
}

// nodeMethods are the Node accessors whose first argument is a field or
// node type name.
var nodeMethods = map[string]bool{"Get": true, "As": true, "S": true, "I": true, "B": true, "A": true, "Has": true, "Is": true}

func collectTreeNames(t *testing.T) []nameUse {
	var out []nameUse
	fset := token.NewFileSet()
	for _, dir := range readSites {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") || filepath.Base(path) == "tree.go" {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			require.NoError(t, err)
			out = append(out, namesIn(fset, f)...)
		}
	}
	return out
}

// namesIn finds the names a file reads: literal arguments of the Node
// accessors, the literals a string read from the tree (a .S call, a
// .Type result, the key of a Walk or Fields callback) is compared with
// or switched on.
func namesIn(fset *token.FileSet, f *ast.File) []nameUse {
	var out []nameUse
	add := func(lit ast.Expr, value bool) {
		bl, ok := lit.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil || s == "" { // "": an absent value
			return
		}
		out = append(out, nameUse{name: s, at: fset.Position(bl.Pos()).String(), value: value})
	}
	// tracked are the variables holding a string read from the tree:
	// false for keys (field or node type names), true for values.
	//lint:ignore SA1019 the syntactic object resolution is enough for the local variables of these files; go/types would need every package loaded
	tracked := map[*ast.Object]bool{}
	// kindOf says whether e is a string read from the tree.
	kindOf := func(e ast.Expr) (value, ok bool) {
		switch e := e.(type) {
		case *ast.Ident:
			if e.Obj != nil {
				v, ok := tracked[e.Obj]
				return v, ok
			}
		case *ast.CallExpr:
			if sel, isSel := e.Fun.(*ast.SelectorExpr); isSel && sel.Sel.Name == "S" && len(e.Args) == 1 {
				return true, true
			}
		}
		return false, false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				call, ok := rhs.(*ast.CallExpr)
				if !ok {
					continue
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					continue
				}
				switch {
				case sel.Sel.Name == "Type" && len(call.Args) == 0 && len(n.Lhs) == 2:
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Obj != nil {
						tracked[id.Obj] = false
					}
				case sel.Sel.Name == "S" && len(call.Args) == 1 && len(n.Lhs) == len(n.Rhs):
					if id, ok := n.Lhs[i].(*ast.Ident); ok && id.Obj != nil {
						tracked[id.Obj] = true
					}
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if nodeMethods[sel.Sel.Name] && len(n.Args) >= 1 {
				add(n.Args[0], false)
				if sel.Sel.Name == "Is" && len(n.Args) == 2 {
					add(n.Args[1], true)
				}
			}
		case *ast.FuncType:
			trackKeyParam(n, tracked)
		case *ast.SwitchStmt:
			if n.Tag == nil {
				return true
			}
			value, ok := kindOf(n.Tag)
			if !ok {
				return true
			}
			for _, c := range n.Body.List {
				for _, e := range c.(*ast.CaseClause).List {
					add(e, value)
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				return true
			}
			if value, ok := kindOf(n.X); ok {
				add(n.Y, value)
			} else if value, ok := kindOf(n.Y); ok {
				add(n.X, value)
			}
		}
		return true
	})
	return out
}

// trackKeyParam tracks the key of a tree callback, a function of
// (key string, v Node): a field or node type name.
//
//lint:ignore SA1019 the syntactic object resolution is enough for the local variables of these files; go/types would need every package loaded
func trackKeyParam(ft *ast.FuncType, tracked map[*ast.Object]bool) {
	ps := ft.Params.List
	if len(ps) != 2 || len(ps[0].Names) != 1 || len(ps[1].Names) != 1 {
		return
	}
	if id, ok := ps[0].Type.(*ast.Ident); !ok || id.Name != "string" {
		return
	}
	switch typ := ps[1].Type.(type) {
	case *ast.Ident:
		if typ.Name != "Node" {
			return
		}
	case *ast.SelectorExpr:
		if typ.Sel.Name != "Node" {
			return
		}
	default:
		return
	}
	if o := ps[0].Names[0].Obj; o != nil {
		tracked[o] = false
	}
}

// corpusNames parses the corpus and returns the object keys and the
// string values of its parse trees (PL/pgSQL bodies included).
func corpusNames(t *testing.T) (keys, values map[string]bool) {
	keys, values = map[string]bool{}, map[string]bool{}
	visit := func(key string, v sqlparse.Node) bool {
		keys[key] = true
		if s := v.Str(); s != "" {
			values[s] = true
		}
		return true
	}
	files := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		stmts, err := sqlparse.Split(string(src))
		if err != nil {
			return nil // fixtures of syntax errors
		}
		files++
		for _, st := range stmts {
			st.Tree.Walk(visit)
			if st.Tree.As("DoStmt").Exists() || st.Tree.As("CreateFunctionStmt").Exists() {
				if pl, err := sqlparse.ParsePlpgsql(st.SQL); err == nil {
					pl.Walk(visit)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 100, "the corpus is the repository's .sql files")
	return keys, values
}

func TestTreeNamesExist(t *testing.T) {
	uses := collectTreeNames(t)
	require.Greater(t, len(uses), 300, "the collector finds the names the analysis reads")
	keys, values := corpusNames(t)
	missing := map[string][]string{}
	for _, u := range uses {
		if u.value && !values[u.name] || !u.value && !keys[u.name] {
			missing[u.name] = append(missing[u.name], u.at)
		}
	}
	var names []string
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Errorf("%q is read from the parse tree at %s but the parser produces it for no statement of the corpus: fix the name, or add a statement that has it to annotate/testdata/tree-names.sql", n, strings.Join(missing[n], ", "))
	}
	assert.Empty(t, names)
}
