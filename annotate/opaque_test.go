package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// The schema the cases below run against: an app's users table from its
// first migration.
const usersTable = "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, name text, created_at timestamp, " +
	"CONSTRAINT users_name_check CHECK (name <> ''));\n"

// opaqueIn reports whether a statement of an (or one inside a DO block)
// has an opaque action.
func opaqueIn(an *annotate.Analysis) bool {
	for i := range an.Statements {
		for _, s := range an.Statements[i].Flatten() {
			for _, a := range s.Actions {
				if a.Opaque {
					return true
				}
			}
		}
	}
	return false
}

// TestNeverLessSafeThanTheSQL: statements whose effect on old code the
// analysis cannot see, or that take something away from old code, were
// suggested always or before_deploy (docs/rules.md, opaque-statement).
func TestNeverLessSafeThanTheSQL(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		opts      annotate.Options
		suggested migration.Safe
		opaque    bool
	}{
		// Statement kinds the analysis does not follow.
		{"drop owned", "DROP OWNED BY legacy_app;", annotate.Options{}, migration.AfterDeploy, true},
		{"reassign owned", "REASSIGN OWNED BY legacy_app TO app;", annotate.Options{}, migration.AfterDeploy, true},
		{"extension update", "ALTER EXTENSION postgis UPDATE TO '3.4.0';", annotate.Options{}, migration.AfterDeploy, true},
		{"event trigger", "CREATE EVENT TRIGGER no_drops ON sql_drop EXECUTE FUNCTION forbid_drop();", annotate.Options{}, migration.AfterDeploy, true},
		{"security label", "SECURITY LABEL FOR selinux ON TABLE users IS 'system_u:object_r:sepgsql_table_t:s0';", annotate.Options{}, migration.AfterDeploy, true},
		{"comment stays neutral", "COMMENT ON TABLE users IS 'people';", annotate.Options{}, migration.Always, false},
		// A rule on an existing table rewrites old code's statements.
		{"rule on existing table", "CREATE RULE users_no_insert AS ON INSERT TO users DO INSTEAD NOTHING;", annotate.Options{}, migration.AfterDeploy, true},
		{"rule on new table", "CREATE TABLE audit (id bigint);\nCREATE RULE audit_ro AS ON DELETE TO audit DO INSTEAD NOTHING;", annotate.Options{}, migration.BeforeDeploy, false},
		// Unknown functions called from DML.
		{"insert select unknown", "INSERT INTO users (email) SELECT cleanup()::text;", annotate.Options{}, migration.AfterDeploy, true},
		{"update where unknown", "UPDATE users SET name = lower(name) WHERE id = cleanup_id();", annotate.Options{}, migration.AfterDeploy, true},
		{"delete where unknown", "DELETE FROM users WHERE id = app.stale_user();", annotate.Options{}, migration.AfterDeploy, true},
		{"update with built-ins", "UPDATE users SET name = lower(name) WHERE id = 42;", annotate.Options{}, migration.Always, false},
		{"insert with built-ins", "INSERT INTO users (id, email) VALUES (1, concat('a', '@example.com'));", annotate.Options{}, migration.Always, false},
		// any_value is a built-in from PostgreSQL 16.
		{"any_value on 17", "SELECT any_value(name) FROM users;", annotate.Options{PGVersion: 17}, migration.Always, false},
		{"any_value on 15", "SELECT any_value(name) FROM users;", annotate.Options{PGVersion: 15}, migration.AfterDeploy, true},
		// Hazards of item 16.
		{"revoke", "REVOKE ALL ON users FROM PUBLIC;", annotate.Options{}, migration.AfterDeploy, false},
		{"revoke on a new table", "CREATE TABLE secrets (id bigint);\nREVOKE ALL ON secrets FROM PUBLIC;", annotate.Options{}, migration.BeforeDeploy, false},
		{"truncate cascade of a new table", "CREATE TABLE scratch (id bigint);\nTRUNCATE scratch CASCADE;", annotate.Options{}, migration.BeforeDeploy, false},
		{"set constraints", "SET CONSTRAINTS ALL DEFERRED;", annotate.Options{}, migration.Always, false},
		{"foreign table", "CREATE FOREIGN TABLE remote_users (id bigint) SERVER legacy;", annotate.Options{}, migration.BeforeDeploy, false},
		{"inherit", "CREATE TABLE people (id bigint);\nALTER TABLE users INHERIT people;", annotate.Options{}, migration.AfterDeploy, true},
		{"disable rule", "ALTER TABLE users DISABLE RULE users_archive;", annotate.Options{}, migration.AfterDeploy, true},
		{"inherit on a new table", "CREATE TABLE people (id bigint);\nCREATE TABLE staff (id bigint);\nALTER TABLE staff INHERIT people;", annotate.Options{}, migration.BeforeDeploy, false},
		{"grant stays neutral", "GRANT SELECT ON users TO reporting;", annotate.Options{}, migration.Always, false},
		{"enable rls", "ALTER TABLE users ENABLE ROW LEVEL SECURITY;", annotate.Options{}, migration.AfterDeploy, false},
		{"force rls", "ALTER TABLE users FORCE ROW LEVEL SECURITY;", annotate.Options{}, migration.AfterDeploy, false},
		{"rls on new table", "CREATE TABLE notes (id bigint);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;", annotate.Options{}, migration.BeforeDeploy, false},
		{"drop primary key", "ALTER TABLE users DROP CONSTRAINT users_pkey;", annotate.Options{}, migration.AfterDeploy, false},
		{"drop unique", "ALTER TABLE users DROP CONSTRAINT users_email_key;", annotate.Options{}, migration.AfterDeploy, false},
		{"drop check", "ALTER TABLE users DROP CONSTRAINT users_name_check;", annotate.Options{}, migration.Always, false},
		{"truncate cascade", "TRUNCATE users CASCADE;", annotate.Options{}, migration.AfterDeploy, true},
		{"truncate", "TRUNCATE users;", annotate.Options{}, migration.Always, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := analyseAll(t, tt.opts, usersTable, tt.sql)
			assert.Equal(t, tt.suggested, an.Suggested, an.Reason)
			assert.Equal(t, tt.opaque, opaqueIn(an), an.Reason)
		})
	}
}

