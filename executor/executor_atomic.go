package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/planner"
)

// markStart records, inside an atomic segment's transaction, when the
// next migration starts, so that its tracking row measures that migration
// rather than the transaction (now() is the transaction's start). The
// setting is transaction-local; a migration that resets every setting
// (RESET ALL) is measured from the transaction's start instead.
const (
	markStart = `SELECT pg_catalog.set_config('safemigrate.migration_start', pg_catalog.clock_timestamp()::text, true)`
	sinceMark = `COALESCE(NULLIF(pg_catalog.current_setting('safemigrate.migration_start', true), '')::timestamptz, pg_catalog.now())`
)

// segment is a run of migrations an atomic run executes together: either
// consecutive transactional migrations (one transaction) or a single
// `transaction: false` migration.
type segment struct {
	steps []planner.Step
	tx    bool
}

// segments splits steps for an atomic run. A segment ends at a
// `transaction: false` migration (which runs on its own, statement by
// statement) and after a migration that adds an enum value (PostgreSQL
// refuses to use a value added in the same transaction, so what follows
// must see it committed).
func (s *Session) segments(steps []planner.Step) []segment {
	var out []segment
	var cur []planner.Step
	flush := func() {
		if len(cur) > 0 {
			out = append(out, segment{steps: cur, tx: true})
			cur = nil
		}
	}
	for _, step := range steps {
		if !step.Migration.Directives.Transaction {
			flush()
			out = append(out, segment{steps: []planner.Step{step}})
			continue
		}
		cur = append(cur, step)
		if u, me := s.unit(step.Migration); me == nil && addsEnumValue(u.stmts) {
			flush()
		}
	}
	flush()
	return out
}

// ApplyAtomic applies plan.Run in one pass, the rehearsal being the
// apply (migrate --atomic; see docs/executing.md). Consecutive
// transactional migrations run in one transaction, exactly as
// [Session.Preflight] rehearses them (a savepoint each, deferred
// constraints checked after each, the session reset between them, the
// tracking row in the migration's batch), and that transaction commits
// with its tracking rows only when every migration in it passed. A failing
// migration is rolled back to its savepoint and the others still run, so
// that every failure is reported; then the whole transaction is rolled
// back and later segments are not attempted.
//
// Segments end at a `transaction: false` migration, applied on its own as
// [Session.Apply] applies it, and after a migration that adds an enum
// value. A lock timeout rolls the whole segment back (releasing every
// lock it took), backs off and retries it, up to Options.LockRetries
// times.
//
// The report has one line per migration attempted, as a preflight's
// (Atomic set); applied lists the committed migrations. Errors: a
// *PreflightError (Atomic set) when the first failing segment was the
// first one to touch anything, so that nothing was applied; a
// *PartialError when earlier segments (or `transaction: false`
// migrations) committed and stay applied; the error of a lost connection
// or cancelled context wrapped in a *PartialError; an *InputError, before
// anything runs, for a migration that cannot run as written.
func (s *Session) ApplyAtomic(ctx context.Context, plan *planner.Plan) (*PreflightReport, []string, error) {
	defer s.setCurrent("")
	rep := &PreflightReport{OK: true, Atomic: true, Migrations: []MigrationReport{}}
	applied := []string{}
	if err := s.checkInput(plan); err != nil {
		return nil, applied, err
	}
	phase := string(plan.Phase)
	for segs := s.segments(plan.Run); len(segs) > 0; {
		seg := segs[0]
		segs = segs[1:]
		if err := s.endedAfter(applied, seg.steps[0].ID()); err != nil {
			return rep, applied, err
		}
		s.setCurrent(seg.steps[0].ID())
		if !seg.tx {
			step := seg.steps[0]
			r := MigrationReport{ID: step.ID(), Status: StatusOK,
				Notice: "transaction: false: applied statement by statement, outside the atomic transactions"}
			start := s.startMigration(PassApply, step) // a long index build shows as running
			err := s.ensureTables(ctx)
			if err == nil {
				err = s.applyNonTx(ctx, step, phase)
			}
			s.endMigration(step, err == nil, start)
			r.DurationMS = time.Since(start).Milliseconds()
			if err != nil {
				rep.OK = false
				r.Status = StatusFailed
				errors.As(err, &r.Error)
				rep.Migrations = append(rep.Migrations, r)
				return rep, applied, &PartialError{Applied: applied, Failed: step.ID(), Err: err, NonTransactional: true, OutcomeUnknown: outcomeUnknown(err)}
			}
			rep.Migrations = append(rep.Migrations, r)
			applied = append(applied, step.ID())
			continue
		}
		sr, err := s.rehearseSteps(ctx, seg.steps, phase, true)
		if k := enumSplit(sr, err); k > 0 {
			// Everything was rolled back: run the migrations before the
			// one that needs the value committed, then the rest.
			s.log.printf("atomic: %s uses an enum value added earlier in its transaction (in dynamic SQL); committing the %d migration(s) before it first", seg.steps[k].ID(), k)
			segs = append([]segment{{steps: seg.steps[:k], tx: true}, {steps: seg.steps[k:], tx: true}}, segs...)
			continue
		}
		if sr != nil {
			rep.Migrations = append(rep.Migrations, sr.Migrations...)
			rep.Attempts = max(rep.Attempts, sr.Attempts)
		}
		if err != nil {
			rep.OK = false
			return rep, applied, &PartialError{Applied: applied, Failed: s.currentID(), Err: err, OutcomeUnknown: outcomeUnknown(err)}
		}
		if !sr.OK {
			rep.OK = false
			var pe *PreflightError
			errors.As(sr.Err(), &pe)
			pe.Atomic, pe.Kept = true, applied
			if len(applied) == 0 {
				return rep, applied, pe
			}
			return rep, applied, &PartialError{Applied: applied, Failed: pe.Failures[0].ID, Err: pe}
		}
		for i := len(rep.Migrations) - len(sr.Migrations); i < len(rep.Migrations); i++ {
			rep.Migrations[i].SideEffects = nil // committed: they happened once, as meant
		}
		ids := make([]string, len(seg.steps))
		for i, step := range seg.steps {
			ids[i] = step.ID()
		}
		applied = append(applied, ids...)
		s.log.printf("atomic: committed %s", strings.Join(ids, ", "))
	}
	return rep, applied, nil
}

