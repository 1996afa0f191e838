package cli

import (
	"errors"
	"fmt"

	"github.com/safemigrate/safemigrate"
)

// exitError carries an exit code through a command's error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageError is an input or configuration problem: exit code 2.
func usageError(format string, args ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, args...))
}

// silentExit ends the command with code after it has already reported
// everything on stdout (e.g. a blocked plan).
type silentExit struct{ code int }

func (e silentExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode is the one place that maps errors to exit codes
// (docs/commands.md): 1 a migration, preflight or lint failure, 2 input,
// configuration, connection, lock-wait and drift problems, 3 blocked in a
// strict pre-deploy. After a fleet applied anything, a failure is 1.
func exitCode(err error) int {
	var se silentExit
	var ee *exitError
	var fe *safemigrate.FleetError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &fe) && fe.Pass != safemigrate.PassPreflight:
		return ExitFailure
	case errors.Is(err, safemigrate.ErrInput), errors.Is(err, safemigrate.ErrTenants),
		errors.Is(err, safemigrate.ErrDrift), errors.Is(err, safemigrate.ErrConnect),
		errors.Is(err, safemigrate.ErrLockWait), errors.Is(err, safemigrate.ErrInitialNotEmpty),
		errors.Is(err, safemigrate.ErrUntrustedTracking), errors.Is(err, safemigrate.ErrPrivilege),
		errors.Is(err, safemigrate.ErrSchema), errors.Is(err, safemigrate.ErrQuery):
		return ExitUsage
	case errors.Is(err, safemigrate.ErrBlocked):
		return ExitBlocked
	}
	return ExitFailure
}

// message is what stderr and the JSON error document say about err: the
// library's message, with what to do on the command line where that
// differs.
func message(err error) string {
	var fe *safemigrate.FleetError
	switch {
	case errors.Is(err, safemigrate.ErrTenants):
		return "safemigrate.yaml configures tenants, and this command works on a single schema; nothing was run\nmigrate, preflight, plan and status work on the tenants (graph --offline needs no database)"
	case errors.Is(err, safemigrate.ErrDatabaseURL):
		return err.Error() + "\ncheck --database-url (or SAFEMIGRATE_DATABASE_URL / DATABASE_URL)"
	case errors.Is(err, safemigrate.ErrConnect) && !errors.Is(err, safemigrate.ErrInput) && !errors.As(err, &fe) && !errors.As(err, new(*safemigrate.FleetReadError)):
		return err.Error() + "\ncheck that the server is up and reachable, and the connection: --database-url, SAFEMIGRATE_DATABASE_URL or DATABASE_URL (without any of them, the PG* variables and the local socket)"
	}
	return err.Error()
}
