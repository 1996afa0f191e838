package executor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/planner"
)

// applyNonTx applies a `transaction: false` migration: its statements one
// by one in autocommit, recording progress in safemigrate_progress after
// each, so that a rerun resumes at the statement that failed (from the
// start when a completed statement changed since). A failed CREATE INDEX CONCURRENTLY
// leaves no INVALID index behind: it is dropped concurrently.
func (s *Session) applyNonTx(ctx context.Context, step planner.Step, phase string) error {
	m := step.Migration
	u, me := s.unit(m)
	if me != nil {
		return me
	}
	// A transactional migration before this one may have left SET ROLE
	// (or SET SESSION AUTHORIZATION) behind: this migration's statements,
	// and the progress table when this creates it, are the connecting
	// role's, as every migration's are.
	if err := s.bounded(ctx, u, s.resetToConnecting); err != nil {
		return s.fail(u, 0, err, nil)
	}
	if err := s.bounded(ctx, u, s.ensureProgress); err != nil {
		return s.fail(u, 0, err, nil)
	}
	var done int
	var recorded bool
	err := s.bounded(ctx, u, func(ctx context.Context) (err error) {
		done, recorded, err = s.resumePoint(ctx, u)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.bounded(ctx, u, s.ensureStartedColumns); err != nil {
		return s.fail(u, 0, err, nil)
	}
	if err := s.bounded(ctx, u, func(ctx context.Context) error {
		_, err := s.conn.Exec(ctx, strings.Join(u.timeouts(false), "; "))
		return err
	}); err != nil {
		return s.fail(u, 0, err, nil)
	}
	defer func() {
		if !s.conn.IsClosed() {
			_ = s.bounded(context.WithoutCancel(ctx), u, s.resetToConnecting)
		}
	}()
	start := time.Now()
	for i := done; i < len(u.stmts); i++ {
		// An earlier run recorded that it got this far and stopped here:
		// it may have died in the middle of this statement.
		interrupted := recorded && i == done
		if err := s.runNonTxStatement(ctx, u, i, interrupted); err != nil {
			var me *MigrationError
			if errors.As(err, &me) && !s.conn.IsClosed() {
				if perr := s.saveProgress(ctx, u, i, me.Message); perr != nil {
					s.log.printf("warning: %s: %v", m.ID, perr)
				}
			}
			return err
		}
		if err := s.saveProgress(ctx, u, i+1, ""); err != nil {
			me := s.fail(u, 0, err, nil)
			if errors.Is(err, errLockReleased) {
				undone := fmt.Sprintf("transaction: false: statements 1 to %d ran and stay applied; the next run resumes at statement %d", i+1, i+2)
				if i+1 == len(u.stmts) {
					undone = "transaction: false: its statements ran and stay applied; the next run records it"
				}
				return s.lockReleased(me, undone)
			}
			me.Context = fmt.Sprintf("recording progress after statement %d (which completed)", i+1)
			ran := "statement 1 ran and stays applied"
			if i > 0 {
				ran = fmt.Sprintf("statements 1 to %d ran and stay applied", i+1)
			}
			me.Hint = fmt.Sprintf("transaction: false: %s; unless the progress of statement %d was recorded, the next run runs it again (check with `safemigrate status`, and write such statements to be safe to repeat, e.g. IF NOT EXISTS)", ran, i+1)
			return me
		}
	}
	err = s.bounded(ctx, u, func(ctx context.Context) error {
		return s.asMigrator(ctx,
			query{s.recordSQL(), s.recordArgs(m, phase, time.Since(start))},
			query{`DELETE FROM ` + s.names.progress + ` WHERE id = $1`, []any{m.ID}})
	})
	var cu *commitUnknownError
	if errors.As(err, &cu) {
		// The tracking row commits with the migration's record: a new
		// connection tells, as for a transactional migration.
		switch committed, known := s.committed(ctx, m); {
		case committed:
			s.log.printf("applied %s (the reply to its record was lost; its tracking row shows it committed)", m.ID)
			return nil
		case !known:
			me := s.fail(u, 0, err, nil)
			me.Context = "recording it in " + MigrationsTable
			me.OutcomeUnknown = true
			me.Hint = "its statements ran; the connection was lost or ended by the server after its record was sent, and whether it was recorded could not be checked: run `safemigrate status` to see whether " + m.ID + " is applied; a rerun records it either way"
			return me
		}
	}
	if err != nil {
		me := s.fail(u, 0, err, nil)
		me.Context = "recording it in " + MigrationsTable
		me.Hint = "transaction: false: its statements ran and stay applied; the next run records it"
		return me
	}
	noun := "statements"
	if len(u.stmts) == 1 {
		noun = "statement"
	}
	s.log.printf("applied %s (%dms, %d %s outside a transaction)", m.ID, time.Since(start).Milliseconds(), len(u.stmts), noun)
	return nil
}

// resumePoint returns how many statements of u earlier runs completed,
// and whether an earlier run recorded progress at all.
// The recorded checksum covers the completed statements (see
// [doneChecksum]); rows of older versions hold the file's checksum. When
// the completed statements are unchanged the run resumes after them, also
// if the file changed further down (the usual fix of the failed
// statement); otherwise it starts over.
func (s *Session) resumePoint(ctx context.Context, u *unit) (int, bool, error) {
	var sum string
	var done int
	err := s.conn.QueryRow(ctx, `SELECT checksum, statements_done FROM `+s.names.progress+` WHERE id = $1`, u.m.ID).Scan(&sum, &done)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read progress of %s: %w", u.m.ID, s.connLost(err))
	case sum == u.m.Checksum && done > len(u.stmts):
		return len(u.stmts), true, nil
	case sum != u.m.Checksum && (done > len(u.stmts) || sum != doneChecksum(u, done)):
		s.log.printf("%s changed since its interrupted run, in the %d statement(s) that run completed; starting over at statement 1", u.m.ID, done)
		return 0, false, nil
	case done > 0:
		s.log.printf("resuming %s at statement %d of %d (statements 1-%d completed in an earlier run)", u.m.ID, done+1, len(u.stmts), done)
	}
	return done, true, nil
}

// doneChecksum identifies the text of the first done statements of u.
func doneChecksum(u *unit, done int) string {
	h := sha256.New()
	for _, st := range u.stmts[:done] {
		h.Write([]byte(st.SQL))
		h.Write([]byte{0})
	}
	return "statements:" + hex.EncodeToString(h.Sum(nil))
}

// saveProgress records that the first done statements of u completed,
// with the checksum of their text. A failure (lastError) keeps what
// [Session.saveStarted] recorded of the failed statement; a success
// clears it.
func (s *Session) saveProgress(ctx context.Context, u *unit, done int, lastError string) error {
	var le *string
	if lastError != "" {
		le = &lastError
	}
	err := s.bounded(ctx, u, func(ctx context.Context) error {
		return s.asMigrator(ctx, query{`
INSERT INTO ` + s.names.progress + ` AS p (id, checksum, statements_done, statements_total, last_error, updated_at)
VALUES ($1, $2, $3, $4, $5, clock_timestamp())
ON CONFLICT (id) DO UPDATE SET checksum = excluded.checksum, statements_done = excluded.statements_done,
	statements_total = excluded.statements_total, last_error = excluded.last_error, updated_at = excluded.updated_at,
	started_statement = CASE WHEN excluded.last_error IS NULL THEN NULL ELSE p.started_statement END,
	started_indexes = CASE WHEN excluded.last_error IS NULL THEN NULL ELSE p.started_indexes END`,
			[]any{u.m.ID, doneChecksum(u, done), done, len(u.stmts), le}})
	})
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", u.m.ID, s.connLost(err))
	}
	return nil
}

