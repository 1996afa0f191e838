package annotate_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

func TestAnalyzeEffects(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		effect    annotate.Effect
		suggested migration.Safe
		reason    string
	}{
		{"empty", "-- safe: always\n", annotate.Neutral, migration.Always, "no statements"},
		{"new table", "CREATE TABLE users (id bigint primary key, email text);", annotate.Expand, migration.BeforeDeploy, "line 1: creates table users: old code does not know it"},
		{"nullable column", "ALTER TABLE users ADD COLUMN email text;", annotate.Expand, migration.BeforeDeploy, "line 1: adds column users.email: old code ignores it"},
		{"drop column", "ALTER TABLE users DROP COLUMN email;", annotate.Contract, migration.AfterDeploy, "line 1: drops column users.email: old code selecting or writing it fails"},
		{"not null without default", "ALTER TABLE users ADD COLUMN age int NOT NULL;", annotate.Contract, migration.AfterDeploy, "line 1: adds NOT NULL column users.age without a default: inserts from old code that omit it fail"},
		{"not null with default", "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;", annotate.Expand, migration.BeforeDeploy, ""},
		{"backfill", "UPDATE users SET age = 0 WHERE age IS NULL;", annotate.Data, migration.Always, "line 1: updates rows of users"},
		{"comment", "COMMENT ON TABLE users IS 'people';", annotate.Neutral, migration.Always, ""},
		{"mix decides strictest", "ALTER TABLE users ADD COLUMN a text;\nUPDATE users SET a = 'x' WHERE id < 10;\nALTER TABLE users RENAME COLUMN b TO c;", annotate.Contract, migration.AfterDeploy, "line 3: renames column users.b to c: old code using b fails"},
		{"set not null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", annotate.Contract, migration.AfterDeploy, ""},
		{"drop on new table is expand", "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;", annotate.Expand, migration.BeforeDeploy, ""},
		{"schema-qualified", "DROP TABLE billing.invoices;", annotate.Contract, migration.AfterDeploy, "line 1: drops table billing.invoices: old code using it fails"},
		{"widening to text", "ALTER TABLE users ALTER COLUMN name TYPE text;", annotate.Expand, migration.BeforeDeploy, ""},
		{"narrowing", "ALTER TABLE users ALTER COLUMN name TYPE varchar(10);", annotate.Contract, migration.AfterDeploy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an, err := annotate.Analyze(tt.sql, annotate.Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.effect, an.Effect)
			assert.Equal(t, tt.suggested, an.Suggested)
			if tt.reason != "" {
				assert.Equal(t, tt.reason, an.Reason)
			}
		})
	}
}

func TestAnalyzeLocks(t *testing.T) {
	tests := []struct {
		sql      string
		locks    []annotate.RelationLock
		rewrites []string
		scans    []string
		txn      bool
	}{
		{"CREATE INDEX i ON users (email);", []annotate.RelationLock{{Relation: "users", Mode: annotate.Share}}, nil, []string{"users"}, true},
		{"CREATE INDEX CONCURRENTLY i ON users (email);", []annotate.RelationLock{{Relation: "users", Mode: annotate.ShareUpdateExclusive}}, nil, []string{"users"}, false},
		{"ALTER TABLE users ADD COLUMN id2 uuid DEFAULT gen_random_uuid();", []annotate.RelationLock{{Relation: "users", Mode: annotate.AccessExclusive}}, []string{"users"}, nil, true},
		{"ALTER TABLE users ADD COLUMN flag bool DEFAULT false;", []annotate.RelationLock{{Relation: "users", Mode: annotate.AccessExclusive}}, nil, nil, true},
		{"ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES public.users (id) NOT VALID;",
			[]annotate.RelationLock{{Relation: "orders", Mode: annotate.ShareRowExclusive}, {Relation: "public.users", Mode: annotate.ShareRowExclusive}}, nil, nil, true},
		{"ALTER TABLE orders VALIDATE CONSTRAINT fk;", []annotate.RelationLock{{Relation: "orders", Mode: annotate.ShareUpdateExclusive}}, nil, []string{"orders"}, true},
		{"VACUUM FULL users;", []annotate.RelationLock{{Relation: "users", Mode: annotate.AccessExclusive}}, []string{"users"}, nil, false},
		{"UPDATE users SET a = 1;", []annotate.RelationLock{{Relation: "users", Mode: annotate.RowExclusive}}, nil, []string{"users"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			an, err := annotate.Analyze(tt.sql, annotate.Options{})
			require.NoError(t, err)
			require.Len(t, an.Statements, 1)
			s := an.Statements[0]
			assert.Equal(t, tt.locks, s.Locks)
			assert.Equal(t, tt.rewrites, s.Rewrites)
			assert.Equal(t, tt.scans, s.Scans)
			assert.Equal(t, tt.txn, s.Transactional)
		})
	}
}

func TestAnalyzePGVersion(t *testing.T) {
	sql := "ALTER TABLE users ADD COLUMN flag bool DEFAULT false;"
	an, err := annotate.Analyze(sql, annotate.Options{PGVersion: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"users"}, an.Statements[0].Rewrites)
	an, err = annotate.Analyze(sql, annotate.Options{PGVersion: 11})
	require.NoError(t, err)
	assert.Empty(t, an.Statements[0].Rewrites)
}

