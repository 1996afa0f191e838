package safemigrate

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrPrivilege is a configuration problem: the role safemigrate runs as
// lacks a privilege on the tracking tables or their schema (SQLSTATE
// 42501 outside a migration's own SQL). The CLI exits 2, like other
// configuration errors (docs/security.md).
var ErrPrivilege = errors.New("insufficient privilege")

// privilegeError marks err as [ErrPrivilege] when the server refused
// safemigrate's own work on the tracking tables for lack of a privilege.
// A migration that fails that way stays a migration failure.
func privilegeError(err error) error {
	var pe *pgconn.PgError
	var partial *PartialError
	var fleetErr *FleetError
	if err == nil || !errors.As(err, &pe) || pe.Code != "42501" ||
		errors.Is(err, ErrMigration) || errors.Is(err, ErrPreflight) ||
		errors.As(err, &partial) || errors.As(err, &fleetErr) {
		return err
	}
	return &privError{err}
}

type privError struct{ err error }

func (e *privError) Error() string {
	return fmt.Sprintf("%v\nthe role needs USAGE on the tracking schema, CREATE there for the first run, and to own the tracking tables (safemigrate_migrations, safemigrate_detected, safemigrate_progress) with their privileges; see docs/security.md", e.err)
}
func (e *privError) Unwrap() error        { return e.err }
func (e *privError) Is(target error) bool { return target == ErrPrivilege }