// runNonTxStatement runs statement i of u in autocommit, retrying after a
// lock timeout and cleaning up after a failed CREATE INDEX CONCURRENTLY.
// interrupted says that an earlier run stopped at this statement, maybe
// in the middle of it.
func (s *Session) runNonTxStatement(ctx context.Context, u *unit, i int, interrupted bool) error {
	st := u.stmts[i]
	s.ev.statement(u, i+1)
	cic := concurrentIndex(st)
	if cic != nil {
		if interrupted {
			// An earlier run stopped at this statement: it may have died
			// before the build, during it (an INVALID index), or after
			// the server finished it (a VALID index).
			built, err := s.resumeIndex(ctx, u, i, cic)
			if err != nil {
				return s.fail(u, i+1, err, nil)
			}
			if built {
				return nil
			}
		}
		// Record that this statement starts, with the indexes its table
		// has now: a rerun after a kill tells the index this statement
		// built (VALID or not) from an identical one that was there.
		if err := s.saveStarted(ctx, u, i, cic); err != nil {
			me := s.fail(u, 0, err, nil)
			me.Context = fmt.Sprintf("recording that statement %d starts", i+1)
			return me
		}
	}
	var seen []Blocker
	for attempt := 1; ; attempt++ {
		var before []indexName
		if cic != nil {
			var err error
			if before, err = s.invalidIndexes(ctx, u, cic); err != nil {
				return s.fail(u, i+1, err, nil)
			}
			// An INVALID index of the statement's name (left by a failed
			// build) would make it fail or, with IF NOT EXISTS, be kept:
			// drop it before building. Unnamed leftovers of an interrupted
			// run are resumeIndex's.
			kept := before[:0]
			for _, ix := range before {
				if !leftBy(st, ix, false) {
					kept = append(kept, ix)
					continue
				}
				s.log.printf("%s: dropping INVALID index %s left by an interrupted run", u.m.ID, ix)
				if err := s.dropIndex(ctx, u, ix); err != nil {
					return s.fail(u, i+1, err, nil)
				}
			}
			before = kept
		}
		blockers, err := s.exec(ctx, st.SQL, u)
		if err == nil {
			return nil
		}
		me := s.fail(u, i+1, err, blockers)
		atPosition(me, err, 0, st)
		me.Attempts = attempt
		if len(me.Blockers) > 0 {
			seen = me.Blockers
		} else if me.SQLState == sqlstateLockNotAvailable {
			me.Blockers = seen
		}
		if s.conn.IsClosed() {
			return me
		}
		if cic != nil {
			s.cleanupIndex(ctx, u, cic, before)
		}
		if me.SQLState != sqlstateLockNotAvailable || attempt > s.opts.LockRetries {
			return me
		}
		s.log.printf("%s: lock timeout at statement %d (%s); retrying in about %s (attempt %d of %d)",
			u.m.ID, i+1, describeBlockers(me.Blockers), s.opts.RetryBackoff<<(attempt-1), attempt+1, s.opts.LockRetries+1)
		if err := s.backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// cicIndex is what a CREATE INDEX CONCURRENTLY names: its table and the
// index ("" when the server chooses the name).
type cicIndex struct{ schema, table, name string }

// concurrentIndex returns the statement's CREATE INDEX CONCURRENTLY, or nil.
func concurrentIndex(st sqlparse.Statement) *cicIndex {
	ix := st.Tree.As("IndexStmt")
	rel := ix.Get("relation")
	if !ix.B("concurrent") || !rel.Exists() {
		return nil
	}
	return &cicIndex{schema: rel.S("schemaname"), table: rel.S("relname"), name: ix.S("idxname")}
}

// indexName is a schema-qualified index name, with the index's
// definition (pg_get_indexdef).
type indexName struct{ schema, name, def string }

func (ix indexName) String() string { return pgx.Identifier{ix.schema, ix.name}.Sanitize() }

// invalidIndexes lists the INVALID indexes of the table ix is built on.
func (s *Session) invalidIndexes(ctx context.Context, u *unit, ix *cicIndex) (idxs []indexName, err error) {
	table := pgx.Identifier{ix.table}
	if ix.schema != "" {
		table = pgx.Identifier{ix.schema, ix.table}
	}
	err = s.bounded(ctx, u, func(ctx context.Context) error {
		rows, err := s.conn.Query(ctx, `
SELECT n.nspname, c.relname, pg_catalog.pg_get_indexdef(c.oid)
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE i.indrelid = pg_catalog.to_regclass($1) AND NOT i.indisvalid
 ORDER BY 1, 2`, table.Sanitize())
		if err != nil {
			return err
		}
		idxs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexName, error) {
			var n indexName
			err := r.Scan(&n.schema, &n.name, &n.def)
			return n, err
		})
		return err
	})
	return idxs, err
}

