package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// Preflight rehearses plan.Run on the session's database in one
// transaction and rolls everything back: a SAVEPOINT per migration, its
// statements, its deferred constraints checked as a commit would check
// them (see [fireDeferred]) and its tracking row inserted as apply
// inserts it, into tracking tables created inside the rehearsal when the
// target has none yet. A failing migration
// is rolled back to its savepoint and the rehearsal goes on, so one run
// reports every failure. Between migrations the session is reset as apply
// resets it (settings, role).
//
// What one transaction cannot rehearse is skipped with the reason, never
// failed: a migration that uses an enum value added by an earlier
// migration of the same run (PostgreSQL refuses a value added in the same
// transaction; applied, each migration commits on its own).
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
	return s.rehearseSteps(ctx, plan.Run, string(plan.Phase), false)
}

// rehearseSteps runs steps in one transaction, a savepoint each, retrying
// the whole transaction after a lock timeout (rolled back first, so that
// nothing stays locked during the backoff). commit=false is the
// preflight: the transaction is rolled back. commit=true is one segment
// of an atomic run ([Session.ApplyAtomic]): the transaction commits, with
// the tracking rows, when every step passed, and is rolled back otherwise.
func (s *Session) rehearseSteps(ctx context.Context, steps []planner.Step, phase string, commit bool) (*PreflightReport, error) {
	attempts := s.opts.LockRetries + 1
	seen := map[string][]Blocker{} // blockers of earlier attempts, by migration
	for attempt := 1; ; attempt++ {
		rep, retry, err := s.rehearseOnce(ctx, steps, phase, commit, attempt == attempts)
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
		what := "restarting the rehearsal"
		if commit {
			what = "rolled back the atomic transaction (every lock released); retrying it"
		}
		s.log.printf("%s: lock timeout in %s statement %d (%s); %s in about %s (attempt %d of %d)",
			passName(commit), retry.ID, retry.Statement, describeBlockers(retry.Blockers), what, s.opts.RetryBackoff<<(attempt-1), attempt+1, attempts)
		if err := s.backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// passName names the pass in log lines.
func passName(commit bool) string {
	if commit {
		return "atomic"
	}
	return "preflight"
}

// rehearseOnce runs steps once in one transaction. Unless final, a lock
// timeout aborts it (rolled back) and is returned as retry. With commit,
// the transaction commits when every step passed.
func (s *Session) rehearseOnce(ctx context.Context, steps []planner.Step, phase string, commit, final bool) (rep *PreflightReport, retry *MigrationError, err error) {
	rep = &PreflightReport{OK: true, Migrations: make([]MigrationReport, 0, len(steps))}
	if len(steps) == 0 {
		return rep, nil, nil
	}
	name := passName(commit)
	if _, err := s.conn.Exec(ctx, "BEGIN"); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, s.connLost(err))
	}
	open := true
	defer func() {
		if open && !s.conn.IsClosed() {
			if _, rbErr := s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil && err == nil {
				err = fmt.Errorf("%s: roll back: %w", name, s.connLost(rbErr))
			}
		}
	}()
	// Apply creates the tracking tables before the first migration; the
	// rehearsal does too, inside its transaction, so that a migration that
	// drops them fails here. The rollback takes them away again; a commit
	// keeps them.
	committed := false
	if ready, readyProgress := s.ready, s.readyProgress; !ready || !readyProgress {
		defer func() {
			if !committed {
				s.ready, s.readyProgress = ready, readyProgress
			}
		}()
	}
	ensure := s.ensureTables
	if s.opts.RehearseNonTransactional && slices.ContainsFunc(steps, func(st planner.Step) bool { return !st.Migration.Directives.Transaction }) {
		ensure = s.ensureProgress // apply creates it for them
	}
	if err := ensure(ctx); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	rh := &rehearsal{phase: phase, commit: commit}
	for i, step := range steps {
		m := step.Migration
		if i > 0 && s.conn.IsClosed() {
			// The server ended the session after every reply to the last
			// migration's round trip (a shutdown sends its FATAL error
			// there): the next one was never sent.
			s.setCurrent(m.ID) // an atomic run reports the transaction's failure at it
			return nil, nil, fmt.Errorf("%s: %w", name, s.connLost(fmt.Errorf("the server ended the session after %s was rehearsed, before %s; the transaction was rolled back and nothing of it was applied", steps[i-1].ID(), m.ID)))
		}
		s.setCurrent(m.ID)
		began := s.startMigration(name, step)
		r, me, err := s.rehearse(ctx, step, rh)
		if err != nil {
			s.endMigration(step, false, began)
			return nil, nil, err
		}
		if me != nil && me.SQLState == sqlstateLockNotAvailable && !final {
			s.endMigration(step, false, began) // the rehearsal starts over
			return nil, me, nil
		}
		if r.Status != StatusSkipped {
			r.SideEffects = s.sideEffects(m, r.Error)
		}
		if commit && r.Status == StatusSkipped {
			// Segments never hold what one transaction cannot run; should
			// one, it must not commit without it.
			r.Status = StatusFailed
			r.Error = &MigrationError{ID: m.ID, File: m.Path, Message: "cannot run in the atomic transaction: " + r.Notice, Attempts: 1,
				Hint: "run without --atomic"}
		}
		if r.Status == StatusFailed {
			rep.OK = false
			if len(rh.skipped) > 0 && r.Error != nil && r.Error.Hint == "" {
				r.Error.Hint = fmt.Sprintf("preflight did not rehearse %s; if this failure comes from that, apply them first, or rehearse transaction: false ones on a disposable database (preflight --ephemeral)", strings.Join(rh.skipped, ", "))
			}
		}
		rep.Migrations = append(rep.Migrations, r)
		s.ev.finished(m.ID, r.Status, time.Since(began))
		s.logPreflight(name, r)
	}
	open = false
	if commit && rep.OK {
		me, err := s.commitSegment(ctx, steps, rh)
		if err != nil {
			return nil, nil, err
		}
		committed = me == nil
		if me != nil {
			last := &rep.Migrations[len(rep.Migrations)-1]
			last.Status, last.Error = StatusFailed, me
			rep.OK = false
			s.logPreflight(name, *last)
		}
		return rep, nil, nil
	}
	if _, err := s.conn.Exec(ctx, "ROLLBACK"); err != nil {
		return nil, nil, fmt.Errorf("%s: roll back: %w", name, s.connLost(err))
	}
	return rep, nil, nil
}

