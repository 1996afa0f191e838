package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

const viewsUsers = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);"

// TestViewCascade: DROP VIEW ... CASCADE also drops the views that read
// it; re-creating the view alone leaves them gone for old code.
func TestViewCascade(t *testing.T) {
	views := viewsUsers + "\nCREATE VIEW active_users AS SELECT id, email, name FROM users;\nCREATE VIEW user_names AS SELECT id, name FROM active_users;\nCREATE VIEW named AS SELECT name FROM user_names;"
	for name, tc := range map[string]struct {
		history []string
		src     string
		want    migration.Safe
		reason  string
	}{
		"dependents not re-created (ht10 item 1)": {[]string{views},
			"DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;",
			migration.AfterDeploy, "line 1: drops view active_users CASCADE, which also drops view user_names, view named, not re-created in this migration: old code using it fails"},
		"one of two levels re-created": {[]string{views},
			"DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;\nCREATE VIEW user_names AS SELECT id, name FROM active_users;",
			migration.AfterDeploy, "line 1: drops view active_users CASCADE, which also drops view named, not re-created in this migration: old code using it fails"},
		"every dependent re-created": {[]string{views},
			"DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;\nCREATE VIEW user_names AS SELECT id, name FROM active_users;\nCREATE VIEW named AS SELECT name FROM user_names;",
			migration.Always, ""},
		"dependent re-created narrower": {[]string{views},
			"DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;\nCREATE VIEW user_names AS SELECT name FROM active_users;\nCREATE VIEW named AS SELECT name FROM user_names;",
			migration.AfterDeploy, "line 3: re-creates view user_names without column id: old code selecting it fails"},
		"view unknown to the migrations": {[]string{viewsUsers},
			"DROP VIEW IF EXISTS report CASCADE;\nCREATE VIEW report AS SELECT id FROM users;",
			migration.AfterDeploy, "line 1: drops view report CASCADE: safemigrate does not know what depends on it, and old code using what the CASCADE drops fails"},
		"no dependents": {[]string{views},
			"DROP VIEW named CASCADE;\nCREATE VIEW named AS SELECT name FROM user_names;",
			migration.Always, ""},
		"dependent created in this migration": {[]string{viewsUsers + "\nCREATE VIEW active_users AS SELECT id, email, name FROM users;"},
			"CREATE VIEW scratch AS SELECT id FROM active_users;\nDROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;",
			migration.BeforeDeploy, "line 1: creates view scratch: old code keeps working"},
		"both named, all re-created": {[]string{views},
			"DROP VIEW active_users, user_names CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;\nCREATE VIEW user_names AS SELECT id, name FROM active_users;\nCREATE VIEW named AS SELECT name FROM user_names;",
			migration.Always, ""},
		"both named, one missing": {[]string{views},
			"DROP VIEW active_users, user_names CASCADE;\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE id > 0;\nCREATE VIEW user_names AS SELECT id, name FROM active_users;",
			migration.AfterDeploy, "line 1: drops view active_users CASCADE, which also drops view named, not re-created in this migration: old code using it fails"},
		"dropped for good": {[]string{views},
			"DROP VIEW active_users CASCADE;",
			migration.AfterDeploy, "line 1: drops view active_users CASCADE, and with it view user_names, view named: old code using them fails"},
	} {
		an := analyseAll(t, annotate.Options{}, append(tc.history, tc.src)...)
		assert.Equal(t, tc.want, an.Suggested, "%s: %s", name, an.Reason)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, an.Reason, name)
		}
	}
}