// leftBy reports whether the INVALID index ix is what an interrupted run
// of the CREATE INDEX CONCURRENTLY stmt left behind. Named, the index has
// its name. Unnamed, the server chose the name (big_v_idx, or big_v_idx1
// when that was taken), so it is recognised by its definition instead,
// and only when interrupted says the statement ran and was cut short: the
// same access method, columns, expressions, predicate and options on the
// same table (the caller lists the table's indexes only). A definition
// the server spells differently from the file (casts it adds to an
// expression) does not match: such an index is left alone, and never a
// VALID one.
func leftBy(stmt sqlparse.Statement, ix indexName, interrupted bool) bool {
	if name := concurrentIndex(stmt).name; name != "" {
		return ix.name == name
	}
	if !interrupted {
		return false
	}
	a, errA := sqlparse.IndexShape(stmt.SQL)
	b, errB := sqlparse.IndexShape(ix.def)
	return errA == nil && errB == nil && a == b
}

// cleanupIndex drops the INVALID indexes a failed CREATE INDEX
// CONCURRENTLY left: the named one, or (unnamed) every INVALID index of
// the table that was not there before.
func (s *Session) cleanupIndex(ctx context.Context, u *unit, ix *cicIndex, before []indexName) {
	ctx = context.WithoutCancel(ctx)
	after, err := s.invalidIndexes(ctx, u, ix)
	if err != nil {
		s.log.printf("warning: %s: cannot look for an INVALID index left by the failed statement: %v", u.m.ID, s.connLost(err))
		return
	}
	for _, n := range after {
		if slices.Contains(before, n) || (ix.name != "" && n.name != ix.name) {
			continue
		}
		if err := s.dropIndex(ctx, u, n); err != nil {
			s.log.printf("warning: %s: the failed CREATE INDEX CONCURRENTLY left INVALID index %s and dropping it failed: %v; drop it with DROP INDEX CONCURRENTLY IF EXISTS %s", u.m.ID, n, err, n)
			continue
		}
		s.log.printf("%s: dropped INVALID index %s left by the failed CREATE INDEX CONCURRENTLY", u.m.ID, n)
	}
}

