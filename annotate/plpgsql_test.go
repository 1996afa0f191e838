package annotate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// A realistic "idempotent" migration: the DO block hides a drop and a
// unique constraint behind guards.
const doMigration = `-- safe: always
DO $$
DECLARE
  n int;
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'legacy_flag') THEN
    ALTER TABLE users DROP COLUMN legacy_flag;
  END IF;
  SELECT count(*) INTO n FROM users WHERE email IS NULL;
  PERFORM pg_notify('migrations', 'users cleaned');
  ALTER TABLE users
    ADD COLUMN nickname text,
    ADD CONSTRAINT users_email_key UNIQUE (email);
END
$$;
`

func TestDoBlockIsReadThrough(t *testing.T) {
	an, err := annotate.Analyze(doMigration, annotate.Options{})
	require.NoError(t, err)
	assert.Equal(t, migration.AfterDeploy, an.Suggested)
	assert.Equal(t, 7, an.Line, "the deciding statement is the DROP COLUMN inside the block")
	assert.Equal(t, "line 7: drops column users.legacy_flag: old code selecting or writing it fails", an.Reason)
	require.Len(t, an.Statements, 1)
	do := an.Statements[0]
	assert.Equal(t, annotate.Neutral, do.Effect, "the DO itself hides nothing")
	var got []string
	for _, in := range do.Inner {
		assert.Equal(t, in.SQL, doMigration[in.Start:in.End], "inner statements are positioned in the file")
		got = append(got, in.Kind)
		for _, a := range in.Actions {
			assert.False(t, a.Opaque, a.Reason)
		}
	}
	assert.Equal(t, []string{"ALTER TABLE", "SELECT", "SELECT", "ALTER TABLE"}, got)
	assert.Equal(t, 7, do.Inner[0].Line)
	assert.Equal(t, 5, do.Inner[0].Column)
	assert.True(t, strings.HasPrefix(do.Inner[1].SQL, "SELECT count(*) INTO n"), do.Inner[1].SQL)
	assert.Equal(t, "PERFORM pg_notify('migrations', 'users cleaned')", do.Inner[2].SQL)
	last := do.Inner[3]
	require.Len(t, last.Actions, 2)
	want := "CONSTRAINT users_email_key UNIQUE (email)"
	assert.Equal(t, want, doMigration[last.Actions[1].Pos:last.Actions[1].Pos+len(want)])
	assert.Equal(t, []annotate.RelationLock{{Relation: "users", Mode: annotate.AccessExclusive}}, do.Locks, "the DO holds its statements' locks")
}

func TestDoBlockRenameIsContract(t *testing.T) {
	an, err := annotate.Analyze("-- safe: always\nDO $$ BEGIN ALTER TABLE users RENAME COLUMN name TO full_name; END $$;\n", annotate.Options{})
	require.NoError(t, err)
	assert.Equal(t, migration.AfterDeploy, an.Suggested)
	assert.Equal(t, "line 2: renames column users.name to full_name: old code using name fails", an.Reason)
}

