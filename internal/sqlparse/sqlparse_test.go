package sqlparse_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		want  []string
		lines []int
		cols  []int
	}{
		{"empty", "", nil, nil, nil},
		{"comments only", "-- safe: always\n/* nothing */\n", nil, nil, nil},
		{"header then two", "-- safe: before_deploy\n\nCREATE TABLE a (id int);\n  INSERT INTO a VALUES (1);\n",
			[]string{"CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"}, []int{3, 4}, []int{1, 3}},
		{"semicolon in string and dollar quote", "SELECT ';';\nDO $$ BEGIN PERFORM 1; END $$;\n",
			[]string{"SELECT ';'", "DO $$ BEGIN PERFORM 1; END $$"}, []int{1, 2}, []int{1, 1}},
		{"comment between", "SELECT 1;\n/* a\n b */ -- c\nSELECT 2", []string{"SELECT 1", "SELECT 2"}, []int{1, 4}, []int{1, 1}},
		{"nested block comment", "/* a /* b */ c */ SELECT 1;", []string{"SELECT 1"}, []int{1}, []int{19}},
		{"no trailing semicolon", "SELECT 1", []string{"SELECT 1"}, []int{1}, []int{1}},
		// Editors on Windows save a UTF-8 byte order mark; the parser
		// took it for a token ("syntax error at or near \"\ufeff\"").
		{"byte order mark before header", "\ufeff-- safe: always\nCREATE TABLE a (id int);\n", []string{"CREATE TABLE a (id int)"}, []int{2}, []int{1}},
		{"byte order mark before statement", "\ufeffSELECT 1;", []string{"SELECT 1"}, []int{1}, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts, err := sqlparse.Split(tt.src)
			require.NoError(t, err)
			var got []string
			var lines, cols []int
			for _, s := range stmts {
				got = append(got, s.SQL)
				lines = append(lines, s.Line)
				cols = append(cols, s.Column)
				assert.Equal(t, s.SQL, tt.src[s.Start:s.End])
				typ, _ := s.Tree.Type()
				assert.NotEmpty(t, typ, "every statement has its tree")
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.lines, lines)
			assert.Equal(t, tt.cols, cols)
		})
	}
}

func TestSplitSyntaxError(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
	}{
		{"second line", "SELECT 1;\nCREAT TABLE x ();\n", 2, 1},
		{"multibyte before error", "SELECT 'é';\nSELECT FROM WHERE;\n", 2, 13},
		{"unterminated", "SELECT 'abc", 1, 8},
		{"nul byte", "SELECT 1;\x00", 1, 10},
		// A file in Latin-1 or cp1252 failed with "parse SQL: string field
		// contains invalid UTF-8", without a position.
		{"invalid utf-8", "SELECT 1;\nSELECT 'caf\xe9';\n", 2, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqlparse.Split(tt.src)
			var se *sqlparse.SyntaxError
			require.True(t, errors.As(err, &se), "got %v", err)
			assert.Equal(t, tt.line, se.Line, se.Error())
			assert.Equal(t, tt.col, se.Column, se.Error())
			assert.NotEmpty(t, se.Message)
		})
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"SELECT 1;", "CREATE TABLE a(id int); -- x\n", "DO $$ ; $$;", "/* /* */", "SELECT 'é", "\x00", "COPY t FROM STDIN;\n1\tx\n\\.\n", "SELECT 1;\n\\i x.sql\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := sqlparse.Split(src)
		if err != nil {
			var se *sqlparse.SyntaxError
			if errors.As(err, &se) && (se.Offset < 0 || se.Offset > len(src) || se.Line < 1 || se.Column < 1) {
				t.Fatalf("bad error position %+v", se)
			}
			return
		}
		prev := 0
		for _, s := range stmts {
			if s.Start < prev || s.End < s.Start || s.End > len(src) || src[s.Start:s.End] != s.SQL {
				t.Fatalf("bad statement range %d..%d (prev %d) in %q", s.Start, s.End, prev, src)
			}
			prev = s.End
		}
	})
}