// TestTimezoneTheServerWouldUse: SET LOCAL does nothing outside a
// transaction, and RESET / DEFAULT / DISCARD return to the server's time
// zone, which the analysis does not know.
func TestTimezoneTheServerWouldUse(t *testing.T) {
	const alter = "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;"
	tests := []struct {
		name    string
		sql     string
		opts    annotate.Options
		rewrite bool
	}{
		{"set local in a transaction", "SET LOCAL timezone = 'UTC';\n" + alter, annotate.Options{}, false},
		{"set local outside a transaction", "SET LOCAL timezone = 'UTC';\n" + alter, annotate.Options{NoTransaction: true}, true},
		{"set outside a transaction", "SET timezone = 'UTC';\n" + alter, annotate.Options{NoTransaction: true}, false},
		{"reset all", "SET timezone TO 'UTC';\nRESET ALL;\n" + alter, annotate.Options{}, true},
		{"reset timezone", "SET timezone TO 'UTC';\nRESET timezone;\n" + alter, annotate.Options{}, true},
		{"to default", "SET timezone TO 'UTC';\nSET timezone TO DEFAULT;\n" + alter, annotate.Options{}, true},
		{"discard all", "SET timezone TO 'UTC';\nDISCARD ALL;\n" + alter, annotate.Options{}, true},
		{"set time zone local", "SET TIME ZONE 'UTC';\nSET TIME ZONE LOCAL;\n" + alter, annotate.Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := analyseAll(t, tt.opts, usersTable, tt.sql)
			last := an.Statements[len(an.Statements)-1]
			assert.Equal(t, tt.rewrite, len(last.Rewrites) > 0)
		})
	}
}

// TestBulkWritesEverywhere: data-modifying CTEs and subqueries that
// select the whole table are bulk writes too.
func TestBulkWritesEverywhere(t *testing.T) {
	tests := []struct {
		sql           string
		noWhere, bulk bool
	}{
		{"WITH d AS (DELETE FROM users RETURNING *) SELECT 1;", true, false},
		{"WITH u AS (UPDATE users SET name = 'x' RETURNING id) SELECT count(*) FROM u;", true, false},
		{"WITH d AS (DELETE FROM users WHERE email = 'x' RETURNING id) INSERT INTO users (id) SELECT id + 1000 FROM d;", false, false},
		{"DELETE FROM users WHERE id IN (SELECT id FROM users);", false, true},
		{"DELETE FROM users WHERE id = ANY(ARRAY(SELECT id FROM users));", false, true},
		{"DELETE FROM users WHERE id IN (SELECT id FROM users WHERE name IS NULL LIMIT 1000);", false, false},
		{"DELETE FROM users WHERE id = (SELECT max(id) FROM users);", false, false},
		{"DELETE FROM users WHERE id = ANY(ARRAY(SELECT id FROM users LIMIT 500));", false, false},
		{"DELETE FROM users WHERE CURRENT OF users_cursor;", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			an := analyseAll(t, annotate.Options{}, usersTable, tt.sql)
			noWhere, bulk := false, false
			for _, a := range an.Statements[0].Actions {
				noWhere = noWhere || a.NoWhere
				bulk = bulk || a.Unselective
			}
			assert.Equal(t, tt.noWhere, noWhere, "NoWhere")
			assert.Equal(t, tt.bulk, bulk, "Unselective")
		})
	}
}

