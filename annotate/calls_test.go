package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// TestFunctionCallsSeenWherever: a call of a function safemigrate does
// not know makes the statement opaque (docs/rules.md, opaque-statement)
// wherever it runs, whatever its name looks like; the functions of the
// extensions migrations use are known.
func TestFunctionCallsSeenWherever(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		suggested migration.Safe
		opaque    bool
	}{
		// A user function is not a built-in because of its name.
		{"user function named pg_", "SELECT pg_cleanup_users();", migration.AfterDeploy, true},
		{"user function named dblink_", "SELECT dblink_sync_users();", migration.AfterDeploy, true},
		{"real built-in pg_", "SELECT pg_sleep(0.1);", migration.Always, false},
		{"real dblink", "SELECT dblink_connect('legacy', 'dbname=legacy');", migration.Always, false},
		// A schema-qualified call of a built-in's name is the schema's.
		{"schema-qualified built-in name", "SELECT public.to_char(1);", migration.AfterDeploy, true},
		{"quoted schema", `UPDATE users SET name = "app".lower(name) WHERE id = 1;`, migration.AfterDeploy, true},
		{"pg_catalog-qualified built-in", "SELECT pg_catalog.to_char(1, '999');", migration.Always, false},
		{"insert into a qualified table", "INSERT INTO public.users (id, email) VALUES (1, 'a@example.com');", migration.Always, false},
		// uuid-ossp and pgcrypto.
		{"uuid-ossp", "UPDATE users SET name = uuid_generate_v1mc()::text WHERE id = 1;\n" +
			"SELECT uuid_generate_v3(uuid_ns_url(), 'https://example.com'), uuid_generate_v5(uuid_ns_dns(), 'example.com'), uuid_nil(), uuid_ns_oid(), uuid_ns_x500();", migration.Always, false},
		{"pgcrypto", "UPDATE users SET name = encode(hmac(email, 'k', 'sha256'), 'hex') WHERE id = 1;", migration.Always, false},
		// Statements that run a query, or a default for every row.
		{"create table as", "CREATE TABLE tmp AS SELECT app.cleanup();", migration.AfterDeploy, true},
		{"materialized view", "CREATE MATERIALIZED VIEW mv AS SELECT app.cleanup();", migration.AfterDeploy, true},
		{"materialized view with no data", "CREATE MATERIALIZED VIEW mv AS SELECT app.cleanup() WITH NO DATA;", migration.BeforeDeploy, false},
		{"plain view", "CREATE VIEW v AS SELECT app.cleanup();", migration.BeforeDeploy, false},
		{"create table as with built-ins", "CREATE TABLE user_emails AS SELECT id, lower(email) AS email FROM users;", migration.BeforeDeploy, false},
		{"explain analyze", "EXPLAIN ANALYZE SELECT app.cleanup();", migration.AfterDeploy, true},
		{"explain analyze update", "EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET name = app.fix(name) WHERE id = 1;", migration.AfterDeploy, true},
		{"explain without analyze", "EXPLAIN SELECT app.cleanup();", migration.Always, false},
		{"explain analyze off", "EXPLAIN (ANALYZE false) SELECT app.cleanup();", migration.Always, false},
		{"add column default call", "ALTER TABLE users ADD COLUMN score int DEFAULT app.initial_score();", migration.AfterDeploy, true},
		{"add column generated call", "ALTER TABLE users ADD COLUMN slug text GENERATED ALWAYS AS (app.slugify(name)) STORED;", migration.AfterDeploy, true},
		{"add column default built-in", "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", migration.BeforeDeploy, false},
		{"new table's column default call", "CREATE TABLE scores (id bigint);\nALTER TABLE scores ADD COLUMN score int DEFAULT app.initial_score();", migration.BeforeDeploy, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := analyseAll(t, annotate.Options{}, usersTable, tt.sql)
			assert.Equal(t, tt.suggested, an.Suggested, an.Reason)
			assert.Equal(t, tt.opaque, opaqueIn(an), an.Reason)
		})
	}
}

// TestTimezoneSetAnyWay: the session time zone decides whether timestamp
// → timestamptz rewrites (docs/rules.md, change-column-type), however it
// was set: SET TIME ZONE with any zero offset, or set_config, in a DO
// block too.
func TestTimezoneSetAnyWay(t *testing.T) {
	const alter = "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;"
	tests := []struct {
		name    string
		sql     string
		opts    annotate.Options
		rewrite bool
	}{
		{"time zone 0", "SET TIME ZONE 0;\n" + alter, annotate.Options{}, false},
		{"time zone interval zero", "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE;\n" + alter, annotate.Options{}, false},
		{"time zone '0'", "SET timezone = '0';\n" + alter, annotate.Options{}, false},
		{"time zone Etc/GMT+0", "SET timezone = 'Etc/GMT+0';\n" + alter, annotate.Options{}, false},
		{"time zone 1", "SET TIME ZONE 1;\n" + alter, annotate.Options{}, true},
		{"time zone interval one hour", "SET TIME ZONE INTERVAL '+01:00' HOUR TO MINUTE;\n" + alter, annotate.Options{}, true},
		{"set_config away from UTC", "SET TIME ZONE 'UTC';\nSELECT set_config('timezone', 'Europe/Paris', false);\n" + alter, annotate.Options{}, true},
		{"set_config TimeZone in a DO block", "SET TIME ZONE 'UTC';\nDO $$ BEGIN PERFORM set_config('TimeZone', 'Europe/Paris', false); END $$;\n" + alter, annotate.Options{}, true},
		{"set_config local in a transaction", "SET TIME ZONE 'UTC';\nSELECT set_config('timezone', 'Europe/Paris', true);\n" + alter, annotate.Options{}, true},
		{"set_config local outside a transaction", "SET TIME ZONE 'UTC';\nSELECT set_config('timezone', 'Europe/Paris', true);\n" + alter, annotate.Options{NoTransaction: true}, false},
		{"set_config to UTC", "SELECT set_config('timezone', 'UTC', false);\n" + alter, annotate.Options{}, false},
		{"set_config to a computed value", "SET TIME ZONE 'UTC';\nSELECT set_config('timezone', current_setting('app.tz'), false);\n" + alter, annotate.Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := analyseAll(t, tt.opts, usersTable, tt.sql)
			last := an.Statements[len(an.Statements)-1]
			assert.Equal(t, tt.rewrite, len(last.Rewrites) > 0)
		})
	}
}
