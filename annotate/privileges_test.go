package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// TestRevokeOnObjectsCreatedHere: the SECURITY DEFINER pattern (create a
// function, revoke it from PUBLIC, grant it to the app) takes nothing
// from old code when the migration creates the object, whatever its kind
// (docs/rules.md, contract-before-deploy). An object old code may
// already use keeps the revoke a contract.
func TestRevokeOnObjectsCreatedHere(t *testing.T) {
	const fn = "CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM users $$;\n"
	tests := []struct {
		name      string
		sql       string
		suggested migration.Safe
	}{
		{"function", fn + "REVOKE EXECUTE ON FUNCTION user_count FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION user_count() TO app;", migration.BeforeDeploy},
		{"function with its arguments", fn + "REVOKE ALL ON FUNCTION user_count() FROM PUBLIC;", migration.BeforeDeploy},
		{"function overload of another arity", fn + "REVOKE ALL ON FUNCTION user_count(int) FROM PUBLIC;", migration.AfterDeploy},
		{"schema-qualified function", "CREATE FUNCTION app.purge(days int) RETURNS void LANGUAGE sql AS $$ DELETE FROM users WHERE false $$;\nREVOKE ALL ON FUNCTION app.purge(int) FROM PUBLIC;", migration.BeforeDeploy},
		{"procedure", "CREATE PROCEDURE archive_users() LANGUAGE sql AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON PROCEDURE archive_users FROM PUBLIC;", migration.BeforeDeploy},
		{"schema", "CREATE SCHEMA reporting;\nREVOKE ALL ON SCHEMA reporting FROM PUBLIC;", migration.BeforeDeploy},
		{"all tables in a new schema", "CREATE SCHEMA reporting;\nCREATE TABLE reporting.daily (day date);\nREVOKE ALL ON ALL TABLES IN SCHEMA reporting FROM PUBLIC;", migration.BeforeDeploy},
		{"sequence", "CREATE SEQUENCE invoice_numbers;\nREVOKE ALL ON SEQUENCE invoice_numbers FROM PUBLIC;", migration.BeforeDeploy},
		{"bigserial's own sequence", "CREATE TABLE audit_log (id bigserial PRIMARY KEY, what text);\nREVOKE ALL ON SEQUENCE audit_log_id_seq FROM PUBLIC;", migration.BeforeDeploy},
		{"identity column's sequence", "CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY, what text);\nREVOKE ALL ON audit_log, audit_log_id_seq FROM PUBLIC;", migration.BeforeDeploy},
		{"type", "CREATE TYPE mood AS ENUM ('happy', 'sad');\nREVOKE USAGE ON TYPE mood FROM PUBLIC;", migration.BeforeDeploy},
		{"domain", "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');\nREVOKE USAGE ON DOMAIN email FROM PUBLIC;", migration.BeforeDeploy},
		// Old code's objects.
		{"existing function", "REVOKE EXECUTE ON FUNCTION user_count FROM PUBLIC;", migration.AfterDeploy},
		{"or replace", "CREATE OR REPLACE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;\nREVOKE EXECUTE ON FUNCTION user_count FROM PUBLIC;", migration.AfterDeploy},
		{"existing schema", "REVOKE ALL ON SCHEMA public FROM PUBLIC;", migration.AfterDeploy},
		{"existing table's sequence", "REVOKE ALL ON SEQUENCE users_id_seq FROM PUBLIC;", migration.AfterDeploy},
		{"schema if not exists", "CREATE SCHEMA IF NOT EXISTS reporting;\nREVOKE ALL ON SCHEMA reporting FROM PUBLIC;", migration.AfterDeploy},
		{"all tables in an old schema", "CREATE TABLE daily (day date);\nREVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;", migration.AfterDeploy},
		{"one new one old", "CREATE SEQUENCE invoice_numbers;\nREVOKE ALL ON SEQUENCE invoice_numbers, users_id_seq FROM PUBLIC;", migration.AfterDeploy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an := analyseAll(t, annotate.Options{}, usersTable, tt.sql)
			assert.Equal(t, tt.suggested, an.Suggested, an.Reason)
		})
	}
}
