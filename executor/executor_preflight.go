package executor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/planner"
)

// Preflight rehearses plan.Run on the session's database in one
// transaction and rolls everything back (SPEC §3): a SAVEPOINT per
// migration, statements one by one, then `SET CONSTRAINTS ALL IMMEDIATE`
// inside a nested savepoint that is rolled back once the check passes, so
// that deferred constraints are checked as a commit would check them while
// later migrations' constraints stay deferred. A failing migration is
// rolled back to its savepoint and the rehearsal goes on, so one run
// reports every failure.
//
// `transaction: false` migrations are skipped with a notice, or rehearsed
// with their transactional equivalent when Options.RehearseNonTransactional
// is set. A lock timeout restarts the whole rehearsal after a backoff (so
// that nothing stays locked while it waits), up to Options.LockRetries
// times; on the last attempt it is reported as that migration's failure,
// naming the blocking session.
//
// The plan may come from another target: rehearsing on a disposable copy
// of the target is the same call on a session of the copy.
//
// The returned error is for failures of the rehearsal itself (a lost
// connection, a cancelled context) and for a migration that cannot run as
// written (*InputError, before anything is sent); failing migrations are in the report,
// and [PreflightReport.Err] turns them into a *PreflightError.
func (s *Session) Preflight(ctx context.Context, plan *planner.Plan) (*PreflightReport, error) {
	defer s.setCurrent("")
	if err := s.checkInput(plan); err != nil {
		return nil, err
	}
	attempts := s.opts.LockRetries + 1
	seen := map[string][]Blocker{} // blockers of earlier attempts, by migration
	for attempt := 1; ; attempt++ {
		rep, retry, err := s.preflightOnce(ctx, plan, attempt == attempts)
		if rep != nil {
			rep.Attempts = attempt
			for _, m := range rep.Migrations {
				if e := m.Error; e != nil && e.SQLState == sqlstateLockNotAvailable {
					e.Attempts = attempt
					if len(e.Blockers) == 0 {
						e.Blockers = seen[e.ID]
					}
				}
			}
		}
		if err != nil || retry == nil {
			return rep, err
		}
		if len(retry.Blockers) > 0 {
			seen[retry.ID] = retry.Blockers
		}
		s.log.printf("preflight: lock timeout in %s statement %d (%s); restarting the rehearsal in about %s (attempt %d of %d)",
			retry.ID, retry.Statement, describeBlockers(retry.Blockers), s.opts.RetryBackoff<<(attempt-1), attempt+1, attempts)
		if err := s.backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// preflightOnce runs the rehearsal once. Unless final, a lock timeout
// aborts it and is returned as retry.
func (s *Session) preflightOnce(ctx context.Context, plan *planner.Plan, final bool) (rep *PreflightReport, retry *MigrationError, err error) {
	rep = &PreflightReport{OK: true, Migrations: make([]MigrationReport, 0, len(plan.Run))}
	if len(plan.Run) == 0 {
		return rep, nil, nil
	}
	if _, err := s.conn.Exec(ctx, "BEGIN"); err != nil {
		return nil, nil, fmt.Errorf("preflight: %w", s.connLost(err))
	}
	open := true
	defer func() {
		if open && !s.conn.IsClosed() {
			if _, rbErr := s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil && err == nil {
				err = fmt.Errorf("preflight: roll back: %w", s.connLost(rbErr))
			}
		}
	}()
	var skipped []string // IDs of migrations not rehearsed
	var pending []string // commands that travel with the next batch
	for _, step := range plan.Run {
		m := step.Migration
		s.setCurrent(m.ID)
		r, me, err := s.rehearse(ctx, step, &pending)
		if err != nil {
			return nil, nil, err
		}
		if me != nil && me.SQLState == sqlstateLockNotAvailable && !final {
			return nil, me, nil
		}
		if r.Status == StatusSkipped {
			skipped = append(skipped, m.ID)
		}
		if r.Status == StatusFailed {
			rep.OK = false
			if len(skipped) > 0 && r.Error != nil && r.Error.Hint == "" {
				r.Error.Hint = fmt.Sprintf("preflight did not rehearse %s (transaction: false); if this failure comes from that, rehearse on a disposable database (preflight --ephemeral) or apply them first", strings.Join(skipped, ", "))
			}
		}
		rep.Migrations = append(rep.Migrations, r)
		s.logPreflight(r)
	}
	open = false
	if _, err := s.conn.Exec(ctx, "ROLLBACK"); err != nil {
		return nil, nil, fmt.Errorf("preflight: roll back: %w", s.connLost(err))
	}
	return rep, nil, nil
}

func (s *Session) logPreflight(r MigrationReport) {
	switch r.Status {
	case StatusOK:
		if r.Notice != "" {
			s.log.printf("preflight: %s ok (%dms; %s)", r.ID, r.DurationMS, r.Notice)
		} else {
			s.log.printf("preflight: %s ok (%dms)", r.ID, r.DurationMS)
		}
	case StatusSkipped:
		s.log.printf("preflight: %s skipped: %s", r.ID, r.Notice)
	case StatusFailed:
		s.log.printf("preflight: %s FAILED: %s", r.ID, r.Error)
	}
}

// Savepoint names; a migration's own savepoints would need these exact
// names to interfere.
const (
	spMigration = "safemigrate_preflight"
	spCheck     = "safemigrate_deferred_check"
)

// rehearse runs one migration inside the preflight transaction. err is
// set only when the rehearsal cannot go on (connection lost).
//
// A migration is rehearsed in one round trip: the release of the previous
// migration's savepoints (*pending), its savepoint, timeouts, statements
// and the deferred constraint check travel as one batch, and the batch's
// results say which command failed. With Options.Trace the statements go
// one by one instead, each followed by a read of relations and locks.
func (s *Session) rehearse(ctx context.Context, step planner.Step, pending *[]string) (MigrationReport, *MigrationError, error) {
	m := step.Migration
	r := MigrationReport{ID: m.ID, Status: StatusOK}
	start := time.Now()
	done := func() { r.DurationMS = time.Since(start).Milliseconds() }
	u, me := s.unit(m)
	if me != nil {
		r.Status, r.Error = StatusFailed, me
		return r, me, nil
	}
	stmts := u.stmts
	if !m.Directives.Transaction {
		if !s.opts.RehearseNonTransactional {
			r.Status = StatusSkipped
			r.Notice = "transaction: false: not rehearsed on the target (its statements cannot run in a transaction); it runs statement by statement when applied"
			return r, nil, nil
		}
		eq, notes, err := equivalents(u.stmts)
		if err != nil {
			r.Status = StatusSkipped
			r.Notice = "transaction: false: " + err.Error()
			return r, nil, nil
		}
		stmts = eq
		r.Notice = "transaction: false: rehearsed with transactional equivalents"
		if len(notes) > 0 {
			r.Notice += " (" + strings.Join(notes, "; ") + ")"
		}
	}
	var b batch
	b.own(*pending...)
	*pending = nil
	b.own("SAVEPOINT " + spMigration)
	b.own(u.timeouts(true)...)
	for i, st := range stmts {
		if st.SQL != "" { // "": a statement without equivalent, skipped in rehearsal
			b.add(st.SQL, i+1, "")
		}
	}
	// Surface deferred constraint violations as a commit would; the
	// SET CONSTRAINTS is undone with its subtransaction (in the next
	// batch) so that later migrations' constraints keep their declared mode.
	b.own("SAVEPOINT " + spCheck)
	b.add("SET CONSTRAINTS ALL IMMEDIATE", 0, roleCheck)
	rollback := func() error {
		if _, err := s.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+spMigration+"; RELEASE SAVEPOINT "+spMigration); err != nil {
			return fmt.Errorf("preflight %s: roll back to savepoint: %w", m.ID, s.connLost(err))
		}
		return nil
	}
	var (
		cmd      *command
		blockers []Blocker
		err      error
	)
	if s.opts.Trace {
		r.Trace, cmd, blockers, err = s.execTraced(ctx, &b, u, stmts)
	} else {
		cmd, blockers, err = s.execBatch(ctx, &b, u)
	}
	done()
	if err == nil {
		*pending = append([]string{"ROLLBACK TO SAVEPOINT " + spCheck, "RELEASE SAVEPOINT " + spMigration}, s.resetSession()...)
		return r, nil, nil
	}
	me = s.fail(u, cmd.stmt, err, blockers)
	switch {
	case cmd.stmt > 0:
		atPosition(me, err, cmd.start, stmts[cmd.stmt-1])
	case cmd.role == roleCheck:
		me.Context = "deferred constraint check at the end of the migration"
	case cmd.role == roleTrace:
		me.Context = "reading relations and locks for the trace"
		return r, me, fmt.Errorf("preflight: %w", me)
	default:
		// The savepoint, timeouts and releases cannot fail on a healthy
		// session: this is the rehearsal's problem, not the migration's.
		return r, me, fmt.Errorf("preflight: %w", me)
	}
	if s.conn.IsClosed() || ctx.Err() != nil {
		me.Hint = "the rehearsal was rolled back and nothing was applied; run again"
		return r, me, fmt.Errorf("preflight: %w", me)
	}
	if err := rollback(); err != nil {
		return r, me, err
	}
	if cmd.stmt > 0 && me.SQLState == sqlstateActiveSQLTxn && !m.Directives.Transaction {
		// No transactional equivalent for this statement.
		r.Status = StatusSkipped
		r.Notice = fmt.Sprintf("transaction: false: statement %d (line %d) cannot be rehearsed in a transaction", cmd.stmt, me.Line)
		return r, nil, nil
	}
	r.Status, r.Error = StatusFailed, me
	return r, me, nil
}
