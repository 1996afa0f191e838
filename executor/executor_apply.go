package executor

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// Apply applies plan.Run in order, each migration in its own transaction
// together with its tracking row (`transaction: false` migrations
// statement by statement, see [Session.applyNonTx]). It stops at the first
// failure and returns a *PartialError; what was applied before stays
// applied and is returned. The tracking tables are created on first use,
// in the transaction of the first migration (see [Session.beginTables]).
// A migration that cannot run as written stops it before anything runs
// (*InputError).
func (s *Session) Apply(ctx context.Context, plan *planner.Plan) ([]string, error) {
	defer s.setCurrent("")
	applied := []string{}
	if len(plan.Run) == 0 {
		return applied, nil
	}
	if err := s.checkInput(plan); err != nil {
		return applied, err
	}
	for i, step := range plan.Run {
		if i == 0 && step.Migration.Directives.Transaction && !s.ready {
			// Refused tracking tables stop the run as they always did,
			// before any migration (a transaction: false one creates the
			// tables in its own way: ensureProgress).
			if err := s.beginTables(ctx); err != nil {
				return applied, err
			}
		}
		if err := s.endedAfter(applied, step.ID()); err != nil {
			return applied, err
		}
		s.setCurrent(step.ID())
		began := s.startMigration(PassApply, step)
		var err error
		if step.Migration.Directives.Transaction {
			err = s.applyTx(ctx, step, string(plan.Phase))
		} else {
			err = s.applyNonTx(ctx, step, string(plan.Phase))
		}
		s.endMigration(step, err == nil, began)
		if err != nil {
			return applied, &PartialError{Applied: applied, Failed: step.ID(), Err: err, NonTransactional: !step.Migration.Directives.Transaction, OutcomeUnknown: outcomeUnknown(err)}
		}
		applied = append(applied, step.ID())
	}
	return applied, nil
}

// endedAfter is the error of a run whose session the server ended after
// the last applied migration committed (a shutdown sends its FATAL error
// after COMMIT's reply), before next was sent; nil while the session
// lives or before anything was applied.
func (s *Session) endedAfter(applied []string, next string) *PartialError {
	if len(applied) == 0 || !s.conn.IsClosed() {
		return nil
	}
	return &PartialError{Applied: applied, Failed: next, NotStarted: true,
		Err: s.connLost(errors.New("the server ended the session after " + applied[len(applied)-1] + " committed"))}
}