func TestOpaqueStatements(t *testing.T) {
	tests := []struct {
		name, sql, reason string
	}{
		{"dynamic EXECUTE", "DO $$\nBEGIN\n  EXECUTE 'ALTER TABLE t DROP COLUMN c';\nEND $$;", "line 3: runs dynamic SQL (EXECUTE) in a DO block"},
		{"FOR ... IN EXECUTE", "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$;", "line 1: runs dynamic SQL"},
		{"other language", "DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE t') $$;", "line 1: runs a DO block in plpython3u"},
		{"does not compile", "DO $$ BEGIN RETURN QUERY SELECT 1; END $$;", "line 1: runs a DO block that does not compile as PL/pgSQL"},
		{"unknown function in PERFORM", "DO $$\nBEGIN\n  PERFORM migrate_tenants();\nEND $$;", "line 3: calls migrate_tenants()"},
		{"unknown function in a condition", "DO $$\nBEGIN\n  IF cleanup_done() THEN RETURN; END IF;\nEND $$;", "line 3: calls cleanup_done() in a DO block"},
		{"CALL", "CALL archive_orders(2019);", "line 1: calls procedure archive_orders"},
		{"top-level unknown function", "SELECT create_hypertable('metrics', 'time');", "line 1: calls create_hypertable()"},
		{"schema-qualified function", "SELECT partman.create_parent('public.events', 'created_at');", "line 1: calls partman.create_parent()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an, err := annotate.Analyze(tt.sql, annotate.Options{})
			require.NoError(t, err)
			assert.Equal(t, migration.AfterDeploy, an.Suggested, "unknown never rounds to safe")
			assert.True(t, strings.HasPrefix(an.Reason, tt.reason), an.Reason)
			opaque := false
			for _, s := range an.Statements {
				for _, x := range s.Flatten() {
					for _, a := range x.Actions {
						opaque = opaque || a.Opaque
					}
				}
			}
			assert.True(t, opaque)
		})
	}
}

func TestKnownCallsAreNotOpaque(t *testing.T) {
	for _, sql := range []string{
		"SELECT 1;",
		"SELECT setval('users_id_seq', (SELECT max(id) FROM users));",
		"SELECT pg_advisory_xact_lock(42);",
		"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN CREATE TYPE mood AS ENUM ('ok'); END IF; END $$;",
	} {
		an, err := annotate.Analyze(sql, annotate.Options{})
		require.NoError(t, err)
		assert.NotEqual(t, migration.AfterDeploy, an.Suggested, sql)
	}
}

func TestDoBlockQuotedBody(t *testing.T) {
	// A single-quoted body is not in the file as the parser sees it: the
	// statements are still analysed, placed at the DO.
	src := "DO 'BEGIN ALTER TABLE t RENAME TO u; RAISE NOTICE ''done''; END';"
	an, err := annotate.Analyze(src, annotate.Options{})
	require.NoError(t, err)
	assert.Equal(t, migration.AfterDeploy, an.Suggested)
	require.Len(t, an.Statements[0].Inner, 1)
	in := an.Statements[0].Inner[0]
	assert.True(t, in.Start >= 0 && in.End <= len(src) && in.Start <= in.End)
}

// FuzzPlpgsql checks that whatever a DO block holds, its inner statements
// and actions stay inside it and nothing panics.
func FuzzPlpgsql(f *testing.F) {
	for _, s := range []string{
		doMigration,
		"DO $$ BEGIN EXECUTE 'x'; END $$;",
		"DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM t LOOP UPDATE t SET a = 1 WHERE id = r.id; END LOOP; END $$;",
		"DO 'BEGIN PERFORM  foo(''x''); END';",
		"DO $$ BEGIN SELECT a INTO b FROM t; PERFORM 1; CALL p(); END $$;",
		"DO $a$ BEGIN EXECUTE $b$DROP TABLE t$b$; DO $$ BEGIN DROP TABLE t; END $$; END $a$;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		an, err := annotate.Analyze(src, annotate.Options{})
		if err != nil {
			return
		}
		for _, top := range an.Statements {
			for _, s := range top.Flatten() {
				if s.Start < top.Start || s.End > top.End || s.Start > s.End {
					t.Fatalf("statement %q at %d..%d outside its DO %d..%d", s.SQL, s.Start, s.End, top.Start, top.End)
				}
				if s.Line < 1 || s.Column < 1 {
					t.Fatalf("bad position %d:%d", s.Line, s.Column)
				}
				for _, a := range s.Actions {
					if a.Pos < top.Start || a.Pos > top.End {
						t.Fatalf("action %q at %d outside %d..%d", a.Reason, a.Pos, top.Start, top.End)
					}
				}
				if s.Effect == annotate.Contract && an.Suggested != migration.AfterDeploy {
					t.Fatalf("contract statement %q but suggested %s", s.SQL, an.Suggested)
				}
			}
		}
	})
}