// sideEffects notes, for a rehearsed migration, the calls its rehearsal
// ran whose effect the rollback does not undo (setval, nextval, dblink,
// …): every statement's when it passed, those up to the failing one when
// it failed (fail). See docs/executing.md.
func (s *Session) sideEffects(m *migration.Migration, fail *MigrationError) []string {
	stmts, ok := s.parsed[m.ID]
	if !ok {
		return nil // the file did not parse: nothing ran
	}
	effects := annotate.SideEffectsIn(string(m.SQL), annotate.FromSplit(stmts))
	if len(effects) == 0 {
		return nil
	}
	var notes []string
	for _, e := range effects {
		if fail != nil && fail.Statement > 0 && e.Statement > fail.Statement {
			continue // did not run before the failure
		}
		notes = append(notes, fmt.Sprintf("statement %d (line %d): %s", e.Statement, e.Line, e.Func))
	}
	return notes
}

func (s *Session) logPreflight(name string, r MigrationReport) {
	switch r.Status {
	case StatusOK:
		if r.Notice != "" {
			s.log.printf("%s: %s ok (%dms; %s)", name, r.ID, r.DurationMS, r.Notice)
		} else if !s.ev.on() { // Options.Events reports it
			s.log.printf("%s: %s ok (%dms)", name, r.ID, r.DurationMS)
		}
	case StatusSkipped:
		s.log.printf("%s: %s skipped: %s", name, r.ID, r.Notice)
	case StatusFailed:
		s.log.printf("%s: %s FAILED: %s", name, r.ID, r.Error)
	}
	if name == passName(true) {
		return // committed when its transaction passes; the failure says what a rollback left
	}
	for _, e := range r.SideEffects {
		s.log.printf("%s: warning: %s: %s: a rollback does not undo it", name, r.ID, e)
	}
}

// Savepoint names; a migration's own savepoints would need these exact
// names to interfere.
const (
	spMigration = "safemigrate_preflight"
	spCheck     = "safemigrate_deferred_check"
)

