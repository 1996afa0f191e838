package safemigrate

import (
	"errors"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// Errors callers branch on with errors.Is. The database errors come from
// the executor and the fleet unchanged, so errors.As also finds their
// typed errors (*[PartialError], *[FleetError], …).
var (
	// ErrInput marks a problem with what the caller gave: migration files
	// (including SQL that cannot run as written, an *[executor.InputError]),
	// options, IDs, a connection string. Nothing was run.
	ErrInput = executor.ErrInput
	// ErrTenants is a single-schema call on a Provider configured with
	// tenants.
	ErrTenants = errors.New("tenants are configured")
	// ErrDatabaseURL is a connection string that does not parse.
	ErrDatabaseURL = errors.New("invalid connection string")

	ErrConnect  = executor.ErrConnect
	ErrLockWait = executor.ErrLockWait
	// ErrUntrustedTracking: the tracking tables are not plain tables
	// owned by the expected role (docs/security.md); nothing ran.
	ErrUntrustedTracking = executor.ErrUntrustedTracking
	ErrDrift             = executor.ErrDrift
	ErrBlocked           = executor.ErrBlocked
	ErrPreflight         = executor.ErrPreflight
	ErrMigration         = executor.ErrMigration
	ErrRehearsalOnTarget = executor.ErrRehearsalOnTarget
	ErrIdentity          = executor.ErrIdentity
	ErrInitialNotEmpty   = planner.ErrInitialNotEmpty
	ErrNotFound          = migration.ErrNotFound
	ErrSchema            = fleet.ErrSchema
	ErrQuery             = fleet.ErrQuery
	// ErrDatabases: the tenant databases of a fleet are not usable (an
	// entry that is not a connection string, a database listed twice);
	// nothing was run. errors.Is(err, ErrInput) holds too.
	ErrDatabases = fleet.ErrDatabases
)

// PartialError is a run that applied some migrations and then failed; the
// applied ones stay applied, and the next run continues.
type PartialError = executor.PartialError

// FleetReadError is a read of a fleet's states (status) in which some
// tenants could not be read; the report still holds every other tenant.
type FleetReadError = fleet.StatesError

// FleetError is a tenant fleet run that stopped because tenants failed;
// its Pass says whether anything can have been applied.
type FleetError = fleet.Error

// Fleet passes, for [FleetError].Pass.
const (
	PassPreflight = fleet.PassPreflight
	PassApply     = fleet.PassApply
)

// InputError is a problem with the caller's input, positioned where
// possible (file:line), with what to do next. errors.Is(err, ErrInput)
// holds for it.
type InputError struct {
	Msg string
	Err error // the underlying error, if any
}

func (e *InputError) Error() string        { return e.Msg }
func (e *InputError) Unwrap() error        { return e.Err }
func (e *InputError) Is(target error) bool { return target == ErrInput }

// ParseDatabaseList reads a file of tenant databases for
// [Tenants.Databases]: one connection string per line, blank lines and
// "#" comments skipped. Its error lists every bad or repeated entry by
// name:line, never with a password, and matches [ErrDatabases] and
// [ErrInput].
func ParseDatabaseList(name string, data []byte) ([]string, error) {
	urls, err := fleet.ParseDatabaseList(name, data)
	if err != nil {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	return urls, nil
}