// TestRecreatedViewColumns: the columns of a view dropped and re-created
// are compared as PostgreSQL names them, `*` expanded from the known
// columns; when either list cannot be told, the re-creation is a
// contract.
func TestRecreatedViewColumns(t *testing.T) {
	orders := "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);"
	for name, tc := range map[string]struct {
		old, new string
		want     migration.Safe
		reason   string
	}{
		"SELECT * narrowed (ht10 item 2)": {"SELECT * FROM users", "SELECT id FROM users", migration.AfterDeploy,
			"line 2: re-creates view a without columns email, name: old code selecting it fails"},
		"u.* narrowed":              {"SELECT u.* FROM users u", "SELECT id, email FROM users", migration.AfterDeploy, "line 2: re-creates view a without column name: old code selecting it fails"},
		"SELECT * kept":             {"SELECT * FROM users", "SELECT id, email, name FROM users WHERE id > 0", migration.Always, ""},
		"SELECT * widened":          {"SELECT * FROM users", "SELECT id, email, name, 1 AS one FROM users WHERE id > 0", migration.BeforeDeploy, "line 2: re-creates view a with the new column one: old code keeps working"},
		"join star kept":            {"SELECT * FROM users u JOIN orders o ON o.user_id = u.id", "SELECT u.*, o.* FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 0", migration.Always, ""},
		"join qualified star":       {"SELECT o.* FROM users u JOIN orders o ON o.user_id = u.id", "SELECT o.id, user_id FROM users u JOIN orders o ON o.user_id = u.id", migration.AfterDeploy, "line 2: re-creates view a without column total: old code selecting it fails"},
		"star of unknown table":     {"SELECT * FROM invoices", "SELECT id FROM invoices", migration.AfterDeploy, "line 2: re-creates view a dropped on line 1, whose old columns safemigrate cannot tell: old code selecting one the new view lacks fails"},
		"new star of unknown table": {"SELECT id FROM users", "SELECT * FROM invoices", migration.AfterDeploy, "line 2: re-creates view a dropped on line 1 with columns safemigrate cannot tell: old code selecting one the new view lacks fails"},
		"function named":            {"SELECT id, lower(email) FROM users", "SELECT id, lower(trim(email)) FROM users", migration.Always, ""},
		"function renamed":          {"SELECT id, lower(email) FROM users", "SELECT id, upper(email) FROM users", migration.AfterDeploy, "line 2: re-creates view a without column lower: old code selecting it fails"},
		"cast and case":             {"SELECT id::text, CASE WHEN name IS NULL THEN 'x' ELSE name END FROM users", "SELECT CAST(id AS text) AS id, coalesce(name, 'x') AS name FROM users", migration.Always, ""},
		"union":                     {"SELECT id, email FROM users UNION SELECT id, NULL FROM orders", "SELECT id, email FROM users", migration.Always, ""},
		"subquery star":             {"SELECT * FROM (SELECT id, email FROM users) s", "SELECT id FROM users", migration.AfterDeploy, "line 2: re-creates view a without column email: old code selecting it fails"},
		"CTE star":                  {"WITH big AS (SELECT id, total FROM orders) SELECT * FROM big", "SELECT id, total FROM orders", migration.Always, ""},
	} {
		an := analyseAll(t, annotate.Options{}, viewsUsers+"\n"+orders, "CREATE VIEW a AS "+tc.old+";", "DROP VIEW a;\nCREATE VIEW a AS "+tc.new+";")
		assert.Equal(t, tc.want, an.Suggested, "%s: %s", name, an.Reason)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, an.Reason, name)
		}
	}
	// Column aliases of the view rename by position.
	an := analyseAll(t, annotate.Options{}, viewsUsers, "CREATE VIEW a (key, mail) AS SELECT id, email FROM users;", "DROP VIEW a;\nCREATE VIEW a AS SELECT id AS key, email AS mail FROM users;")
	assert.Equal(t, migration.Always, an.Suggested, an.Reason)
}

// TestViewRecreatedTwice: old code knows the view as it was before the
// migration, not as an earlier re-creation in the same migration left it.
func TestViewRecreatedTwice(t *testing.T) {
	an := analyseAll(t, annotate.Options{}, viewsUsers, "CREATE VIEW v2 AS SELECT id, email FROM users;",
		"DROP VIEW v2;\nCREATE VIEW v2 AS SELECT id, email, name FROM users;\nDROP VIEW v2;\nCREATE VIEW v2 AS SELECT id, name FROM users;")
	assert.Equal(t, migration.AfterDeploy, an.Suggested)
	assert.Equal(t, "line 4: re-creates view v2 without column email: old code selecting it fails", an.Reason)
	an = analyseAll(t, annotate.Options{}, viewsUsers, "CREATE VIEW v2 AS SELECT id FROM users;",
		"DROP VIEW v2;\nCREATE VIEW v2 AS SELECT id, email FROM users;\nDROP VIEW v2;\nCREATE VIEW v2 AS SELECT id FROM users;")
	assert.Equal(t, migration.Always, an.Suggested, an.Reason)
}

