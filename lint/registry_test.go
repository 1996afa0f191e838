package lint_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/lint"
)

func TestRegistryValid(t *testing.T) {
	require.NoError(t, lint.Validate(lint.Rules))
}

func TestValidateRejects(t *testing.T) {
	noop := func(*lint.Pass) {}
	tests := []struct {
		name  string
		rules []*lint.Rule
		want  string
	}{
		{"duplicate", []*lint.Rule{{ID: "a-b", Doc: "x", Run: noop}, {ID: "a-b", Doc: "y", Run: noop}}, "duplicate ID"},
		{"not kebab", []*lint.Rule{{ID: "Bad_ID", Doc: "x", Run: noop}}, "not kebab-case"},
		{"empty doc", []*lint.Rule{{ID: "a", Run: noop}}, "empty Doc"},
		{"nil run", []*lint.Rule{{ID: "a", Doc: "x"}}, "nil Run"},
		{"nil rule", []*lint.Rule{nil}, "is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lint.Validate(tt.rules)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, err = lint.New(lint.Config{Rules: tt.rules})
			require.Error(t, err, "New validates the registry")
		})
	}
	err := lint.ValidateRetired([]*lint.Rule{{ID: "old-rule", Doc: "x", Run: noop}}, map[string]string{"old-rule": "merged into another"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retired")
}

// TestRulesDocumented keeps docs/rules.md in step with the registry: one
// section per rule, in registry order, each with the parts a reader needs.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	require.NoError(t, err)
	heading := regexp.MustCompile("(?m)^## `([a-z0-9-]+)`")
	var documented []string
	for _, m := range heading.FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	var ids []string
	for _, r := range lint.Rules {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, ids, documented, "docs/rules.md sections must match lint.Rules, in order")
	sections := heading.Split(string(doc), -1)[1:]
	for i, s := range sections {
		if i >= len(lint.Rules) {
			break
		}
		r := lint.Rules[i]
		for _, part := range []string{"**Severity:** " + r.Severity.String(), "**Why:**", "**Lock:**", "**Instead:**", "**Example:**", "```sql"} {
			assert.Contains(t, s, part, "section %s lacks %q", r.ID, part)
		}
		assert.Contains(t, oneLine(s), oneLine(r.Doc), "section %s must quote the rule's Doc", r.ID)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestRunHonoursContext(t *testing.T) {
	l, err := lint.New(lint.Config{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	files := make([]lint.File, 50)
	for i := range files {
		files[i] = lint.File{Path: "x.sql", ID: "0001_x", Src: []byte("SELECT 1;")}
	}
	_, err = l.Run(ctx, files)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPGVersionChangesRules(t *testing.T) {
	files := []lint.File{{Path: "0001_a.sql", Src: []byte("-- safe: before_deploy\nALTER TABLE users ADD COLUMN active boolean DEFAULT true;\n")}}
	assert.Empty(t, run(t, files, lint.Config{PGVersion: 15}).Diagnostics)
	res := run(t, files, lint.Config{PGVersion: 10})
	require.Len(t, res.Diagnostics, 1)
	assert.Equal(t, "add-column-rewriting-default", res.Diagnostics[0].Rule)

	notNull := []lint.File{
		{Path: "0001_a.sql", Src: []byte("-- safe: after_deploy\nALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n")},
		{Path: "0002_b.sql", Src: []byte("-- safe: always\nALTER TABLE users VALIDATE CONSTRAINT c;\n")},
		{Path: "0003_c.sql", Src: []byte("-- safe: after_deploy\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")},
	}
	assert.Empty(t, run(t, notNull, lint.Config{PGVersion: 12}).Diagnostics)
	res = run(t, notNull, lint.Config{PGVersion: 11})
	require.Len(t, res.Diagnostics, 1)
	assert.Equal(t, "set-not-null", res.Diagnostics[0].Rule)
}

func TestIgnores(t *testing.T) {
	src := `-- safe: before_deploy
-- safemigrate:ignore-file prefer-jsonb -- legacy payloads
CREATE TABLE t (a json);
CREATE INDEX i1 ON users (a); -- safemigrate:ignore require-concurrent-index -- small table
-- safemigrate:ignore require-concurrent-index, drop-column
CREATE INDEX i2 ON users (b);
CREATE INDEX i3 ON users (c);
`
	res := run(t, []lint.File{{Path: "0001_x.sql", Src: []byte(src)}}, lint.Config{})
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	assert.Equal(t, []string{
		"0001_x.sql:5:1: warning unused-ignore: safemigrate:ignore drop-column silences nothing in the next statement",
		"0001_x.sql:7:1: error require-concurrent-index: creates index i3 without CONCURRENTLY: the SHARE lock blocks writes to users while the index builds",
	}, got)
}

func TestDeterministicOrder(t *testing.T) {
	var files []lint.File
	for _, dir := range []string{"require-concurrent-index", "set-not-null", "change-column-type", "dml-without-where"} {
		files = append(files, loadDir(t, "testdata/rules/"+dir)...)
	}
	first := run(t, files, lint.Config{Workers: 1})
	for range 5 {
		again := run(t, files, lint.Config{Workers: 8})
		assert.Equal(t, first, again)
	}
}

func FuzzLint(f *testing.F) {
	for _, s := range []string{
		"-- safe: before_deploy\nCREATE INDEX i ON t (a);",
		"-- safemigrate:ignore x\nSELECT 1; -- safemigrate:ignore y",
		"-- safe: after_deploy\n-- transaction: false\nALTER TABLE t ADD COLUMN c serial NOT NULL REFERENCES u CHECK (c > 0) UNIQUE;",
		"-- safe: always\nDROP TABLE IF EXISTS a, b CASCADE; TRUNCATE c; VACUUM FULL; CLUSTER;",
		"-- delay: 7d\n-- safe: befor\nSELEC",
	} {
		f.Add(s)
	}
	l, err := lint.New(lint.Config{Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		res, err := l.Run(context.Background(), []lint.File{{Path: "0001_f.sql", Src: []byte(src)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range res.Diagnostics {
			if d.Line < 1 || d.Column < 1 || d.Pos < 0 || d.Pos > len(src) || d.End < d.Pos {
				t.Fatalf("bad position in %+v", d)
			}
		}
	})
}
