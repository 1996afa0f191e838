package executor

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/planner"
)

// Apply applies plan.Run in order, each migration in its own transaction
// together with its tracking row (`transaction: false` migrations
// statement by statement, see [Session.applyNonTx]). It stops at the first
// failure and returns a *PartialError; what was applied before stays
// applied and is returned. The tracking tables are created on first use.
func (s *Session) Apply(ctx context.Context, plan *planner.Plan) ([]string, error) {
	defer s.setCurrent("")
	applied := []string{}
	if len(plan.Run) == 0 {
		return applied, nil
	}
	if err := s.ensureTables(ctx); err != nil {
		return applied, err
	}
	for _, step := range plan.Run {
		s.setCurrent(step.ID())
		var err error
		if step.Migration.Directives.Transaction {
			err = s.applyTx(ctx, step, string(plan.Phase))
		} else {
			err = s.applyNonTx(ctx, step, string(plan.Phase))
		}
		if err != nil {
			return applied, &PartialError{Applied: applied, Failed: step.ID(), Err: err, NonTransactional: !step.Migration.Directives.Transaction}
		}
		applied = append(applied, step.ID())
	}
	return applied, nil
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

// applyTxOnce runs one attempt: BEGIN, the timeouts, the statements, the
// tracking row, COMMIT. BEGIN and the timeouts travel with the first
// statement, and the tracking row with COMMIT, so that a migration of n
// statements costs n+1 round trips. It returns the failure, after rolling
// back.
func (s *Session) applyTxOnce(ctx context.Context, u *unit, phase string) *MigrationError {
	m := u.m
	start := time.Now()
	prefix := "BEGIN; " + u.timeouts(true) + "; "
	for i, st := range u.stmts {
		blockers, err := s.exec(ctx, prefix+st.SQL, u)
		sent := prefix
		prefix = ""
		if err != nil {
			s.rollback(ctx)
			me := s.fail(u, i+1, err, blockers)
			atPosition(me, err, sent, st)
			return me
		}
	}
	_, err := s.conn.Exec(ctx,
		prefix+`INSERT INTO `+s.names.migrations+` (id, checksum, safe, phase, duration_ms, transactional) VALUES ($1, $2, $3, $4, $5, true); COMMIT; `+s.resetSession(),
		pgx.QueryExecModeSimpleProtocol, m.ID, m.Checksum, string(m.Safe()), phase, time.Since(start).Milliseconds())
	if err != nil {
		s.rollback(ctx)
		me := s.fail(u, 0, err, nil)
		me.Context = "recording it in " + MigrationsTable
		if pe := pgError(err); pe != nil && strings.HasPrefix(pe.Code, "23") && pe.TableName != MigrationsTable {
			me.Context = "deferred constraint check at commit" // integrity errors at COMMIT
		}
		return me
	}
	s.log.printf("applied %s (%dms)", m.ID, time.Since(start).Milliseconds())
	return nil
}

// rollback ends a failed transaction; on a lost connection there is
// nothing to end.
func (s *Session) rollback(ctx context.Context) {
	if s.conn.IsClosed() || s.conn.PgConn().TxStatus() == 'I' {
		return // a failed COMMIT has ended the transaction already
	}
	_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
}
