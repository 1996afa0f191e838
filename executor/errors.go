package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/safemigrate/safemigrate/internal/pgerr"
	"github.com/safemigrate/safemigrate/planner"
)

// Sentinel errors for the cases callers branch on. The typed errors below
// match them with [errors.Is], so a caller can map each to an exit code
// without knowing the type:
//
//	ErrConnect, ErrLockWait, ErrDrift           → exit 2
//	ErrPreflight, ErrMigration (and *PartialError) → exit 1
//	ErrBlocked                                   → exit 3
var (
	// ErrConnect means the target database could not be reached.
	ErrConnect = errors.New("cannot connect to the database")
	// ErrLockWait means another run held the migration lock for longer
	// than Options.LockWait.
	ErrLockWait = errors.New("timed out waiting for the migration lock")
	// ErrDrift means applied migrations changed since they were applied.
	ErrDrift = errors.New("applied migrations changed since they were applied")
	// ErrBlocked means a strict pre-deploy run found blocked migrations
	// and stopped before touching the database.
	ErrBlocked = errors.New("blocked migrations in strict pre-deploy")
	// ErrPreflight means the transactional rehearsal found failures;
	// nothing was applied.
	ErrPreflight = errors.New("preflight failed")
	// ErrMigration means a migration failed while it was applied.
	ErrMigration = errors.New("migration failed")
)

// MigrationError is one migration's failure, positioned in its file. It is
// both an error and the `error` object of the JSON of docs/json.md.
type MigrationError struct {
	ID   string `json:"id"`
	File string `json:"file"`
	// Statement is the 1-based number of the failing statement in the
	// file; 0 when the failure is not tied to one statement (a deferred
	// constraint checked at the end of the migration, a parse error).
	Statement int `json:"statement"`
	// Line is the line of the file where the failing statement starts (or
	// the line of a syntax error).
	Line     int    `json:"line"`
	SQLState string `json:"sqlstate"`
	Message  string `json:"message"`
	Detail   string `json:"detail"`
	Hint     string `json:"hint"`
	// Context says where the failure surfaced when that is not a
	// statement, e.g. "deferred constraint check".
	Context string `json:"context,omitempty"`
	// Attempts is how often the migration was tried (lock timeouts are
	// retried); 1 when it was not retried.
	Attempts int `json:"attempts,omitempty"`
	// Blockers are the sessions the statement waited for when it failed
	// with a lock timeout.
	Blockers []Blocker `json:"blockers,omitempty"`
	// OutcomeUnknown is set when the connection was lost after the
	// migration's COMMIT was sent and no new connection could tell
	// whether it committed.
	OutcomeUnknown bool `json:"outcome_unknown,omitempty"`
	// Err is the underlying error (usually a *pgconn.PgError).
	Err error `json:"-"`
}