// applyTx applies one transactional migration, retrying it whole after a
// lock timeout.
func (s *Session) applyTx(ctx context.Context, step planner.Step, phase string) error {
	m := step.Migration
	u, me := s.unit(m)
	if me != nil {
		return me
	}
	var seen []Blocker // blockers of earlier attempts
	for attempt := 1; ; attempt++ {
		if !s.ready && s.conn.PgConn().TxStatus() == 'I' {
			if err := s.beginTables(ctx); err != nil {
				return err
			}
		}
		me := s.applyTxOnce(ctx, u, phase)
		if me == nil {
			return nil
		}
		me.Attempts = attempt
		if len(me.Blockers) > 0 {
			seen = me.Blockers
		} else if me.SQLState == sqlstateLockNotAvailable {
			me.Blockers = seen
		}
		if me.SQLState != sqlstateLockNotAvailable || attempt > s.opts.LockRetries || s.conn.IsClosed() {
			return me
		}
		s.log.printf("%s: lock timeout at statement %d (%s); retrying in about %s (attempt %d of %d)",
			m.ID, me.Statement, describeBlockers(me.Blockers), s.opts.RetryBackoff<<(attempt-1), attempt+1, s.opts.LockRetries+1)
		if err := s.backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// beginTables resets the session and begins the transaction of the first
// migration, and creates the tracking tables in it ([Session.ensureTables]):
// they commit with the migration (or go with its rollback), which saves
// the server a transaction of their own and its commit in every tenant of
// a fleet. On error nothing is left open.
func (s *Session) beginTables(ctx context.Context) error {
	qctx, cancel := ownCtx(ctx)
	defer cancel()
	if _, err := s.conn.Exec(qctx, strings.Join(append(s.resetSession(), "BEGIN"), "; ")); err != nil {
		s.rollback(ctx)
		return s.trackingErr(err)
	}
	if err := s.ensureTables(ctx); err != nil {
		s.rollback(ctx)
		s.ready = false
		return err
	}
	return nil
}

// applyTxOnce runs one attempt in one round trip: the session reset,
// BEGIN, the timeouts, the statements, the tracking row and COMMIT travel
// as one batch (the reset and BEGIN went ahead when [Session.beginTables]
// opened the transaction to create the tracking tables in). It returns
// the failure, after rolling back.
func (s *Session) applyTxOnce(ctx context.Context, u *unit, phase string) (me *MigrationError) {
	m := u.m
	var b batch
	if s.conn.PgConn().TxStatus() == 'T' {
		defer func() {
			if me != nil {
				s.ready = false // the tracking tables went with the rollback, or may have
			}
		}()
	} else {
		b.own(s.resetSession()...)
		b.own("BEGIN")
	}
	b.own(u.timeouts(true)...)
	for i, st := range u.stmts {
		b.add(st.SQL, i+1, "")
	}
	s.addRecord(&b, m, phase, "")
	s.addLockCheck(&b)
	b.add("COMMIT", 0, roleCommit)
	start := time.Now()
	cmd, blockers, err := s.execBatch(ctx, &b, u)
	if err == nil {
		if !s.ev.on() { // Options.Events reports it
			s.log.printf("applied %s (%dms)", m.ID, time.Since(start).Milliseconds())
		}
		return nil
	}
	if mayHaveCommitted(err, cmd.role) {
		// No reply from the server, or the server ended the session in
		// place of COMMIT's reply: the batch, COMMIT included, may have
		// run. Say what happened, never "rolled back" on a guess.
		switch committed, known := s.committed(ctx, m); {
		case committed:
			s.log.printf("applied %s (its reply was lost; its tracking row shows it committed)", m.ID)
			return nil
		case !known:
			me := s.fail(u, cmd.stmt, err, blockers)
			me.OutcomeUnknown = true
			me.Hint = "the connection was lost or ended by the server after the migration was sent, and whether it committed could not be checked: run `safemigrate status` to see whether " + m.ID + " is applied; a rerun continues either way"
			return me
		}
	}
	s.rollback(ctx)
	me = s.fail(u, cmd.stmt, err, blockers)
	switch {
	case cmd.stmt > 0:
		atPosition(me, err, cmd.start, u.stmts[cmd.stmt-1])
	case cmd.role == roleRecord:
		me.Context = "recording it in " + MigrationsTable
	case cmd.role == roleLockCheck && lockCheckFailed(err):
		s.lockReleased(me, "its transaction was rolled back and nothing of it was applied")
	case cmd.role == roleLockCheck:
		me.Context = lockCheckContext
	case cmd.role == roleCommit:
		me.Context = "deferred constraint check at commit" // integrity errors at COMMIT
	default:
		me.Context = "preparing the transaction"
	}
	return me
}

// addRecord appends a transactional migration's tracking row to b. Apply
// and the rehearsal record the same row, so that a migration that cannot
// record itself (a SET ROLE left in place, a dropped tracking schema) fails
// preflight rather than apply. now() is the transaction's start: the
// server measures the duration. since is the SQL expression of the
// migration's start, "" for the transaction's start (an atomic segment
// holds several migrations: see [markStart]). Values travel as bind
// parameters, never in the SQL text: see docs/security.md.
func (s *Session) addRecord(b *batch, m *migration.Migration, phase, since string) {
	if since == "" {
		since = "pg_catalog.now()"
	}
	b.addParams(`INSERT INTO `+s.names.migrations+` (id, checksum, safe, phase, duration_ms, transactional) VALUES ($1, $2, $3, $4, (pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - `+since+`) * 1000)::integer, true)`,
		roleRecord, m.ID, m.Checksum, string(m.Safe()), phase)
}

// rollback ends a failed transaction; on a lost connection there is
// nothing to end.
func (s *Session) rollback(ctx context.Context) {
	if s.conn.IsClosed() || s.conn.PgConn().TxStatus() == 'I' {
		return // a failed COMMIT has ended the transaction already
	}
	_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
}