// enumSplit returns where an atomic segment that failed must be split:
// the index of its first failing migration when that failure is a use of
// an enum value added earlier in the same transaction (55P04) by an
// earlier migration, which PostgreSQL allows only once the value is
// committed; 0 when the segment is not to be split. Values added by name
// end a segment already ([Session.segments]); this catches dynamic SQL.
func enumSplit(sr *PreflightReport, err error) int {
	if err != nil || sr == nil || sr.OK {
		return 0
	}
	for i, m := range sr.Migrations {
		if m.Status != StatusFailed {
			continue
		}
		if i > 0 && m.Error != nil && m.Error.SQLState == sqlstateUnsafeNewEnumValue && m.Error.Statement > 0 {
			return i
		}
		return 0
	}
	return 0
}

// commitSegment releases the last savepoint, resets the session and
// commits an atomic segment in one round trip. A failing COMMIT (there
// should be none: deferred constraints were checked after each migration)
// is reported against the segment's last migration; err is for a lost
// connection.
func (s *Session) commitSegment(ctx context.Context, steps []planner.Step, rh *rehearsal) (*MigrationError, error) {
	last := steps[len(steps)-1].Migration
	u, me := s.unit(last)
	if me != nil {
		return me, nil
	}
	var b batch
	b.own(rh.pending...)
	rh.pending = nil
	b.add("COMMIT", 0, roleCommit)
	cmd, blockers, err := s.execBatch(ctx, &b, u)
	if err == nil {
		return nil, nil
	}
	if mayHaveCommitted(err, cmd.role) {
		// No reply, or the session ended in place of COMMIT's reply: the
		// COMMIT may have run. The segment's tracking rows
		// committed with it or not at all; its last one tells.
		switch committed, known := s.committed(ctx, last); {
		case committed:
			s.log.printf("atomic: the reply to COMMIT was lost; the tracking rows show the transaction committed")
			return nil, nil
		case !known:
			me := s.fail(u, 0, err, blockers)
			me.Context = "commit of the atomic transaction"
			me.OutcomeUnknown = true
			me.Hint = "the connection was lost or ended by the server after COMMIT was sent, and whether the atomic transaction committed could not be checked: run `safemigrate status` to see whether " + last.ID + " is applied; a rerun continues either way"
			return nil, fmt.Errorf("atomic: commit: %w", me)
		}
	}
	s.rollback(ctx)
	if s.conn.IsClosed() || ctx.Err() != nil {
		return nil, fmt.Errorf("atomic: commit: %w", s.connLost(err))
	}
	me = s.fail(u, 0, err, blockers)
	me.Context = "commit of the atomic transaction"
	if cmd.role != roleCommit {
		me.Context = "ending the atomic transaction"
	}
	me.Hint = "the atomic transaction was rolled back; nothing of it was applied"
	return me, nil
}

// currentID is the migration running now.
func (s *Session) currentID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}