func (s *Session) dropIndex(ctx context.Context, u *unit, n indexName) error {
	err := s.bounded(ctx, u, func(ctx context.Context) error {
		_, err := s.conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+n.String())
		return err
	})
	if err != nil {
		return s.connLost(err)
	}
	return nil
}

// bounded runs f, one of the run's own round trips (reading and writing
// progress, the catalog, dropping an INVALID index), with the client-side
// deadline or the stall detection of a migration's round trip (see
// [Session.roundTrip]): a network that stops carrying the session's
// traffic ends the run with a [StalledError] instead of hanging it.
func (s *Session) bounded(ctx context.Context, u *unit, f func(context.Context) error) error {
	rctx, finish := s.roundTrip(ctx, u, 1)
	return finish(f(rctx))
}

// equivalents returns the statements of a `transaction: false` migration
// rewritten to run inside a transaction for rehearsal: CREATE INDEX
// CONCURRENTLY → CREATE INDEX, DROP INDEX CONCURRENTLY → DROP INDEX,
// REINDEX … CONCURRENTLY → REINDEX, DETACH PARTITION … CONCURRENTLY →
// DETACH PARTITION. VACUUM has no effect worth rehearsing and is left out
// (its SQL is set to ""). Other statements are kept as written. notes
// describe what was changed.
func equivalents(stmts []sqlparse.Statement) (out []sqlparse.Statement, notes []string, err error) {
	out = make([]sqlparse.Statement, len(stmts))
	for i, st := range stmts {
		out[i] = st
		if st.Tree.As("VacuumStmt").Exists() {
			out[i].SQL = ""
			notes = append(notes, fmt.Sprintf("statement %d (VACUUM/ANALYZE) left out", i+1))
			continue
		}
		if !concurrently(st.Tree) {
			continue
		}
		sql, changed, err := sqlparse.WithoutConcurrently(st.SQL)
		if err != nil {
			return nil, nil, fmt.Errorf("statement %d cannot be rewritten for rehearsal: %v", i+1, err)
		}
		if !changed {
			continue
		}
		out[i].SQL = sql
		notes = append(notes, fmt.Sprintf("statement %d without CONCURRENTLY", i+1))
	}
	return out, notes, nil
}

// concurrently reports whether the statement tree n has a CONCURRENTLY
// that [sqlparse.WithoutConcurrently] takes out: only those statements
// are parsed again, for their rewrite.
func concurrently(n sqlparse.Node) bool {
	if n.As("IndexStmt").B("concurrent") || n.As("DropStmt").B("concurrent") {
		return true
	}
	for _, p := range n.As("ReindexStmt").A("params") {
		if p.As("DefElem").Is("defname", "concurrently") {
			return true
		}
	}
	for _, c := range n.As("AlterTableStmt").A("cmds") {
		if c.As("AlterTableCmd").Get("def").As("PartitionCmd").B("concurrent") {
			return true
		}
	}
	return false
}

