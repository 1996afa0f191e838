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
// connection, a cancelled context); failing migrations are in the report,
// and [PreflightReport.Err] turns them into a *PreflightError.
func (s *Session) Preflight(ctx context.Context, plan *planner.Plan) (*PreflightReport, error) {
	defer s.setCurrent("")
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
	var pending string   // SQL that travels with the next command
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
// To save round trips, the savepoint and the timeouts travel with the
// first statement, and the release of a passing migration's savepoints
// (*pending) with the next migration's first command: none of them can
// fail, so an error still belongs to the statement.
func (s *Session) rehearse(ctx context.Context, step planner.Step, pending *string) (MigrationReport, *MigrationError, error) {
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
	prefix := *pending + "SAVEPOINT " + spMigration + "; " + u.timeouts(true) + "; "
	*pending = ""
	rollback := func() error {
		if _, err := s.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+spMigration+"; RELEASE SAVEPOINT "+spMigration); err != nil {
			return fmt.Errorf("preflight %s: roll back to savepoint: %w", m.ID, s.connLost(err))
		}
		return nil
	}
	for i, st := range stmts {
		if st.SQL == "" { // a statement without equivalent, skipped in rehearsal
			continue
		}
		blockers, err := s.exec(ctx, prefix+st.SQL, u)
		sent := prefix
		prefix = ""
		if err == nil {
			continue
		}
		done()
		me := s.fail(u, i+1, err, blockers)
		atPosition(me, err, sent, st)
		if s.conn.IsClosed() || ctx.Err() != nil {
			me.Hint = "the rehearsal was rolled back and nothing was applied; run again"
			return r, me, fmt.Errorf("preflight: %w", me)
		}
		if me.SQLState == sqlstateActiveSQLTxn && !m.Directives.Transaction {
			// No transactional equivalent for this statement.
			if err := rollback(); err != nil {
				return r, me, err
			}
			r.Status = StatusSkipped
			r.Notice = fmt.Sprintf("transaction: false: statement %d (line %d) cannot be rehearsed in a transaction", i+1, me.Line)
			return r, nil, nil
		}
		if err := rollback(); err != nil {
			return r, me, err
		}
		r.Status, r.Error = StatusFailed, me
		return r, me, nil
	}
	// Surface deferred constraint violations as a commit would, then undo
	// the SET CONSTRAINTS with its subtransaction so that later migrations'
	// constraints keep their declared mode.
	if _, err := s.conn.Exec(ctx, prefix+"SAVEPOINT "+spCheck+"; SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
		done()
		me := s.fail(u, 0, err, nil)
		me.Context = "deferred constraint check at the end of the migration"
		if s.conn.IsClosed() || ctx.Err() != nil {
			return r, me, fmt.Errorf("preflight: %w", me)
		}
		if err := rollback(); err != nil {
			return r, me, err
		}
		r.Status, r.Error = StatusFailed, me
		return r, me, nil
	}
	*pending = "ROLLBACK TO SAVEPOINT " + spCheck + "; RELEASE SAVEPOINT " + spMigration + "; " + s.resetSession() + "; "
	done()
	return r, nil, nil
}
