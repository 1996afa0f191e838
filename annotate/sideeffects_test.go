package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
)

func TestSideEffects(t *testing.T) {
	src := `-- safe: always
-- é: a multibyte character before the calls
CREATE SEQUENCE s;
CREATE TABLE t (id bigint DEFAULT nextval('s'), note text);
ALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('s');
SELECT setval('s', (SELECT max(id) FROM t));
INSERT INTO t (id) VALUES (nextval('s'));
SELECT pg_notify('c', 'x'), public.SETVAL('s', 1, false);
SELECT pg_advisory_unlock(42), pg_advisory_unlock_shared(7);
SELECT * FROM dblink('dbname=x', 'SELECT 1') AS r(a int);
SELECT dblink_exec('dbname=x', 'DELETE FROM y');
SELECT pg_advisory_unlock_all();
`
	got, err := annotate.SideEffects(src)
	require.NoError(t, err)
	assert.Equal(t, []annotate.SideEffect{
		{"setval", 6}, {"nextval", 7}, {"setval", 8},
		{"pg_advisory_unlock", 9}, {"pg_advisory_unlock_shared", 9},
		{"dblink", 10}, {"dblink_exec", 11}, {"pg_advisory_unlock_all", 12},
	}, got)

	got, err = annotate.SideEffects("CREATE TABLE a (id int);\nSELECT pg_notify('c', 'x');")
	require.NoError(t, err)
	assert.Empty(t, got, "pg_notify is transactional; no calls, no side effects")

	_, err = annotate.SideEffects("SELEC 1;")
	var se *annotate.SyntaxError
	assert.ErrorAs(t, err, &se)
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name, src string
		rules     []string
		lines     []int
		want      string
	}{
		{"copy from stdin", "-- safe: always\nCOPY t FROM STDIN;\n", []string{annotate.RuleCopyStdio}, []int{2}, "FROM STDIN"},
		{"copy to stdout", "SELECT 1;\n\nCOPY (SELECT 1) TO STDOUT;", []string{annotate.RuleCopyStdio}, []int{3}, "TO STDOUT"},
		{"copy inline data", "CREATE TABLE t (a int);\nCOPY t FROM STDIN;\n1\n2\n\\.\n", []string{annotate.RuleCopyStdio}, []int{2}, "inline data"},
		{"meta-command", "SELECT 1;\n\\i x.sql\n", []string{annotate.RulePsqlMetaCommand}, []int{2}, "psql script"},
		{"unlock all", "SELECT 1;\nDO $$ BEGIN END $$;\nSELECT 1 WHERE pg_advisory_unlock_all() IS NULL;", []string{annotate.RuleAdvisoryUnlockAll}, []int{3}, "migration lock"},
		{"fine", "COPY t FROM '/srv/t.csv';\nCOPY t TO PROGRAM 'cat';\nSELECT pg_advisory_unlock(1);", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := annotate.Refusals(tt.src)
			require.NoError(t, err)
			var rules []string
			var lines []int
			for _, r := range rs {
				rules = append(rules, r.Rule)
				lines = append(lines, r.Line)
				assert.Contains(t, r.Message, tt.want)
				assert.NotEmpty(t, r.Hint)
			}
			assert.Equal(t, tt.rules, rules)
			assert.Equal(t, tt.lines, lines)
		})
	}
	_, err := annotate.Refusals("SELEC 1;")
	var se *annotate.SyntaxError
	assert.ErrorAs(t, err, &se, "an ordinary syntax error is the SQL's own problem")
}

func FuzzSideEffects(f *testing.F) {
	for _, s := range []string{"SELECT setval('s', 1);", "CREATE TABLE t (id int DEFAULT nextval('s'));", "COPY t FROM STDIN;\n1\n", "\\i x", "SELECT pg_advisory_unlock_all();"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ses, err := annotate.SideEffects(src)
		if err != nil {
			return
		}
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, se := range ses {
			if se.Line < 1 || se.Line > lines || se.Func == "" {
				t.Fatalf("bad side effect %+v in %q", se, src)
			}
		}
		rs, err := annotate.Refusals(src)
		if err != nil {
			t.Fatalf("Refusals failed on SQL that parses: %v", err)
		}
		for _, r := range rs {
			if r.Pos < 0 || r.End < r.Pos || r.End > len(src) || r.Line < 1 || r.Line > lines {
				t.Fatalf("bad refusal %+v in %q", r, src)
			}
		}
	})
}