// query is one SQL command and its bind parameters.
type query struct {
	sql  string
	args []any
}

// asMigrator runs qs in a transaction of their own, in one round trip, as
// the role safemigrate connected as: a transaction: false migration may
// have changed the role (SET ROLE, SET SESSION AUTHORIZATION) for its
// statements, and that role need not be allowed to write the tracking
// tables. SET LOCAL ends with the transaction, so the migration's next
// statement runs as the migration left it.
func (s *Session) asMigrator(ctx context.Context, qs ...query) error {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SET LOCAL SESSION AUTHORIZATION DEFAULT")
	b.Queue("SET LOCAL ROLE NONE")
	for _, q := range qs {
		b.Queue(q.sql, q.args...)
	}
	b.Queue("COMMIT")
	commitAt := b.Len() - 1
	// After each statement of a transaction: false migration: is the
	// migration lock still held? (see lockHeldSQL; the progress committed
	// above stays, the next statement does not run.)
	check := s.locked
	if check {
		s.setChecking(true) // its warning comes with the last result
		defer s.setChecking(false)
		b.Queue(lockHeldSQL, s.lockKey)
	}
	br := s.conn.SendBatch(ctx, b)
	var err error
	at := 0 // the command that failed; b.Len() for the Sync
	for ; at < b.Len(); at++ {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	role := ""
	if at == commitAt {
		role = roleCommit
	}
	switch {
	case err == nil:
		return nil
	case check && at == b.Len()-1 && lockCheckFailed(err):
		return errLockReleased
	case at > commitAt:
		// COMMIT's reply came: qs committed, and the session ended after
		// (the next use finds it closed).
		return nil
	case mayHaveCommitted(err, role):
		return &commitUnknownError{err}
	}
	if !s.conn.IsClosed() && s.conn.PgConn().TxStatus() != 'I' {
		_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	return err
}

// commitUnknownError is a failure of [Session.asMigrator] after its
// COMMIT was sent, without a reply that tells whether it committed.
type commitUnknownError struct{ err error }

func (e *commitUnknownError) Error() string { return e.err.Error() }
func (e *commitUnknownError) Unwrap() error { return e.err }

// ensureStartedColumns adds the columns [Session.saveStarted] writes to a
// safemigrate_progress table created before they existed (nullable, no
// default: no rewrite). The run holds the migration lock; the ALTER runs
// only when a column is missing.
func (s *Session) ensureStartedColumns(ctx context.Context) error {
	var n int
	err := s.conn.QueryRow(ctx, `
SELECT pg_catalog.count(*)::int FROM pg_catalog.pg_attribute
 WHERE attrelid = pg_catalog.to_regclass($1) AND attname IN ('started_statement', 'started_indexes') AND NOT attisdropped`,
		s.names.progress).Scan(&n)
	if err != nil {
		return fmt.Errorf("read the columns of %s: %w", s.names.progress, s.connLost(err))
	}
	if n == 2 {
		return nil
	}
	_, err = s.conn.Exec(ctx, `ALTER TABLE `+s.names.progress+
		` ADD COLUMN IF NOT EXISTS started_statement text, ADD COLUMN IF NOT EXISTS started_indexes oid[]`)
	if err != nil {
		return fmt.Errorf("add the started_statement and started_indexes columns to %s: %w", s.names.progress, s.connLost(err))
	}
	return nil
}

// statementChecksum identifies the text of statement i of u, and its
// position.
func statementChecksum(u *unit, i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", i, u.stmts[i].SQL)))
	return hex.EncodeToString(h[:])
}

// saveStarted records that statement i of u (a CREATE INDEX
// CONCURRENTLY) starts: statements_done is i, started_statement its
// checksum and started_indexes the OIDs of the indexes its table has now.
func (s *Session) saveStarted(ctx context.Context, u *unit, i int, ix *cicIndex) error {
	idxs, err := s.tableIndexes(ctx, u, ix)
	if err != nil {
		return fmt.Errorf("list the indexes of %s: %w", ix.table, s.connLost(err))
	}
	oids := make([]uint32, len(idxs))
	for k, n := range idxs {
		oids[k] = n.oid
	}
	err = s.bounded(ctx, u, func(ctx context.Context) error {
		return s.asMigrator(ctx, query{`
INSERT INTO ` + s.names.progress + ` AS p (id, checksum, statements_done, statements_total, updated_at, started_statement, started_indexes)
VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6)
ON CONFLICT (id) DO UPDATE SET checksum = excluded.checksum, statements_done = excluded.statements_done,
	statements_total = excluded.statements_total, last_error = NULL, updated_at = excluded.updated_at,
	started_statement = excluded.started_statement, started_indexes = excluded.started_indexes`,
			[]any{u.m.ID, doneChecksum(u, i), i, len(u.stmts), statementChecksum(u, i), oids}})
	})
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", u.m.ID, s.connLost(err))
	}
	return nil
}

// tableIndex is an index of the table a CREATE INDEX CONCURRENTLY builds
// on.
type tableIndex struct {
	indexName
	oid   uint32
	valid bool
}

// tableIndexes lists the indexes of the table ix is built on, resolved
// as the statement resolves it (the session's search_path): in a tenant's
// run, the tenant's table. Indexes live in their table's schema.
func (s *Session) tableIndexes(ctx context.Context, u *unit, ix *cicIndex) (idxs []tableIndex, err error) {
	table := pgx.Identifier{ix.table}
	if ix.schema != "" {
		table = pgx.Identifier{ix.schema, ix.table}
	}
	err = s.bounded(ctx, u, func(ctx context.Context) error {
		rows, err := s.conn.Query(ctx, `
SELECT n.nspname, c.relname, pg_catalog.pg_get_indexdef(c.oid), c.oid, i.indisvalid
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE i.indrelid = pg_catalog.to_regclass($1)
 ORDER BY 1, 2`, table.Sanitize())
		if err != nil {
			return err
		}
		idxs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (tableIndex, error) {
			var n tableIndex
			err := r.Scan(&n.schema, &n.name, &n.def, &n.oid, &n.valid)
			return n, err
		})
		return err
	})
	return idxs, err
}