func TestSplitTree(t *testing.T) {
	src := "-- safe: always\nSELECT 1;\n/* c */ CREATE INDEX CONCURRENTLY i ON s.t (a)"
	stmts, err := sqlparse.Split(src)
	require.NoError(t, err)
	require.Len(t, stmts, 2)
	assert.Equal(t, "SELECT 1", stmts[0].SQL)
	assert.True(t, stmts[0].Tree.As("SelectStmt").Exists())
	ix := stmts[1].Tree.As("IndexStmt")
	assert.True(t, ix.B("concurrent"))
	assert.Equal(t, "i", ix.S("idxname"))
	assert.Equal(t, "t", ix.Get("relation").S("relname"))
	assert.Equal(t, strings.Index(src, "s.t"), ix.Get("relation").I("location"), "locations are byte offsets into the file")
	var keys []string
	stmts[1].Tree.Walk(func(key string, _ sqlparse.Node) bool {
		keys = append(keys, key)
		return key != "relation"
	})
	assert.Contains(t, keys, "IndexStmt")
	assert.Contains(t, keys, "relation")
	assert.NotContains(t, keys, "relname", "a false return skips the member's value")

	_, err = sqlparse.Split("SELECT 1;\nSELEC 2;")
	var se *sqlparse.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
	assert.Equal(t, 1, se.Column)
}

// TestAnyCall: AnyCall sees the function calls of one statement, nested
// ones included, as Walk does, and none of the other statements' calls.
func TestAnyCall(t *testing.T) {
	src := "SELECT lower(upper('a'));\nCREATE TABLE t (id int);\nSELECT 1 WHERE EXISTS (SELECT now());\nSELECT setval('s', 1)"
	stmts, err := sqlparse.Split(src)
	require.NoError(t, err)
	require.Len(t, stmts, 4)
	for i, st := range stmts {
		var walked []string
		st.Tree.Walk(func(key string, v sqlparse.Node) bool {
			if key == "FuncCall" {
				walked = append(walked, v.A("funcname")[0].Sval())
			}
			return true
		})
		var seen []string
		assert.False(t, st.Tree.AnyCall(func(c sqlparse.Node) bool {
			seen = append(seen, c.A("funcname")[0].Sval())
			return false
		}), "statement %d", i+1)
		assert.ElementsMatch(t, walked, seen, "statement %d", i+1)
	}
	assert.True(t, stmts[0].Tree.AnyCall(func(c sqlparse.Node) bool { return c.A("funcname")[0].Sval() == "upper" }))
	assert.False(t, stmts[1].Tree.AnyCall(func(sqlparse.Node) bool { return true }), "CREATE TABLE calls nothing")
	assert.False(t, sqlparse.Node{}.AnyCall(func(sqlparse.Node) bool { return true }), "an absent node calls nothing")
	var names []string
	stmts[0].Tree.AnyCall(func(c sqlparse.Node) bool { names = append(names, c.A("funcname")[0].Sval()); return false })
	assert.ElementsMatch(t, []string{"lower", "upper"}, names)
	assert.True(t, stmts[2].Tree.As("SelectStmt").AnyCall(func(c sqlparse.Node) bool { return c.A("funcname")[0].Sval() == "now" }))
}