// Error renders the failure as file:line, statement, message, SQLSTATE,
// DETAIL, HINT and, for a lock timeout, the blocking sessions.
func (e *MigrationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	fmt.Fprintf(&b, ": migration %s", e.ID)
	switch {
	case e.Statement > 0:
		fmt.Fprintf(&b, ", statement %d", e.Statement)
	case e.Context != "":
		fmt.Fprintf(&b, ", %s", e.Context)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	pgerr.WriteFields(&b, "  ", e.SQLState, e.Detail, e.Hint)
	for _, bl := range e.Blockers {
		fmt.Fprintf(&b, "\n  blocked by %s", bl)
	}
	if e.SQLState == sqlstateLockNotAvailable {
		if e.Attempts > 1 {
			fmt.Fprintf(&b, "\n  gave up after %d attempts", e.Attempts)
		}
		if len(e.Blockers) == 0 {
			b.WriteString("\n  the blocking session could not be identified (it may have finished)")
		}
		b.WriteString("\n  retry once the blocking session is done, or raise the lock timeout (--lock-timeout, -- lock_timeout:)")
	}
	return b.String()
}

// Unwrap returns the underlying database error.
func (e *MigrationError) Unwrap() error { return e.Err }

// Is makes every MigrationError match [ErrMigration].
func (e *MigrationError) Is(target error) bool { return target == ErrMigration }

// PreflightError lists every migration that failed the transactional
// rehearsal. Nothing was applied; the rehearsal's calls that a rollback
// cannot undo (SideEffects) stayed.
type PreflightError struct {
	Failures []*MigrationError
	// Atomic is set when the failures come from an atomic run
	// (Options.Atomic): their transaction was rolled back.
	Atomic bool
	// Kept lists what an atomic run committed before the failing
	// transaction; it stays applied (the error then comes wrapped in a
	// *PartialError).
	Kept []string
	// SideEffects lists the calls the rehearsal ran whose effect stayed
	// after its rollback, "ID statement N (line L): setval".
	SideEffects []string
}

// Error lists every failure, and what the rollback did not undo.
func (e *PreflightError) Error() string {
	var b strings.Builder
	switch {
	case !e.Atomic:
		fmt.Fprintf(&b, "preflight failed for %d migration(s); nothing was applied:", len(e.Failures))
	case len(e.Kept) == 0:
		fmt.Fprintf(&b, "atomic apply failed for %d migration(s); their transaction was rolled back and nothing was applied:", len(e.Failures))
	default:
		fmt.Fprintf(&b, "atomic apply failed for %d migration(s); their transaction was rolled back:", len(e.Failures))
	}
	for _, f := range e.Failures {
		b.WriteString("\n")
		b.WriteString(f.Error())
	}
	if len(e.SideEffects) > 0 {
		b.WriteString("\nthe rehearsal's rollback did not undo these calls (sequences and advisory locks are not transactional; check them before running again):")
		for _, s := range e.SideEffects {
			b.WriteString("\n  ")
			b.WriteString(s)
		}
	}
	return b.String()
}

// Unwrap exposes each failure to errors.As.
func (e *PreflightError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f
	}
	return errs
}

// Is makes a PreflightError match [ErrPreflight] when nothing was
// applied (an atomic run that kept earlier transactions is a partial
// apply: its failures match [ErrMigration]).
func (e *PreflightError) Is(target error) bool { return target == ErrPreflight && len(e.Kept) == 0 }

// PartialError is returned when applying stopped at a failing migration.
// The migrations in Applied were applied (and stay applied); Failed is the
// one that failed and was rolled back; the rest were not attempted.
type PartialError struct {
	Applied []string
	Failed  string
	Err     error
	// NonTransactional is set when Failed is a `transaction: false`
	// migration: its statements before the failing one stay applied and
	// a rerun resumes at the failing one.
	NonTransactional bool
	// OutcomeUnknown is set when the connection was lost after Failed's
	// COMMIT was sent and whether it committed could not be checked.
	OutcomeUnknown bool
	// NotStarted is set when the session's connection ended before
	// Failed was sent: nothing of it ran.
	NotStarted bool
}

// Error says what failed, what stays applied and what to do next.
func (e *PartialError) Error() string {
	applied := "nothing was applied"
	if len(e.Applied) > 0 {
		applied = fmt.Sprintf("applied before the failure and kept: %s", strings.Join(e.Applied, ", "))
	}
	what, next := "failed", "fix it and run again to continue"
	if errors.Is(e.Err, context.Canceled) {
		what, next = "was interrupted", "run again to continue"
	}
	if e.NotStarted {
		kept := "nothing was applied"
		if len(e.Applied) > 0 {
			kept = "applied and kept: " + strings.Join(e.Applied, ", ")
		}
		return fmt.Sprintf("apply stopped before %s: the connection to the database ended (%s); run again to continue:\n%v", e.Failed, kept, e.Err)
	}
	if e.OutcomeUnknown {
		before := "it was the first of this run"
		if len(e.Applied) > 0 {
			before = "applied before it and kept: " + strings.Join(e.Applied, ", ")
		}
		return fmt.Sprintf("apply %s: the connection was lost or ended by the server after it was sent, and whether it committed is unknown (%s); run `safemigrate status` to see, then run again to continue:\n%v", e.Failed, before, e.Err)
	}
	if e.NonTransactional {
		if len(e.Applied) == 0 {
			applied = "no migration before it was applied in this run"
		}
		return fmt.Sprintf("apply %s %s (transaction: false: its earlier statements stay applied and a rerun resumes at the one that stopped; %s); %s:\n%v", e.Failed, what, applied, next, e.Err)
	}
	return fmt.Sprintf("apply %s %s and was rolled back (%s); %s:\n%v", e.Failed, what, applied, next, e.Err)
}

