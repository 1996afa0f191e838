package executor

import (
	"cmp"
	"context"
	"strings"
	"unicode/utf8"
)

// batch is a run of SQL commands sent to the server in one round trip (a
// simple-protocol query). The server runs them in order and stops at the
// first error; the results received before the error say which command
// failed, so a whole migration costs one round trip and its failures are
// still attributed to the right statement.
type batch struct {
	sql   strings.Builder
	runes int // runes written so far: server error positions count runes
	cmds  []command
}

// command is one command of a batch.
type command struct {
	// stmt is the 1-based number of the migration statement, 0 for
	// safemigrate's own commands.
	stmt int
	// role names safemigrate's own commands whose failure means something
	// particular (see the role constants); "" for the rest.
	role string
	// start is the rune offset of the command in the batch.
	start int
	// sql is the command's text, for running it on its own (a traced
	// rehearsal runs statement by statement).
	sql string
}

// Roles of safemigrate's own commands.
const (
	roleCheck  = "deferred constraint check" // SET CONSTRAINTS ALL IMMEDIATE
	roleRecord = "record"                    // the tracking row
	roleCommit = "commit"
	roleTrace  = "trace" // reading relations and locks for Options.Trace
)

// add appends one command. A command must be a single statement, so that
// results and commands correspond one to one.
func (b *batch) add(sql string, stmt int, role string) {
	if len(b.cmds) > 0 {
		// The newline ends a trailing `--` comment of the previous command.
		b.sql.WriteString("\n;\n")
		b.runes += 3
	}
	b.cmds = append(b.cmds, command{stmt: stmt, role: role, start: b.runes, sql: sql})
	b.sql.WriteString(sql)
	b.runes += utf8.RuneCountInString(sql)
}

// own appends safemigrate's own commands.
func (b *batch) own(sqls ...string) {
	for _, s := range sqls {
		b.add(s, 0, "")
	}
}

// execBatch sends b and, on failure, returns the command that failed and
// the sessions it waited for (sampled as for a single statement).
func (s *Session) execBatch(ctx context.Context, b *batch, u *unit) (*command, []Blocker, error) {
	if len(b.cmds) == 0 {
		return nil, nil, nil
	}
	stop := s.watch.watch(cmp.Or(u.lockTimeout, u.stmtTimeout))
	mrr := s.conn.PgConn().Exec(ctx, b.sql.String())
	done := 0
	var first error
	for mrr.NextResult() {
		if _, err := mrr.ResultReader().Close(); err != nil {
			first = err
			break
		}
		done++
	}
	err := mrr.Close()
	blockers := stop()
	if err == nil {
		err = first
	}
	if err == nil {
		return nil, nil, nil
	}
	return &b.cmds[min(done, len(b.cmds)-1)], blockers, err
}