func TestSchemaKnowsEarlierMigrations(t *testing.T) {
	s := annotate.NewSchema()
	first, err := annotate.Parse("CREATE TABLE users (id int, name varchar(50));")
	require.NoError(t, err)
	s.Analyze(first, annotate.Options{})
	typ, ok := s.ColumnType("public.users", "name")
	require.True(t, ok)
	assert.Equal(t, "varchar(50)", typ)

	second, err := annotate.Parse("ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\nALTER TABLE users ALTER COLUMN id TYPE text;\nCREATE INDEX i ON users (name);")
	require.NoError(t, err)
	an := s.Analyze(second, annotate.Options{})
	assert.False(t, an.Statements[0].Actions[0].Rewrite, "varchar(50) -> varchar(100) is binary-coercible")
	assert.Equal(t, "varchar(50)", an.Statements[0].Actions[0].OldType)
	assert.True(t, an.Statements[1].Actions[0].Rewrite, "int4 -> text rewrites")
	assert.False(t, an.Statements[2].Actions[0].New, "a table from an earlier migration is not new")
}

func TestAnalyzeNewTableKnown(t *testing.T) {
	an, err := annotate.Analyze("CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\nALTER TABLE t ADD COLUMN c int DEFAULT random();", annotate.Options{})
	require.NoError(t, err)
	for _, s := range an.Statements[1:] {
		for _, a := range s.Actions {
			assert.True(t, a.New, s.SQL)
		}
	}
}

func TestAnalyzeSyntaxError(t *testing.T) {
	_, err := annotate.Analyze("SELECT 1;\nCREAT TABLE x ();", annotate.Options{})
	var se *annotate.SyntaxError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, 2, se.Line)
}

func TestByteOrderMark(t *testing.T) {
	an, err := annotate.Analyze("\ufeff-- safe: always\nSELECT 1;", annotate.Options{})
	require.NoError(t, err)
	require.Len(t, an.Statements, 1)
	assert.Equal(t, "SELECT 1", an.Statements[0].SQL)
	assert.Equal(t, 2, an.Statements[0].Line)
}

func TestActionPositions(t *testing.T) {
	src := "ALTER TABLE users\n  ADD COLUMN a text,\n  ADD COLUMN b int;"
	an, err := annotate.Analyze(src, annotate.Options{})
	require.NoError(t, err)
	acts := an.Statements[0].Actions
	require.Len(t, acts, 2)
	assert.Equal(t, "a text", src[acts[0].Pos:acts[0].Pos+6])
	assert.Equal(t, "b int", src[acts[1].Pos:acts[1].Pos+5])
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"CREATE TABLE t (id int);", "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT random();",
		"DROP INDEX CONCURRENTLY IF EXISTS i;", "REINDEX (CONCURRENTLY) TABLE t;", "VACUUM (FULL) t;",
		"ALTER TABLE t DETACH PARTITION p CONCURRENTLY;", "DO $$ BEGIN END $$;", "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);",
		"ALTER TABLE ONLY t ALTER COLUMN a TYPE numeric(10,2) USING a::numeric;", "ALTER TYPE e ADD VALUE 'x';",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		an, err := annotate.Analyze(sql, annotate.Options{PGVersion: 10})
		if err == nil && an == nil {
			t.Fatal("nil analysis without error")
		}
	})
}

// TestSchemaIndexesFollowTheirTable: an index belongs to its table
// through a rename of the table and is forgotten with it when the table is
// dropped or created anew (what the per-table index count, which spares a
// look through every index at each CREATE TABLE, must keep right).
func TestSchemaIndexesFollowTheirTable(t *testing.T) {
	tests := []struct {
		name       string
		migrations []string
		table      string // of the DROP INDEX in the last migration
	}{
		{"renamed table", []string{"CREATE TABLE a (id int);\nCREATE INDEX ia ON a (id);", "ALTER TABLE a RENAME TO b;", "DROP INDEX ia;"}, "b"},
		{"renamed twice", []string{"CREATE TABLE a (id int);\nCREATE INDEX ia ON a (id);\nCREATE INDEX ia2 ON a (id);", "ALTER TABLE a RENAME TO b;", "ALTER TABLE b RENAME TO c;", "DROP INDEX ia2;"}, "c"},
		{"dropped table", []string{"CREATE TABLE a (id int);\nCREATE INDEX ia ON a (id);", "DROP TABLE a;", "DROP INDEX ia;"}, "ia"},
		{"table created anew", []string{"CREATE TABLE a (id int);\nCREATE INDEX ia ON a (id);", "DROP TABLE a;\nCREATE TABLE a (id int);", "DROP INDEX ia;"}, "ia"},
		{"index moved to another table", []string{"CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE INDEX i ON a (id);", "DROP INDEX i;\nCREATE INDEX i ON b (id);", "DROP TABLE a;\nCREATE TABLE a (id int);", "DROP INDEX i;"}, "b"},
		{"index dropped then table renamed", []string{"CREATE TABLE a (id int);\nCREATE INDEX ia ON a (id);", "DROP INDEX ia;", "ALTER TABLE a RENAME TO b;", "DROP INDEX ia;"}, "ia"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := annotate.NewSchema()
			var an *annotate.Analysis
			for _, m := range tt.migrations {
				stmts, err := annotate.Parse(m)
				require.NoError(t, err)
				an = s.Analyze(stmts, annotate.Options{})
			}
			last := an.Statements[len(an.Statements)-1]
			require.NotEmpty(t, last.Actions)
			assert.Equal(t, tt.table, last.Actions[0].Table)
		})
	}
}
