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
		{"setval", 6, 4}, {"nextval", 7, 5}, {"setval", 8, 6},
		{"pg_advisory_unlock", 9, 7}, {"pg_advisory_unlock_shared", 9, 7},
		{"dblink", 10, 8}, {"dblink_exec", 11, 9}, {"pg_advisory_unlock_all", 12, 10},
	}, got)

	// Calls in a DO block's body run when the block runs.
	got, err = annotate.SideEffects("CREATE SEQUENCE s;\nDO $$\nDECLARE n bigint;\nBEGIN\n  PERFORM setval('s', 100);\n  n := nextval('s'); -- setval( in a comment\nEND $$;")
	require.NoError(t, err)
	assert.Equal(t, []annotate.SideEffect{{"setval", 5, 2}, {"nextval", 6, 2}}, got)

	// Statements sharing a line: the statement is not guessed from the line.
	got, err = annotate.SideEffects("CREATE SEQUENCE s; SELECT setval('s', 5); SELECT 1/0;")
	require.NoError(t, err)
	assert.Equal(t, []annotate.SideEffect{{"setval", 1, 2}}, got)

	// A rollback does not release a session-level advisory lock, revive a
	// terminated or cancelled session, unwrite a server file or unrun a
	// program. Transaction-level locks go with the transaction.
	got, err = annotate.SideEffects(`SELECT pg_advisory_lock(1), pg_try_advisory_lock_shared(2), pg_advisory_xact_lock(3), pg_try_advisory_xact_lock(4);
SELECT pg_terminate_backend(42), pg_cancel_backend(43);
SELECT lo_export(1, '/tmp/x');
COPY (SELECT 1) TO PROGRAM 'curl -d done https://hooks.example';
COPY t FROM PROGRAM 'cat /etc/hosts';
COPY t TO '/tmp/t.csv';
COPY t FROM '/tmp/t.csv';`)
	require.NoError(t, err)
	assert.Equal(t, []annotate.SideEffect{
		{"pg_advisory_lock", 1, 1}, {"pg_try_advisory_lock_shared", 1, 1},
		{"pg_terminate_backend", 2, 2}, {"pg_cancel_backend", 2, 2},
		{"lo_export", 3, 3},
		{"COPY TO PROGRAM", 4, 4}, {"COPY FROM PROGRAM", 5, 5}, {"COPY TO a file", 6, 6},
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
		// A DO block runs its body at once: wrapping the call in one must
		// not hide it. Comments and EXECUTE strings in the body are not calls.
		{"unlock all in a DO block", "SELECT 1;\nDO $body$\nBEGIN\n  -- pg_advisory_unlock_all() in a comment\n  PERFORM pg_catalog.PG_ADVISORY_UNLOCK_ALL();\nEND $body$;", []string{annotate.RuleAdvisoryUnlockAll}, []int{5}, "migration lock"},
		{"unlock all in a quoted DO block", "DO LANGUAGE plpgsql 'BEGIN RAISE NOTICE ''x''; PERFORM \"pg_advisory_unlock_all\"(); END';", []string{annotate.RuleAdvisoryUnlockAll}, []int{1}, "migration lock"},
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
	rs, err := annotate.Refusals("DO $$ BEGIN EXECUTE 'SELECT 1'; RAISE NOTICE 'pg_advisory_unlock_all()'; END $$;")
	require.NoError(t, err)
	assert.Empty(t, rs, "a string in a DO body is not a call")
	_, err = annotate.Refusals("SELEC 1;")
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