// TestSetExpressionRewrites: SET EXPRESSION (PostgreSQL 17) rewrites the
// table under ACCESS EXCLUSIVE, and older servers reject it.
func TestSetExpressionRewrites(t *testing.T) {
	create := "CREATE TABLE prices (id bigint PRIMARY KEY, v int, g int GENERATED ALWAYS AS (v * 2) STORED);"
	an := analyseAll(t, annotate.Options{PGVersion: 17}, create, "ALTER TABLE prices ALTER COLUMN g SET EXPRESSION AS (v * 3);")
	s := an.Statements[0]
	assert.Equal(t, []string{"prices"}, s.Rewrites)
	assert.Equal(t, []annotate.RelationLock{{Relation: "prices", Mode: annotate.AccessExclusive}}, s.Locks)
	assert.Empty(t, annotate.UnsupportedSyntax(s, 17))
	u := annotate.UnsupportedSyntax(s, 16)
	require.Len(t, u, 1)
	assert.Equal(t, 17, u[0].Since)
}

// TestCopyThenDropForms: SELECT ... INTO copies like CREATE TABLE AS, and
// a rename between the copy and the drop does not hide it.
func TestCopyThenDropForms(t *testing.T) {
	for _, src := range []string{
		"SELECT * INTO users_copy FROM users;\nDROP TABLE users;",
		"CREATE TABLE users_new (LIKE users);\nINSERT INTO users_new SELECT * FROM users;\nALTER TABLE users RENAME TO users_old;\nDROP TABLE users_old;",
	} {
		an := analyseAll(t, annotate.Options{}, usersTable, src)
		last := an.Statements[len(an.Statements)-1]
		require.NotEmpty(t, last.Actions)
		assert.NotZero(t, last.Actions[0].CopiedAt, src)
	}
}

func TestRenameDatabaseNamesIt(t *testing.T) {
	an, err := annotate.Analyze("ALTER DATABASE shop RENAME TO shop_old;", annotate.Options{})
	require.NoError(t, err)
	assert.Contains(t, an.Reason, "renames database shop to shop_old")
}

// TestWhyPointsAtTheSubcommand: the line annotate gives for its
// suggestion is the deciding subcommand's, as lint's finding.
func TestWhyPointsAtTheSubcommand(t *testing.T) {
	an := analyseAll(t, annotate.Options{}, usersTable, "ALTER TABLE users\n  ADD COLUMN nick text,\n  DROP COLUMN name;")
	assert.Equal(t, 3, an.Line)
	assert.Equal(t, "line 3: drops column users.name: old code selecting or writing it fails", an.Reason)
}

// TestUnknownCallsInDMLText: the quick look at the text that spares a
// seed INSERT the tree walk does not hide a call.
func TestUnknownCallsInDMLText(t *testing.T) {
	for sql, opaque := range map[string]bool{
		"INSERT INTO public.users (id, email) VALUES (1, 'a (b)'), (2, lower('C'));":            false,
		"INSERT INTO users (id) SELECT id FROM legacy_rows(10);":                                true,
		`INSERT INTO users (id) SELECT id FROM "LegacyRows"(10);`:                               true,
		"WITH src(id) AS (SELECT 1) INSERT INTO users (id) SELECT id FROM src;":                 false,
		"UPDATE users u SET name = x.n FROM (SELECT 1 AS n) AS x(n) WHERE u.id = 1;":            false,
		"INSERT INTO users (id, email) VALUES (1, app.normalize_email('A@B'));":                 true,
		"DELETE FROM users WHERE created_at < now() - interval '1 day' AND id = ANY(ARRAY[1]);": false,
	} {
		an := analyseAll(t, annotate.Options{}, usersTable, sql)
		assert.Equal(t, opaque, opaqueIn(an), sql)
	}
}
