package sqlparse_test

import (
	"errors"
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
				assert.NotNil(t, s.Node)
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

func TestParseJSONAndRange(t *testing.T) {
	src := "-- safe: always\nSELECT 1;\n/* c */ SELECT 2"
	js, err := sqlparse.ParseJSON(src)
	require.NoError(t, err)
	assert.Contains(t, js, `"SelectStmt"`)
	start, end, err := sqlparse.Range(src, 0, 25)
	require.NoError(t, err)
	assert.Equal(t, "SELECT 1", src[start:end])
	start, end, err = sqlparse.Range(src, 26, 0)
	require.NoError(t, err)
	assert.Equal(t, "SELECT 2", src[start:end])
	_, _, err = sqlparse.Range(src, 10, 100)
	assert.Error(t, err)

	_, err = sqlparse.ParseJSON("SELECT 1;\nSELEC 2;")
	var se *sqlparse.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
	assert.Equal(t, 1, se.Column)
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
				func(s string) error { _, err := sqlparse.ParseJSON(s); return err },
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
