// Package executor runs migrations against PostgreSQL the way docs/executing.md
// describes: under a session-level advisory lock, after a transactional
// rehearsal, each migration in its own transaction with its tracking row.
//
// # Targets
//
// A [Target] is one place migrations run: a pgx connection configuration,
// the schema they run in (search_path) and the schema of the tracking
// tables. A single database is one Target; a tenant fleet is many Targets
// on one database, each with its own schema and tracking tables. The
// executor opens its own sessions from the Target.
//
//	t, err := executor.ParseTarget(os.Getenv("DATABASE_URL")) // "" = PG* variables
//	res, err := executor.Run(ctx, t, g, executor.Options{
//		Phase: planner.PreDeploy,
//		Log:   os.Stderr,
//	})
//	switch {
//	case errors.Is(err, executor.ErrBlocked):   // exit 3
//	case errors.Is(err, executor.ErrPreflight): // exit 1: nothing applied
//	case errors.As(err, &partial):              // exit 1: partial.Applied stay applied
//	case err != nil:                            // exit 2: connection, lock wait, drift, …
//	}
//	json.NewEncoder(os.Stdout).Encode(res)       // docs/json.md shape
//
// # What a run does
//
// [Run] opens a [Session] ([Open]): it connects and takes the advisory lock
// of the tracking schema, waiting up to Options.LockWait while another run
// holds it and saying on Options.Log which session that is. Under the lock
// it reads the tracking tables ([Session.State]; missing tables read as
// "nothing applied") and plans with the [planner] package. It refuses
// drift (*[DriftError]) and, in strict pre-deploy, blocked migrations
// (*[BlockedError]) before touching anything.
//
// [Session.Preflight] then rehearses the whole selection in one
// transaction that is rolled back at the end: a SAVEPOINT per migration,
// statements one by one (split by the PostgreSQL parser, so that a failure
// names the statement number and the line in the file), then its deferred
// constraints checked as a commit would check them, without changing how
// later migrations' constraints behave, and its tracking row, as apply
// writes it. A failing migration is rolled back to its savepoint and the
// rehearsal goes on, so one run reports every failure (*[PreflightError]).
// If anything failed, nothing is applied. What one transaction cannot
// rehearse (a use of an enum value an earlier migration of the run added)
// is skipped with the reason, never failed.
//
// [Session.Apply] applies each migration in its own transaction together
// with its row in safemigrate_migrations, with lock_timeout and
// statement_timeout set (Options, overridden per file). A lock timeout is
// retried with backoff; the final error names the blocking session, found
// by sampling pg_blocking_pids() of the migrating backend from a second
// connection while the statement waits. A failure stops the run with a
// *[PartialError]: what was applied before stays applied.
//
// With Options.Atomic, [Run] does both in one pass: [Session.ApplyAtomic]
// runs consecutive transactional migrations exactly as the rehearsal
// does, and commits their transaction (a segment, ended by a
// `transaction: false` migration or after an added enum value) only when
// every migration in it passed; see docs/executing.md.
//
// `transaction: false` migrations run statement by statement in
// autocommit, with progress in safemigrate_progress so that a rerun
// resumes at the statement that failed; a failed CREATE INDEX
// CONCURRENTLY leaves no INVALID index behind, and a rerun after a crash
// drops the INVALID index the crashed statement left, named or not. Preflight on the target
// skips them with a notice; Options.RehearseNonTransactional rehearses
// them with transactional equivalents on disposable databases.
//
// After a successful run of either phase, [Session.RecordDetected] records when
// each delayed migration was first seen (docs/planning.md).
//
// # Rehearsing on a copy
//
// [Prepare] is the first half of Run: it plans from the target's state
// under its lock and releases the lock, writing nothing. [Rehearse]
// rehearses that plan on another database with the target's schema (a
// restored backup, staging, a throwaway server) and rolls back; there,
// `transaction: false` migrations run through their transactional
// equivalents, which is refused on the target itself
// ([ErrRehearsalOnTarget]), recognised by server identity (system
// identifier and database OID) however its connection string is written,
// and refused too when that identity cannot be read ([ErrIdentity]):
//
//	res, err := executor.Prepare(ctx, target, g, opts) // drift, blocked: as Run
//	if err != nil {
//		return err
//	}
//	err = executor.Rehearse(ctx, restoredCopy, res, opts) // *PreflightError on failures
//
// # Tracing locks and rewrites
//
// With Options.Trace the rehearsal sends statements one by one instead of
// a migration per round trip, and after each reads pg_locks of its own
// backend and the relfilenode of every user table: MigrationReport.Trace
// lists, per statement, the table locks it took and the tables it
// rewrote ([StatementTrace]). The rehearsal is one transaction, which
// keeps every lock until it ends, so a lock an earlier statement took
// cannot show up again in pg_locks; where the SQL analysis of [annotate]
// says a later statement takes it too, it is listed there as
// AlreadyHeld.
//
// [ReadState], [StatusOf] and [Baseline] serve `plan`, `status` and
// `baseline`.
//
// A tenant fleet (package fleet) takes the locks of all its targets on one
// connection with [LockAll] and works on them through sessions opened by
// [LockSet.Open], which run under those locks without taking their own.
//
// # Context, concurrency and safety
//
// Every call that talks to the database takes a context; cancelling it
// aborts the statement in flight, and PostgreSQL rolls back the open
// transaction. A killed process leaves no partial migration behind either:
// its backend notices the lost client (client_connection_check_interval on
// PostgreSQL 14+), rolls back and releases the lock. A [Session] is not
// safe for concurrent use; run many targets with one Session each.
//
// Passwords never appear in errors or log lines: connection errors go
// through internal/redact, and the query text of other sessions is
// masked and truncated.
package executor