// resumeIndex looks, before statement i of u (a CREATE INDEX
// CONCURRENTLY) runs again after an earlier run stopped at it, for the
// index that run's build left. The statement's index is the one of its
// name (named) or of its definition (unnamed) that was not on the table
// when the statement started (the started_indexes the run recorded).
// VALID with the statement's definition, the server finished the build
// after or just before the run died: the statement is done (built is
// true). INVALID, it is dropped so that the statement builds it again.
//
// A progress row without started_indexes (written by an older version,
// or after the statement before completed) cannot tell a pre-existing
// identical index from the statement's: a named INVALID or VALID index
// is still the statement's (the statement would fail on it otherwise);
// unnamed, only an INVALID one of the same definition is dropped, as
// older versions did, and a VALID one is left alone.
func (s *Session) resumeIndex(ctx context.Context, u *unit, i int, ix *cicIndex) (built bool, err error) {
	st := u.stmts[i]
	var stmtSum *string
	var before []uint32
	err = s.bounded(ctx, u, func(ctx context.Context) error {
		return s.conn.QueryRow(ctx, `SELECT started_statement, started_indexes FROM `+s.names.progress+` WHERE id = $1`, u.m.ID).Scan(&stmtSum, &before)
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("read progress of %s: %w", u.m.ID, s.connLost(err))
	}
	known := stmtSum != nil && *stmtSum == statementChecksum(u, i) && before != nil
	idxs, err := s.tableIndexes(ctx, u, ix)
	if err != nil {
		return false, fmt.Errorf("list the indexes of %s: %w", ix.table, s.connLost(err))
	}
	shape, shapeErr := sqlparse.IndexShape(st.SQL)
	for _, n := range idxs {
		if known && slices.Contains(before, n.oid) {
			continue
		}
		sameDef := false
		if shapeErr == nil {
			if d, err := sqlparse.IndexShape(n.def); err == nil && d == shape {
				sameDef = true
			}
		}
		named := ix.name != ""
		switch {
		case named && n.name != ix.name, !named && !sameDef:
			continue
		case n.valid && sameDef && (known || named):
			s.log.printf("%s: statement %d already built index %s (VALID) before the interrupted run stopped; recorded as done", u.m.ID, i+1, n)
			return true, nil
		case !n.valid:
			s.log.printf("%s: dropping INVALID index %s left by an interrupted run", u.m.ID, n)
			if err := s.dropIndex(ctx, u, n.indexName); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}
