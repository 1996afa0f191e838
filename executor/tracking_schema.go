package executor

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// UntrustedSchemaError is a tracking schema (the configured one, or a
// tenant's schema) owned by a role the running role is not a member of.
// The owner of a schema can drop, rename or replace the tables in it, and
// create objects beside them, between safemigrate's check of the tables
// and their use. It matches [ErrUntrustedTracking]; nothing was read or
// run.
type UntrustedSchemaError struct {
	Schema string
	// Target names the database: database "app" on host:5432.
	Target string
	// Owner owns the schema; Role is the role safemigrate runs as.
	Owner, Role string
}

// Error names the schema and its owner, explains the risk and says what
// to run.
func (e *UntrustedSchemaError) Error() string {
	of := ""
	if e.Target != "" {
		of = " of " + e.Target
	}
	return fmt.Sprintf("refusing to trust tracking schema %q%s: it is owned by %q, not by %q or a role it is a member of; nothing was read or run\n"+
		"the owner of a schema can drop, rename or replace the tracking tables in it between safemigrate's check and its use (fake \"applied\" rows skip migrations; a planted table's triggers run as %q)\n"+
		"if %q should own it, run: ALTER SCHEMA %s OWNER TO %s; or GRANT %s TO %s, or keep the tracking tables in a schema the migrator owns (tracking_schema). "+
		"See docs/security.md (Privileges and the tracking tables)",
		e.Schema, of, e.Owner, e.Role, e.Role, e.Role,
		pgx.Identifier{e.Schema}.Sanitize(), pgx.Identifier{e.Role}.Sanitize(),
		pgx.Identifier{e.Owner}.Sanitize(), pgx.Identifier{e.Role}.Sanitize())
}

// Is makes an UntrustedSchemaError match [ErrUntrustedTracking].
func (e *UntrustedSchemaError) Is(target error) bool { return target == ErrUntrustedTracking }

var _ error = (*UntrustedSchemaError)(nil)

// untrustedSchemas checks, for [Session.verifyTrackingIn], who owns each
// of the tracking schemas that exists: the running role or a role it is a
// member of (by real membership, as for the tables), a superuser (who can
// do anything anyway), or pg_database_owner (the database's owner, the
// default owner of public since PostgreSQL 15). A schema owned by anyone
// else has an *UntrustedSchemaError; one that does not exist yet is
// created on first use, owned by the running role.
func (s *Session) untrustedSchemas(ctx context.Context, schemas []string) (map[string]*UntrustedSchemaError, error) {
	rows, err := s.conn.Query(ctx, `
WITH RECURSIVE mine(oid) AS (
	SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
	UNION
	SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN mine ON m.member = mine.oid
)
SELECT n.nspname::text, pg_catalog.pg_get_userbyid(n.nspowner)::text, current_user::text
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname = ANY ($1::text[])
   AND n.nspowner NOT IN (SELECT oid FROM mine)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = n.nspowner AND (r.rolsuper OR r.rolname = 'pg_database_owner'))`, schemas)
	if err != nil {
		return nil, s.stateErr(err)
	}
	defer rows.Close()
	out := map[string]*UntrustedSchemaError{}
	for rows.Next() {
		var schema, owner, role string
		if err := rows.Scan(&schema, &owner, &role); err != nil {
			return nil, s.stateErr(err)
		}
		out[schema] = &UntrustedSchemaError{Schema: schema, Target: Target{Config: s.target.Config}.String(), Owner: owner, Role: role}
	}
	if err := rows.Err(); err != nil {
		return nil, s.stateErr(err)
	}
	return out, nil
}