// TestRecreatedViewLosesTriggersAndGrants: dropping a view drops its
// triggers and the privileges granted on it; re-creating the view alone
// does not bring them back.
func TestRecreatedViewLosesTriggersAndGrants(t *testing.T) {
	view := viewsUsers + "\nCREATE VIEW user_emails AS SELECT id, email FROM users;"
	trigger := "CREATE TRIGGER user_emails_insert INSTEAD OF INSERT ON user_emails FOR EACH ROW EXECUTE FUNCTION insert_user_email();"
	recreate := "DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, email FROM users WHERE email IS NOT NULL;"
	for name, tc := range map[string]struct {
		history []string
		src     string
		want    migration.Safe
		reason  string
	}{
		"trigger lost": {[]string{view, trigger}, recreate, migration.AfterDeploy,
			"line 1: drops view user_emails, and with it trigger user_emails_insert on user_emails, which this migration does not restore: old code relying on them fails"},
		"trigger re-created":    {[]string{view, trigger}, recreate + "\n" + trigger, migration.BeforeDeploy, "line 3: creates trigger user_emails_insert on user_emails: old code keeps working"},
		"grant lost":            {[]string{view, "GRANT SELECT ON user_emails TO app;"}, recreate, migration.AfterDeploy, "line 1: drops view user_emails, and with it the privileges granted on user_emails, which this migration does not restore: old code relying on them fails"},
		"grant restored":        {[]string{view, "GRANT SELECT ON user_emails TO app;"}, recreate + "\nGRANT SELECT ON user_emails TO app;", migration.Always, ""},
		"schema grant lost":     {[]string{view, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;"}, recreate, migration.AfterDeploy, ""},
		"schema grant restored": {[]string{view, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;"}, recreate + "\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO app;", migration.Always, ""},
		"replaced, then re-created": {[]string{view, "GRANT SELECT ON user_emails TO app;", "CREATE OR REPLACE VIEW user_emails AS SELECT id, email, 1 AS one FROM users;"}, recreate, migration.AfterDeploy,
			"line 1: drops view user_emails, and with it the privileges granted on user_emails, which this migration does not restore: old code relying on them fails"},
		"default privileges": {[]string{"ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app;", view}, recreate, migration.Always, ""},
		"cascaded view's grant": {[]string{view, "CREATE VIEW emails AS SELECT email FROM user_emails;", "GRANT SELECT ON emails TO app;"},
			"DROP VIEW user_emails CASCADE;\nCREATE VIEW user_emails AS SELECT id, email FROM users;\nCREATE VIEW emails AS SELECT email FROM user_emails;", migration.AfterDeploy,
			"line 1: drops view user_emails, and with it the privileges granted on emails, which this migration does not restore: old code relying on them fails"},
	} {
		an := analyseAll(t, annotate.Options{}, append(tc.history, tc.src)...)
		assert.Equal(t, tc.want, an.Suggested, "%s: %s", name, an.Reason)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, an.Reason, name)
		}
	}
}

// TestRenamedViews: views follow renames, as PostgreSQL's do.
func TestRenamedViews(t *testing.T) {
	base := viewsUsers + "\nCREATE VIEW active_users AS SELECT id, email FROM users;\nCREATE VIEW user_emails AS SELECT email FROM active_users;"
	an := analyseAll(t, annotate.Options{}, base, "ALTER VIEW active_users RENAME TO live_users;",
		"DROP VIEW live_users CASCADE;\nCREATE VIEW live_users AS SELECT id, email FROM users;")
	assert.Equal(t, "line 1: drops view live_users CASCADE, which also drops view user_emails, not re-created in this migration: old code using it fails", an.Reason)
	// A view reads a renamed table under its new name.
	an = analyseAll(t, annotate.Options{}, base, "ALTER TABLE users RENAME TO accounts;",
		"DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email FROM accounts;\nCREATE VIEW user_emails AS SELECT email FROM active_users;")
	assert.Equal(t, migration.Always, an.Suggested, an.Reason)
	an = analyseAll(t, annotate.Options{}, base, "ALTER VIEW user_emails RENAME COLUMN email TO mail;",
		"DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT email AS mail FROM active_users;")
	assert.Equal(t, migration.Always, an.Suggested, an.Reason)
}

// TestViewCascadeDropsFunctions: a function whose arguments or result
// have a view's row type is dropped by the view's CASCADE.
func TestViewCascadeDropsFunctions(t *testing.T) {
	history := []string{viewsUsers + "\nCREATE VIEW active_users AS SELECT id, email FROM users;",
		"CREATE FUNCTION search_users(q text) RETURNS SETOF active_users LANGUAGE sql STABLE AS $$ SELECT * FROM active_users WHERE email LIKE q $$;"}
	recreate := "DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE id > 0;"
	an := analyseAll(t, annotate.Options{}, append(history, recreate)...)
	assert.Equal(t, "line 1: drops view active_users CASCADE, which also drops function search_users, not re-created in this migration: old code using it fails", an.Reason)
	an = analyseAll(t, annotate.Options{}, append(history, recreate+"\n"+history[1])...)
	assert.Equal(t, migration.BeforeDeploy, an.Suggested, an.Reason)
	assert.Equal(t, annotate.Neutral, an.Statements[0].Effect, an.Statements[0].Reason)
	an = analyseAll(t, annotate.Options{}, append(history, "DROP FUNCTION search_users(text);", recreate)...)
	assert.Equal(t, migration.Always, an.Suggested, "the function is gone already: %s", an.Reason)
}

// TestRecreatedViewWider (ht10b LS5): a view dropped and re-created with
// more columns is what CREATE OR REPLACE adding them is, an expand: new
// code may select the new columns.
func TestRecreatedViewWider(t *testing.T) {
	users := "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz);"
	for name, tc := range map[string]struct {
		old, src string
		want     migration.Safe
		reason   string
	}{
		"view with an extra column": {"CREATE VIEW user_emails AS SELECT id, email FROM users;",
			"DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, email, updated_at FROM users;",
			migration.BeforeDeploy, "line 2: re-creates view user_emails with the new column updated_at: old code keeps working"},
		"materialized view with extra columns": {"CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;",
			"DROP MATERIALIZED VIEW IF EXISTS user_emails;\nCREATE MATERIALIZED VIEW user_emails AS SELECT id, email, updated_at, now() AS at FROM users;",
			migration.BeforeDeploy, "line 2: re-creates materialized view user_emails with the new columns updated_at, at: old code keeps working"},
		"same columns": {"CREATE VIEW user_emails AS SELECT id, email FROM users;",
			"DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, email FROM users WHERE email <> '';",
			migration.Always, ""},
		"one lost, one added": {"CREATE VIEW user_emails AS SELECT id, email FROM users;",
			"DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, updated_at FROM users;",
			migration.AfterDeploy, "line 2: re-creates view user_emails without column email: old code selecting it fails"},
		"CREATE OR REPLACE agrees": {"CREATE VIEW user_emails AS SELECT id, email FROM users;",
			"CREATE OR REPLACE VIEW user_emails AS SELECT id, email, updated_at FROM users;",
			migration.BeforeDeploy, "line 1: replaces view user_emails: old code keeps working"},
	} {
		an := analyseAll(t, annotate.Options{}, users, tc.old, tc.src)
		assert.Equal(t, tc.want, an.Suggested, "%s: %s", name, an.Reason)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, an.Reason, name)
		}
	}
}