// rehearsal is what the rehearsal of one migration needs to know about
// the ones before it.
type rehearsal struct {
	phase string
	// commit is set in an atomic segment: the transaction commits, so
	// each tracking row measures its own migration, not the transaction.
	commit bool
	// pending are commands that travel with the next batch (the release
	// of the previous migration's savepoint, the session reset).
	pending []string
	// skipped lists the migrations not rehearsed, "ID (why)".
	skipped []string
	// enumAdders are the migrations rehearsed so far that add an enum
	// value (ALTER TYPE … ADD VALUE).
	enumAdders []string
	// ran counts the migrations rehearsed so far in this transaction
	// without an error: one of them may have added an enum value in
	// dynamic SQL, which enumAdders cannot show.
	ran int
}

// undone says what a failure that stops the rehearsal left undone.
func (rh *rehearsal) undone() string {
	if rh.commit {
		return "its atomic transaction was rolled back and nothing of it was applied"
	}
	return "the rehearsal was rolled back and nothing was applied"
}

func (rh *rehearsal) skip(r *MigrationReport, why, notice string) {
	r.Status, r.Notice = StatusSkipped, notice
	rh.skipped = append(rh.skipped, r.ID+" ("+why+")")
}

// rehearse runs one migration inside the preflight transaction. err is
// set only when the rehearsal cannot go on (connection lost).
//
// The release of the previous migration's savepoint (rh.pending), the
// migration's savepoint, timeouts, statements and the deferred constraint
// check travel as one batch, and the batch's results say which command
// failed; the tracking row is part of the batch, with bind parameters. With
// Options.Trace the statements go one by one instead, each followed by a
// read of relations and locks.
func (s *Session) rehearse(ctx context.Context, step planner.Step, rh *rehearsal) (MigrationReport, *MigrationError, error) {
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
			rh.skip(&r, "transaction: false", "transaction: false: not rehearsed on the target (its statements cannot run in a transaction); it runs statement by statement when applied")
			return r, nil, nil
		}
		eq, notes, err := equivalents(u.stmts)
		if err != nil {
			rh.skip(&r, "transaction: false", "transaction: false: "+err.Error())
			return r, nil, nil
		}
		stmts = eq
		r.Notice = "transaction: false: rehearsed with transactional equivalents"
		if len(notes) > 0 {
			r.Notice += " (" + strings.Join(notes, "; ") + ")"
		}
	}
	var b batch
	b.own(rh.pending...)
	rh.pending = nil
	b.own("SAVEPOINT " + spMigration)
	since := ""
	if rh.commit {
		b.own(markStart)
		since = sinceMark
	}
	b.own(u.timeouts(true)...)
	for i, st := range stmts {
		if st.SQL != "" { // "": a statement without equivalent, skipped in rehearsal
			b.add(st.SQL, i+1, "")
		}
	}
	// Apply records the migration in the same transaction, after its
	// statements, as whatever role they left the session in.
	s.addRecord(&b, m, rh.phase, since)
	s.addLockCheck(&b)
	// Surface deferred constraint violations as a commit would, and leave
	// no trigger event pending for the next migration (see fireDeferred).
	// The check of ALL constraints is a safety net for those fireDeferred
	// cannot name; it is undone with its subtransaction so that later
	// migrations' constraints keep their declared mode.
	b.add(fireDeferred, 0, roleCheck)
	b.own("SAVEPOINT " + spCheck)
	b.add("SET CONSTRAINTS ALL IMMEDIATE", 0, roleCheck)
	b.own("ROLLBACK TO SAVEPOINT "+spCheck, "RELEASE SAVEPOINT "+spCheck)
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
		rh.pending = append([]string{"RELEASE SAVEPOINT " + spMigration}, s.resetSession()...)
		if addsEnumValue(u.stmts) {
			rh.enumAdders = append(rh.enumAdders, m.ID)
		}
		rh.ran++
		return r, nil, nil
	}
	me = s.fail(u, cmd.stmt, err, blockers)
	switch {
	case cmd.stmt > 0:
		atPosition(me, err, cmd.start, stmts[cmd.stmt-1])
	case cmd.role == roleCheck:
		me.Context = "deferred constraint check at the end of the migration"
	case cmd.role == roleRecord:
		me.Context = "recording it in " + MigrationsTable + " (rehearsed as apply records it)"
		s.explainRecord(me, u)
	case cmd.role == roleTrace:
		me.Context = "reading relations and locks for the trace"
		return r, me, fmt.Errorf("preflight: %w", me)
	case cmd.role == roleLockCheck:
		// Without the lock the run cannot go on: not even to rehearse
		// the next migration.
		if lockCheckFailed(err) {
			s.lockReleased(me, rh.undone())
		} else {
			me.Context = lockCheckContext
		}
		return r, me, fmt.Errorf("%s: %w", passName(rh.commit), me)
	default:
		// The savepoint, timeouts and releases cannot fail on a healthy
		// session: this is the rehearsal's problem, not the migration's.
		return r, me, fmt.Errorf("preflight: %w", me)
	}
	if s.conn.IsClosed() || ctx.Err() != nil {
		me.Hint = "the rehearsal was rolled back and nothing was applied; run again"
		if rh.commit {
			me.Hint = "its atomic transaction was rolled back; run again"
		}
		return r, me, fmt.Errorf("preflight: %w", me)
	}
	if err := rollback(); err != nil {
		return r, me, err
	}
	// The failure skipped the lock check at the end of the batch: had the
	// migration released the lock before failing, the next one would be
	// blamed for it.
	if err := s.checkLock(ctx); err != nil {
		if !errors.Is(err, errLockReleased) {
			return r, me, fmt.Errorf("%s: %w", passName(rh.commit), err)
		}
		failed := me
		me = &MigrationError{ID: m.ID, File: m.Path, Attempts: 1}
		s.lockReleased(me, rh.undone())
		me.Detail = "it also failed: " + failureText(failed)
		r.Status, r.Error = StatusFailed, me
		return r, me, fmt.Errorf("%s: %w", passName(rh.commit), me)
	}
	if cmd.stmt > 0 && me.SQLState == sqlstateActiveSQLTxn && !m.Directives.Transaction {
		// No transactional equivalent for this statement.
		rh.skip(&r, "transaction: false", fmt.Sprintf("transaction: false: statement %d (line %d) cannot be rehearsed in a transaction", cmd.stmt, me.Line))
		return r, nil, nil
	}
	if !rh.commit && cmd.stmt > 0 && me.SQLState == sqlstateUnsafeNewEnumValue && rh.ran > 0 && !addsEnumValue(u.stmts[:cmd.stmt-1]) {
		// The value was added by an earlier migration of this run, in
		// the same transaction (by name, or in dynamic SQL the analysis
		// cannot read); applied, that migration commits first. (A
		// migration that adds a value itself before the failing
		// statement fails on apply too when it uses its own value: that
		// stays a failure.) An atomic run splits its transaction here
		// instead ([Session.ApplyAtomic]).
		by := "an earlier migration of this run (in dynamic SQL)"
		if len(rh.enumAdders) > 0 {
			by = strings.Join(rh.enumAdders, ", ") + " earlier in this run"
		}
		rh.skip(&r, "uses an enum value added earlier in this run", fmt.Sprintf(
			"statement %d (line %d) uses an enum value added by %s: one transaction cannot rehearse it; it runs in its own transaction on apply",
			cmd.stmt, me.Line, by))
		return r, nil, nil
	}
	r.Status, r.Error = StatusFailed, me
	return r, me, nil
}

