package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrIdentity means [Rehearse] could not read the server identity of the
// target or of the rehearsal database, so it cannot tell whether they are
// the same database; it rehearses nothing. The error says which privilege
// is missing.
var ErrIdentity = errors.New("cannot tell whether the rehearsal database is the target")

// identity tells databases apart whatever their connection strings say
// (localhost or 127.0.0.1, a Unix socket, another port through a proxy):
// the cluster's system identifier, chosen at initdb, and the database's
// OID. A physical copy of a cluster (a restored base backup, a standby)
// keeps both, so the start time of the server tells a copy from the
// server itself.
type identity struct {
	system   int64
	database uint32
	started  time.Time
}

// identityQuery reads the identity of the session's database.
// pg_control_system() is executable by PUBLIC unless an administrator
// revoked it.
const identityQuery = `SELECT (SELECT system_identifier FROM pg_catalog.pg_control_system()),
	d.oid, pg_catalog.pg_postmaster_start_time()
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`

// identity reads the identity of the session's database.
func (s *Session) identity(ctx context.Context) (identity, error) {
	var id identity
	err := s.conn.QueryRow(ctx, identityQuery).Scan(&id.system, &id.database, &id.started)
	if err == nil {
		return id, nil
	}
	if pe := pgError(err); pe != nil && pe.Code == sqlstateInsufficientPrivilege {
		role := s.conn.Config().User
		_ = s.conn.QueryRow(ctx, "SELECT current_user").Scan(&role)
		return id, fmt.Errorf("%w: %s: role %s may not read the server's system identifier (%s); "+
			"as a superuser, run in database %s: GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO %s; "+
			"or connect as a role that has it (membership in pg_monitor is not enough)",
			ErrIdentity, s.target, role, pe.Message, pgx.Identifier{s.conn.Config().Database}.Sanitize(), pgx.Identifier{role}.Sanitize())
	}
	return id, fmt.Errorf("%w: %w", ErrIdentity, s.connLost(err))
}

// notTarget refuses, with [ErrRehearsalOnTarget], a rehearsal session
// whose database is the target the plan was made from, however the two
// connection strings spell it; with [ErrIdentity] when either identity
// cannot be read. The target is read first, then the rehearsal database
// at once, so that both describe the same moment.
func (s *Session) notTarget(ctx context.Context, planned Target) error {
	t, err := connect(ctx, planned, s.opts)
	if err != nil {
		return err
	}
	want, err := t.identity(ctx)
	t.closeConn()
	if err != nil {
		return err
	}
	got, err := s.identity(ctx)
	if err != nil {
		return err
	}
	switch compareIdentity(want, got) {
	case identOther:
		return nil
	case identCopy:
		s.log.printf("note: %s is a physical copy of the target (same system identifier %d and database OID %d, another server, started %s): rehearsing there",
			s.target, got.system, got.database, got.started.Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("%w: %s has the target's system identifier (%d) and database OID (%d) and runs on the same server: rehearse on a copy of it (a restored backup, staging, or --ephemeral)",
		ErrRehearsalOnTarget, s.target, got.system, got.database)
}

// How two identities relate.
const (
	identOther = iota
	identCopy  // same system and database, another server
	identSame  // the same database of the same running server
)

// compareIdentity says how got relates to want.
func compareIdentity(want, got identity) int {
	switch {
	case got.system != want.system || got.database != want.database:
		return identOther
	case !got.started.Equal(want.started):
		return identCopy
	default:
		return identSame
	}
}
