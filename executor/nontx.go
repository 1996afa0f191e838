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
	done, recorded, err := s.resumePoint(ctx, u)
	if err != nil {
		return err
	}
	if _, err := s.conn.Exec(ctx, strings.Join(u.timeouts(false), "; ")); err != nil {
		return s.fail(u, 0, err, nil)
	}
	defer func() {
		if !s.conn.IsClosed() {
			_, _ = s.conn.Exec(context.WithoutCancel(ctx), strings.Join(s.resetSession(), "; "))
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
			me.Context = fmt.Sprintf("recording progress after statement %d (which completed)", i+1)
			return me
		}
	}
	err = pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.recordSQL(), s.recordArgs(m, phase, time.Since(start))...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+s.names.progress+` WHERE id = $1`, m.ID)
		return err
	})
	if err != nil {
		me := s.fail(u, 0, err, nil)
		me.Context = "recording it in " + MigrationsTable
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
// with the checksum of their text.
func (s *Session) saveProgress(ctx context.Context, u *unit, done int, lastError string) error {
	var le *string
	if lastError != "" {
		le = &lastError
	}
	_, err := s.conn.Exec(ctx, `
INSERT INTO `+s.names.progress+` AS p (id, checksum, statements_done, statements_total, last_error, updated_at)
VALUES ($1, $2, $3, $4, $5, clock_timestamp())
ON CONFLICT (id) DO UPDATE SET checksum = excluded.checksum, statements_done = excluded.statements_done,
	statements_total = excluded.statements_total, last_error = excluded.last_error, updated_at = excluded.updated_at`,
		u.m.ID, doneChecksum(u, done), done, len(u.stmts), le)
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
	if cic != nil && !interrupted {
		// Record that this statement starts: a run killed while it builds
		// leaves an INVALID index, which the rerun may only take for this
		// statement's when it knows the statement ran.
		if err := s.saveProgress(ctx, u, i, ""); err != nil {
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
			if before, err = s.invalidIndexes(ctx, cic); err != nil {
				return s.fail(u, i+1, err, nil)
			}
			// An earlier run killed in the middle of this statement left
			// its INVALID index behind: drop it before building again.
			// Named, it has the statement's name; unnamed, the name the
			// server chose, found by the index's definition.
			kept := before[:0]
			for _, ix := range before {
				if !leftBy(st, ix, interrupted && attempt == 1) {
					kept = append(kept, ix)
					continue
				}
				s.log.printf("%s: dropping INVALID index %s left by an interrupted run", u.m.ID, ix)
				if err := s.dropIndex(ctx, ix); err != nil {
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
func (s *Session) invalidIndexes(ctx context.Context, ix *cicIndex) ([]indexName, error) {
	table := pgx.Identifier{ix.table}
	if ix.schema != "" {
		table = pgx.Identifier{ix.schema, ix.table}
	}
	rows, err := s.conn.Query(ctx, `
SELECT n.nspname, c.relname, pg_catalog.pg_get_indexdef(c.oid)
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE i.indrelid = pg_catalog.to_regclass($1) AND NOT i.indisvalid
 ORDER BY 1, 2`, table.Sanitize())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexName, error) {
		var n indexName
		err := r.Scan(&n.schema, &n.name, &n.def)
		return n, err
	})
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
	after, err := s.invalidIndexes(ctx, ix)
	if err != nil {
		s.log.printf("warning: %s: cannot look for an INVALID index left by the failed statement: %v", u.m.ID, s.connLost(err))
		return
	}
	for _, n := range after {
		if slices.Contains(before, n) || (ix.name != "" && n.name != ix.name) {
			continue
		}
		if err := s.dropIndex(ctx, n); err != nil {
			s.log.printf("warning: %s: the failed CREATE INDEX CONCURRENTLY left INVALID index %s and dropping it failed: %v; drop it with DROP INDEX CONCURRENTLY IF EXISTS %s", u.m.ID, n, err, n)
			continue
		}
		s.log.printf("%s: dropped INVALID index %s left by the failed CREATE INDEX CONCURRENTLY", u.m.ID, n)
	}
}

func (s *Session) dropIndex(ctx context.Context, n indexName) error {
	if _, err := s.conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+n.String()); err != nil {
		return s.connLost(err)
	}
	return nil
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