// Unwrap returns the failure.
func (e *PartialError) Unwrap() error { return e.Err }

// DriftError names the applied migrations whose files changed.
type DriftError struct {
	Drift []planner.Drift
}

// Error names each changed file and what to do.
func (e *DriftError) Error() string {
	var b strings.Builder
	b.WriteString("applied migrations were changed after they were applied:")
	for _, d := range e.Drift {
		fmt.Fprintf(&b, "\n  %s: checksum %s, applied as %s", d.Migration.Path, short(d.Migration.Checksum), short(d.AppliedChecksum))
	}
	b.WriteString("\nrestore the applied version of each file and put the change in a new migration; if the change is cosmetic (a comment, formatting), `safemigrate accept ID…` records the new checksum; or pass --allow-drift")
	return b.String()
}

// Is makes a DriftError match [ErrDrift].
func (e *DriftError) Is(target error) bool { return target == ErrDrift }

// BlockedError names each blocked migration and what blocks it. A strict
// pre-deploy run returns it before touching the database.
type BlockedError struct {
	Blocked []planner.Step
}

// Error names each blocked migration and its root causes.
func (e *BlockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d migration(s) are blocked in strict pre-deploy; nothing was run:", len(e.Blocked))
	for _, s := range e.Blocked {
		fmt.Fprintf(&b, "\n  %s (%s) depends on pending after_deploy %s", s.ID(), s.Migration.Safe(), strings.Join(s.BlockedBy, ", "))
	}
	b.WriteString("\nrun the blocking migrations in post-deploy first, mark them always or before_deploy if that is safe, or use --mode nonstrict")
	return b.String()
}

// Is makes a BlockedError match [ErrBlocked].
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// LockWaitError is returned when the migration lock stayed taken for
// longer than Options.LockWait.
type LockWaitError struct {
	Waited time.Duration
	// Holder is the session that held the lock when the wait ended; nil if
	// it could not be identified.
	Holder *Blocker
}

// Error names the session holding the lock.
func (e *LockWaitError) Error() string {
	who := "another session"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("another safemigrate run is in progress: waited %s for the migration lock held by %s; try again when it is done, or raise --lock-wait", e.Waited.Round(time.Millisecond), who)
}

// Is makes a LockWaitError match [ErrLockWait].
func (e *LockWaitError) Is(target error) bool { return target == ErrLockWait }

// SQLSTATE codes the executor branches on.
const (
	sqlstateLockNotAvailable = "55P03"
	sqlstateAdminShutdown    = "57P01"
	sqlstateQueryCanceled    = "57014"
	sqlstateActiveSQLTxn     = "25001"
	sqlstateSyntaxError      = "42601"
	sqlstateInvalidTxnTerm   = "2D000"
	sqlstateDivisionByZero   = "22012"

	sqlstateUnsafeNewEnumValue    = "55P04"
	sqlstateInsufficientPrivilege = "42501"
	sqlstateUndefinedTable        = "42P01"
	sqlstateInvalidSchemaName     = "3F000"
)

// outcomeUnknown reports whether err is a migration's failure whose
// outcome could not be checked (MigrationError.OutcomeUnknown).
func outcomeUnknown(err error) bool {
	var me *MigrationError
	return errors.As(err, &me) && me.OutcomeUnknown
}

// mayHaveCommitted reports whether a failed batch may have committed
// all the same: no reply came (the connection was lost), or the server
// ended the session (a FATAL error: a shutdown, pg_terminate_backend) in
// place of COMMIT's reply, which it can do after the commit is durable,
// e.g. while waiting for a synchronous standby. A FATAL error in reply to
// an earlier command ended the session before COMMIT was read.
func mayHaveCommitted(err error, role string) bool {
	pe := pgError(err)
	return pe == nil || (role == roleCommit && (pe.Severity == "FATAL" || pe.Severity == "PANIC"))
}

// pgError returns err's *pgconn.PgError, or nil.
func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	if sum == "" {
		return "(unknown)"
	}
	return sum
}
