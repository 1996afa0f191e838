package lint_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/lint"
)

// TestUnsupportedSyntaxFollowsPGVersion: what the PostgreSQL 17 grammar
// accepts is checked against the target version.
func TestUnsupportedSyntaxFollowsPGVersion(t *testing.T) {
	src := []byte(`-- safe: before_deploy
CREATE TABLE t (id int, code text, UNIQUE NULLS NOT DISTINCT (code));
MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;
SELECT * FROM (VALUES (1), (2));
DO $$ BEGIN MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE RETURNING t.id; END $$;
`)
	count := func(v int) []string {
		var got []string
		for _, d := range run(t, []lint.File{{Path: "0001_x.sql", Src: src}}, lint.Config{PGVersion: v}).Diagnostics {
			if d.Rule == "unsupported-syntax" {
				got = append(got, d.Message)
			}
		}
		return got
	}
	assert.Len(t, count(14), 5, "NULLS NOT DISTINCT, MERGE, unaliased VALUES, MERGE and MERGE ... RETURNING in the DO block")
	assert.Equal(t, []string{
		"a subquery in FROM without an alias needs PostgreSQL 16, and the target is PostgreSQL 15: the server rejects this statement with a syntax error",
		"MERGE ... RETURNING needs PostgreSQL 17, and the target is PostgreSQL 15: the server rejects this statement with a syntax error",
	}, count(15))
	assert.Len(t, count(16), 1)
	assert.Empty(t, count(17))
}

func TestSyntaxErrorHintIsTruthful(t *testing.T) {
	res := run(t, []lint.File{{Path: "0001_x.sql", Src: []byte("-- safe: always\nSELEC 1;\n")}}, lint.Config{})
	for _, d := range res.Diagnostics {
		if d.Rule == "syntax-error" {
			assert.NotContains(t, d.Hint, "the same grammar the server uses")
			assert.Contains(t, d.Hint, "PostgreSQL 17's grammar")
			return
		}
	}
	t.Fatal("no syntax-error")
}