// fireDeferred fires the trigger events a migration left pending (the
// checks of DEFERRABLE INITIALLY DEFERRED foreign keys and constraint
// triggers), as the migration's COMMIT would, and keeps them fired: a
// later migration that alters such a table would otherwise fail with
// "pending trigger events", which apply, committing each migration on its
// own, never sees. `SET CONSTRAINTS ALL IMMEDIATE` would fire them too but
// make every deferrable constraint immediate for the rest of the
// transaction, constraints created later included, and nothing but a
// rollback (which un-fires the events) undoes an ALL. So the constraints
// are named: every deferrable one is set IMMEDIATE (firing its events),
// then those declared INITIALLY DEFERRED are set DEFERRED again, which
// leaves each in its declared mode, as a new transaction would have it.
//
// SET CONSTRAINTS resolves a schema-qualified name to every constraint of
// that name in the schema; names shared with a NOT DEFERRABLE constraint
// are left out (the statement would fail), and a name shared by
// constraints declared differently stays IMMEDIATE. The names are quoted
// by the server (format's %I) and never leave it. It returns at once when
// no trigger is deferrable (formatting every constraint's name after
// every migration made a long atomic segment measurably slower, and
// scanning pg_constraint for deferrable ones a fleet of many tenants).
const fireDeferred = `DO $safemigrate$
DECLARE
	immediate text;
	deferred text;
BEGIN
	-- The common case, and a cheap one: nothing deferrable at all. Only a
	-- deferrable trigger (a deferrable foreign key's, unique or exclusion
	-- constraint's, a constraint trigger) can leave an event pending or
	-- be switched by SET CONSTRAINTS; pg_trigger holds none for primary
	-- keys, and a database of many tenants has thousands of those in
	-- pg_constraint.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgdeferrable) THEN
		RETURN;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', nspname, conname), ', '),
	       pg_catalog.string_agg(pg_catalog.format('%I.%I', nspname, conname), ', ') FILTER (WHERE initially_deferred)
	  INTO immediate, deferred
	  FROM (SELECT n.nspname, c.conname, pg_catalog.bool_and(c.condeferred) AS initially_deferred
	          FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
	         WHERE NOT pg_catalog.pg_is_other_temp_schema(n.oid)
	         GROUP BY 1, 2
	        HAVING pg_catalog.bool_and(c.condeferrable)) d;
	IF immediate IS NOT NULL THEN
		EXECUTE 'SET CONSTRAINTS ' || immediate || ' IMMEDIATE';
	END IF;
	IF deferred IS NOT NULL THEN
		EXECUTE 'SET CONSTRAINTS ' || deferred || ' DEFERRED';
	END IF;
END
$safemigrate$`

