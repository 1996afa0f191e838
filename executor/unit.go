package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// ErrInput means a migration file cannot run through safemigrate as
// written (a COPY ... FROM STDIN, a psql meta-command, ...); the run
// stopped before it sent any migration's SQL. *[InputError] matches it.
var ErrInput = errors.New("migration file cannot run as written")

// InputError lists the migrations of a run that cannot run as written, each
// positioned at the problem with what to do instead. It is found before
// anything runs: nothing was applied or rehearsed. Callers map it to an
// input error (the CLI's exit 2).
type InputError struct {
	Failures []*MigrationError
}

// Error lists every failure.
func (e *InputError) Error() string {
	var b strings.Builder
	if len(e.Failures) == 1 {
		b.WriteString("a migration file cannot run as written; nothing was run:")
	} else {
		fmt.Fprintf(&b, "%d migration files cannot run as written; nothing was run:", len(e.Failures))
	}
	for _, f := range e.Failures {
		b.WriteString("\n")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Is makes every InputError match [ErrInput].
func (e *InputError) Is(target error) bool { return target == ErrInput }

// checkInput returns an *InputError when a migration of plan.Run cannot
// run as written (see [annotate.Refusals]). Every run path calls it before
// it sends any migration's SQL: [Session.Check], [Session.Preflight] and
// [Session.Apply]. Files that do not parse are left to the run, which
// reports them as that migration's failure.
func (s *Session) checkInput(plan *planner.Plan) error {
	var fails []*MigrationError
	for _, step := range plan.Run {
		if _, me := s.unit(step.Migration); me != nil && errors.Is(me, ErrInput) {
			fails = append(fails, me)
		}
	}
	if len(fails) > 0 {
		return &InputError{Failures: fails}
	}
	return nil
}

// unit is a migration ready to run: its statements and effective timeouts.
type unit struct {
	m           *migration.Migration
	stmts       []sqlparse.Statement
	lockTimeout time.Duration // 0 = none
	stmtTimeout time.Duration // 0 = none
}

// unit parses m (once per session) and resolves its timeouts. A file that
// does not parse or that contains transaction control fails as a
// *MigrationError positioned at the problem.
func (s *Session) unit(m *migration.Migration) (*unit, *MigrationError) {
	stmts, ok := s.parsed[m.ID]
	if !ok {
		// The file is parsed once per session: the statements, their
		// positions and trees serve the refusals below, the run, the
		// rehearsal's side effects and --trace's analysed locks.
		sql := string(m.SQL)
		var err error
		stmts, err = sqlparse.Split(sql)
		var se *sqlparse.SyntaxError
		if errors.As(err, &se) && se.Psql != "" {
			// psql script would hang the run or is not SQL at all
			// (docs/rules.md, psql-meta-command and copy-stdin).
			return nil, refusal(m, annotate.PsqlRefusal(se))
		}
		if err != nil {
			me := &MigrationError{ID: m.ID, File: m.Path, SQLState: sqlstateSyntaxError, Err: err}
			if se != nil {
				me.Line = se.Line
				me.Message = se.Message
				if !strings.HasPrefix(me.Message, "syntax error") {
					me.Message = "syntax error: " + me.Message
				}
			} else {
				me.Message = err.Error()
			}
			return nil, me
		}
		// What would hang the run or undo its lock is refused before
		// anything runs (docs/rules.md, copy-stdin).
		if rs := annotate.RefusalsIn(sql, annotate.FromSplit(stmts)); len(rs) > 0 {
			return nil, refusal(m, rs[0])
		}
		s.parsed[m.ID] = stmts
	}
	for i, st := range stmts {
		if ts := st.Tree.As("TransactionStmt"); ts.Exists() {
			switch ts.S("kind") {
			case "TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO":
				if m.Directives.Transaction {
					continue
				}
			}
			hint := "remove it: safemigrate runs each migration in its own transaction"
			if !m.Directives.Transaction {
				hint = "remove it: a `transaction: false` migration runs each statement on its own; use `transaction: true` for one transaction"
			}
			return nil, &MigrationError{ID: m.ID, File: m.Path, Statement: i + 1, Line: st.Line,
				SQLState: sqlstateInvalidTxnTerm, Message: "transaction control statement in a migration", Hint: hint}
		}
	}
	u := &unit{m: m, stmts: stmts, lockTimeout: s.opts.LockTimeout, stmtTimeout: s.opts.StatementTimeout}
	if m.Directives.Has(migration.KeyLockTimeout) {
		u.lockTimeout = m.Directives.LockTimeout
	}
	if m.Directives.Has(migration.KeyStatementTimeout) {
		u.stmtTimeout = m.Directives.StatementTimeout
	}
	return u, nil
}

// refusal is the input error of migration m that r refuses.
func refusal(m *migration.Migration, r annotate.Refusal) *MigrationError {
	return &MigrationError{ID: m.ID, File: m.Path, Line: r.Line, Message: r.Message, Hint: r.Hint,
		Err: fmt.Errorf("%w: %s", ErrInput, r.Message)}
}

// timeouts returns the SET commands for the unit's timeouts; local scopes
// them to the current transaction.
func (u *unit) timeouts(local bool) []string {
	set := "SET "
	if local {
		set = "SET LOCAL "
	}
	return []string{
		fmt.Sprintf("%slock_timeout = %d", set, millis(u.lockTimeout)),
		fmt.Sprintf("%sstatement_timeout = %d", set, millis(u.stmtTimeout)),
	}
}

// millis rounds d up to whole milliseconds, the unit of the timeouts.
func millis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// fail builds the MigrationError of statement n (1-based; 0 = none) of u.
func (s *Session) fail(u *unit, n int, err error, blockers []Blocker) *MigrationError {
	me := &MigrationError{ID: u.m.ID, File: u.m.Path, Statement: n, Err: err, Blockers: blockers, Attempts: 1}
	if n > 0 && n <= len(u.stmts) {
		me.Line = u.stmts[n-1].Line
	}
	stopped := "the migration's transaction was rolled back; run again to continue"
	if !u.m.Directives.Transaction {
		stopped = "transaction: false: the statements before this one stay applied; the next run resumes at this statement"
	}
	if interrupted(err) {
		me.Message = "interrupted: the run was cancelled (SIGINT or SIGTERM) while this statement ran"
		me.Hint = stopped
		return me
	}
	if pe := pgError(err); pe != nil {
		me.SQLState = pe.Code
		me.Message = pe.Message
		me.Detail = pe.Detail
		me.Hint = pe.Hint
		if pe.Code == sqlstateQueryCanceled && u.stmtTimeout > 0 && me.Hint == "" {
			me.Hint = fmt.Sprintf("statement_timeout is %s for this migration; if the statement needs longer, raise --statement-timeout or the file's -- statement_timeout:", u.stmtTimeout)
		}
		if pe.Code == sqlstateActiveSQLTxn && u.m.Directives.Transaction && me.Hint == "" {
			me.Hint = "this statement cannot run inside a transaction: add `-- transaction: false` to the header (and keep such statements in a migration of their own)"
		}
		if pe.Code == sqlstateAdminShutdown || s.conn.IsClosed() {
			me.Message = "the database session was terminated: " + pe.Message
			if me.Hint == "" {
				me.Hint = stopped
			}
		}
		return me
	}
	msg := redact.String(err.Error())
	if s.conn.IsClosed() {
		msg = "lost the connection to the database: " + msg
		me.Hint = stopped
	}
	me.Message = msg
	return me
}

// atPosition moves me.Line to the line of the error's position inside
// statement st, when PostgreSQL reported one; start is the rune offset of
// the statement in the query string that was sent.
func atPosition(me *MigrationError, err error, start int, st sqlparse.Statement) {
	pe := pgError(err)
	if pe == nil || pe.Position <= 0 || st.Line == 0 {
		return
	}
	chars := int(pe.Position) - 1 - start // 0-based, in st.SQL
	if chars < 0 || chars > utf8.RuneCountInString(st.SQL) {
		return
	}
	off := 0
	for i := 0; i < chars; i++ {
		_, size := utf8.DecodeRuneInString(st.SQL[off:])
		off += size
	}
	me.Line = st.Line + strings.Count(st.SQL[:off], "\n")
}

// interrupted reports whether err comes from a cancelled context: the
// CLI cancels it on SIGINT and SIGTERM.
func interrupted(err error) bool {
	return errors.Is(err, context.Canceled)
}

// exec runs one statement, watching for the sessions it waits on once it
// has run for half of its lock timeout (or, without one, of its statement
// timeout).
func (s *Session) exec(ctx context.Context, sql string, u *unit) ([]Blocker, error) {
	stop := s.watch.watch(cmp.Or(u.lockTimeout, u.stmtTimeout))
	rctx, finish := s.roundTrip(ctx, u, 1)
	_, err := s.conn.Exec(rctx, sql)
	err = finish(err)
	return stop(), err
}

// setCurrent names the migration notices belong to.
func (s *Session) setCurrent(id string) {
	s.mu.Lock()
	s.current = id
	s.mu.Unlock()
}

// backoff sleeps before retry number attempt (1-based): RetryBackoff
// doubled per attempt, ±20% jitter.
func (s *Session) backoff(ctx context.Context, attempt int) error {
	d := s.opts.RetryBackoff << (attempt - 1)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted while waiting to retry: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// describeBlockers summarises blockers for a log line.
func describeBlockers(bs []Blocker) string {
	if len(bs) == 0 {
		return "blocker unknown"
	}
	s := "blocked by " + bs[0].String()
	if len(bs) > 1 {
		s += fmt.Sprintf(" and %d more", len(bs)-1)
	}
	return s
}