// TestRewrites: the rehearsal's rewrite of a statement that cannot run in
// a transaction block, and the shape an interrupted CREATE INDEX
// CONCURRENTLY is recognised by.
func TestRewrites(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE INDEX CONCURRENTLY i ON t (a)":          "CREATE INDEX i ON t USING btree (a)",
		"DROP INDEX CONCURRENTLY IF EXISTS i":           "DROP INDEX IF EXISTS i",
		"REINDEX (CONCURRENTLY) INDEX i":                "REINDEX INDEX i",
		"ALTER TABLE p DETACH PARTITION c CONCURRENTLY": "ALTER TABLE p DETACH PARTITION c",
	} {
		out, changed, err := sqlparse.WithoutConcurrently(in)
		require.NoError(t, err)
		assert.True(t, changed, in)
		assert.Equal(t, want, out)
	}
	out, changed, err := sqlparse.WithoutConcurrently("CREATE INDEX i ON t (a)")
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, "CREATE INDEX i ON t (a)", out)
	_, _, err = sqlparse.WithoutConcurrently("SELECT 1; SELECT 2")
	assert.Error(t, err)

	a, err := sqlparse.IndexShape("CREATE INDEX CONCURRENTLY IF NOT EXISTS big_v ON s.big (v) WHERE v > 0")
	require.NoError(t, err)
	b, err := sqlparse.IndexShape("CREATE INDEX big_v_idx1 ON s.big USING btree (v) WHERE (v > 0)")
	require.NoError(t, err)
	assert.Equal(t, a, b)
	_, err = sqlparse.IndexShape("SELECT 1")
	assert.Error(t, err)
}

// TestSplitPsqlScript: psql meta-commands and COPY ... FROM STDIN with
// inline rows were reported as `syntax error at or near "\"` or
// `... near "1"`; they are psql script and say so, positioned at the
// command (for inline data: at the COPY).
func TestSplitPsqlScript(t *testing.T) {
	tests := []struct {
		name, src string
		psql      string
		line, col int
		want      string
	}{
		{"copy meta", "-- safe: always\n\\copy t from 'x.csv'\n", sqlparse.PsqlMetaCommand, 2, 1, `psql meta-command \copy`},
		{"include", "SELECT 1;\n\\i other.sql\n", sqlparse.PsqlMetaCommand, 2, 1, `psql meta-command \i:`},
		{"set", "SELECT 1;\n\\set x 1\nSELECT :x;", sqlparse.PsqlMetaCommand, 2, 1, `\set`},
		{"connect", "\\connect other\nSELECT 1;", sqlparse.PsqlMetaCommand, 1, 1, `\connect`},
		{"gset", "SELECT 1 \\gset\n", sqlparse.PsqlMetaCommand, 1, 10, `\gset`},
		{"copy data", "-- safe: always\nCREATE TABLE t (a int, b text);\nCOPY t FROM STDIN;\n1\tfoo\n2\tbar\n\\.\n", sqlparse.PsqlCopyData, 3, 1, "COPY ... FROM STDIN with inline data (from line 4)"},
		{"copy csv data", "COPY t (a, b) FROM stdin WITH (FORMAT csv);\n1,foo\n\\.\nSELECT 1;", sqlparse.PsqlCopyData, 1, 1, "inline data"},
		{"copy data starting with a word", "COPY t FROM STDIN;\nfoo\tbar\n\\.\n", sqlparse.PsqlCopyData, 1, 1, "inline data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, parse := range []func(string) error{
				func(s string) error { _, err := sqlparse.Split(s); return err },
			} {
				var se *sqlparse.SyntaxError
				require.ErrorAs(t, parse(tt.src), &se)
				assert.Equal(t, tt.psql, se.Psql, se.Error())
				assert.Equal(t, tt.line, se.Line, se.Error())
				assert.Equal(t, tt.col, se.Column, se.Error())
				assert.Contains(t, se.Message, tt.want)
				assert.NotEmpty(t, se.Hint)
				assert.NotContains(t, se.Error(), "syntax error")
			}
		})
	}
	// An ordinary syntax error stays one.
	_, err := sqlparse.Split("SELECT 1;\nSELEC 2;\n")
	var se *sqlparse.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Empty(t, se.Psql)
	// A backslash inside a string is SQL.
	_, err = sqlparse.Split("SELECT 'a\\b', E'\\n';")
	assert.NoError(t, err)
}