// TestRecreatedTriggerAndFunction (ht10b FP2): a trigger dropped and
// created again on the same table, or a function dropped and created
// again with the same signature and result, is neutral, as a re-created
// view is: within the migration's transaction nobody sees it missing.
func TestRecreatedTriggerAndFunction(t *testing.T) {
	history := []string{
		"CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz);\n" +
			"CREATE TABLE posts (id bigint PRIMARY KEY, updated_at timestamptz);\n" +
			"CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n" +
			"CREATE TRIGGER users_updated BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();\n" +
			"CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users $$;\n" +
			"CREATE FUNCTION user_emails(p_limit int) RETURNS TABLE (id bigint, email text) LANGUAGE sql AS $$ SELECT id, email FROM users LIMIT p_limit $$;",
	}
	trigger := "CREATE TRIGGER users_updated BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();"
	for name, tc := range map[string]struct {
		src    string
		want   migration.Safe
		reason string
	}{
		"trigger re-created": {"DROP TRIGGER IF EXISTS users_updated ON users;\n" + trigger, migration.Always, ""},
		"trigger re-created, schema-qualified": {"DROP TRIGGER IF EXISTS users_updated ON public.users;\n" +
			"CREATE TRIGGER users_updated BEFORE INSERT OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION set_updated_at();", migration.Always, ""},
		"trigger dropped for good": {"DROP TRIGGER users_updated ON users;", migration.AfterDeploy,
			"line 1: drops trigger users_updated on users: what it did for old code's writes stops"},
		"trigger moved to another table": {"DROP TRIGGER users_updated ON users;\nCREATE TRIGGER users_updated BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION set_updated_at();",
			migration.AfterDeploy, "line 1: drops trigger users_updated on users: what it did for old code's writes stops"},
		"function re-created": {"DROP FUNCTION IF EXISTS user_count();\nCREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users WHERE email IS NOT NULL $$;",
			migration.Always, ""},
		"function re-created, no argument list": {"DROP FUNCTION user_count;\nCREATE FUNCTION user_count() RETURNS int8 LANGUAGE sql AS $$ SELECT count(*) FROM users WHERE email IS NOT NULL $$;",
			migration.Always, ""},
		"table function re-created": {"DROP FUNCTION user_emails(integer);\nCREATE FUNCTION user_emails(lim int4) RETURNS TABLE (id bigint, email text) LANGUAGE sql AS $$ SELECT id, email FROM users ORDER BY id LIMIT lim $$;",
			migration.Always, ""},
		"function returns another type": {"DROP FUNCTION IF EXISTS user_count();\nCREATE FUNCTION user_count() RETURNS text LANGUAGE sql AS $$ SELECT count(*)::text FROM users $$;",
			migration.AfterDeploy, "line 1: drops function user_count, re-created on line 2 with a different result (text, was int8): old code reading it may fail"},
		"table function loses a column": {"DROP FUNCTION user_emails(int);\nCREATE FUNCTION user_emails(p_limit int) RETURNS TABLE (id bigint) LANGUAGE sql AS $$ SELECT id FROM users LIMIT p_limit $$;",
			migration.AfterDeploy, "line 1: drops function user_emails, re-created on line 2 with a different result (TABLE (id int8), was TABLE (id int8, email text)): old code reading it may fail"},
		"function with other arguments": {"DROP FUNCTION user_count();\nCREATE FUNCTION user_count(active boolean) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users $$;",
			migration.AfterDeploy, "line 1: drops function user_count: old code using it fails"},
		"function unknown to the history": {"DROP FUNCTION IF EXISTS legacy_count();\nCREATE FUNCTION legacy_count() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;",
			migration.AfterDeploy, "line 1: drops function legacy_count, re-created on line 2, whose old result safemigrate cannot tell: old code reading a column or type it no longer returns fails"},
		"function dropped with CASCADE": {"DROP FUNCTION set_updated_at() CASCADE;\nCREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;",
			migration.AfterDeploy, "line 1: drops function set_updated_at: old code using it fails"},
	} {
		an := analyseAll(t, annotate.Options{}, append(history, tc.src)...)
		assert.Equal(t, tc.want, an.Suggested, "%s: %s", name, an.Reason)
		if tc.reason != "" {
			assert.Equal(t, tc.reason, an.Reason, name)
		}
	}
	// Outside a transaction old code can run between the drop and the
	// creation.
	an := analyseAll(t, annotate.Options{NoTransaction: true}, append(history, "DROP TRIGGER IF EXISTS users_updated ON users;\n"+trigger)...)
	assert.Equal(t, migration.AfterDeploy, an.Suggested, an.Reason)
}