// addsEnumValue reports whether one of stmts adds a value to an enum type.
func addsEnumValue(stmts []sqlparse.Statement) bool {
	for _, st := range stmts {
		if ae := st.Tree.As("AlterEnumStmt"); ae.Exists() && ae.S("newVal") != "" && ae.S("oldVal") == "" {
			return true
		}
	}
	return false
}

// recordSQL inserts the tracking row of a migration whose duration the
// client measured (transaction: false); its arguments come from
// [recordArgs]. Transactional migrations record theirs in their batch
// ([Session.addRecord]).
func (s *Session) recordSQL() string {
	return `INSERT INTO ` + s.names.migrations + ` (id, checksum, safe, phase, duration_ms, transactional) VALUES ($1, $2, $3, $4, $5, $6)`
}

func (s *Session) recordArgs(m *migration.Migration, phase string, took time.Duration) []any {
	return []any{m.ID, m.Checksum, string(m.Safe()), phase, took.Milliseconds(), m.Directives.Transaction}
}

// explainRecord points a failed tracking row at the statement that made
// it fail, when there is one: a role change that may not write the
// tracking table, or a statement that drops the tracking tables.
func (s *Session) explainRecord(me *MigrationError, u *unit) {
	at := func(i int, hint string) {
		me.Line = u.stmts[i].Line
		me.Hint = fmt.Sprintf("statement %d (line %d) %s", i+1, u.stmts[i].Line, hint)
	}
	for i := len(u.stmts) - 1; i >= 0; i-- {
		n := u.stmts[i].Tree
		switch me.SQLState {
		case sqlstateInsufficientPrivilege:
			if vs := n.As("VariableSetStmt"); vs.Is("name", "role") || vs.Is("name", "session_authorization") {
				at(i, "changes the role (SET ROLE / SET SESSION AUTHORIZATION), and the migration's tracking row is written in its transaction, as that role; "+
					"end the migration with RESET ROLE (or RESET SESSION AUTHORIZATION), or grant that role INSERT on "+s.names.migrations)
				return
			}
		case sqlstateUndefinedTable, sqlstateInvalidSchemaName:
			if dropsTracking(n.As("DropStmt"), s.names.schema) {
				at(i, fmt.Sprintf("drops the tracking tables (schema %q), so the migration could not be recorded and apply would fail after running it; "+
					"leave the tracking schema out of the migration, or keep the tracking tables in a schema of their own (config tracking_schema)", s.names.schema))
				return
			}
		}
	}
}

// dropsTracking reports whether d, a DropStmt, drops the tracking schema
// or one of the tracking tables.
func dropsTracking(d annotate.Node, schema string) bool {
	for _, o := range d.A("objects") {
		switch {
		case d.Is("removeType", "OBJECT_SCHEMA"):
			if o.Sval() == schema {
				return true
			}
		case d.Is("removeType", "OBJECT_TABLE"):
			if items := o.As("List").A("items"); len(items) > 0 {
				switch items[len(items)-1].Sval() {
				case MigrationsTable, DetectedTable, ProgressTable:
					return true
				}
			}
		}
	}
	return false
}
