package executor

import (
	"cmp"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// batch is a run of SQL commands sent to the server in one round trip: an
// extended-protocol pipeline (Parse, Bind, Execute per command, one Sync at
// the end). The server runs them in order and skips everything after the
// first error up to the Sync; the results received before the error say
// which command failed, so a whole migration costs one round trip and its
// failures are still attributed to the right statement.
//
// Each command travels as its own Parse message, so its text is exactly
// the statement as written and values (the tracking row's ID, checksum,
// ...) travel as bind parameters: whatever the server's
// standard_conforming_strings, no value is ever part of the SQL text.
type batch struct {
	cmds []command
}

// command is one command of a batch.
type command struct {
	// stmt is the 1-based number of the migration statement, 0 for
	// safemigrate's own commands.
	stmt int
	// role names safemigrate's own commands whose failure means something
	// particular (see the role constants); "" for the rest.
	role string
	// start is the rune offset of the command in the query text the
	// server reports error positions in. Every command is its own query
	// text, so it is always 0.
	start int
	// sql is the command's text.
	sql string
	// args are the command's text parameters ($1, $2, ...).
	args []string
}

// Roles of safemigrate's own commands.
const (
	roleCheck  = "deferred constraint check" // SET CONSTRAINTS ALL IMMEDIATE
	roleRecord = "record"                    // the tracking row
	roleCommit = "commit"
	roleTrace  = "trace" // reading relations and locks for Options.Trace
)

// add appends one command. A command must be a single statement: the
// extended protocol takes one statement per Parse.
func (b *batch) add(sql string, stmt int, role string) {
	b.cmds = append(b.cmds, command{stmt: stmt, role: role, sql: sql})
}

// addParams appends one of safemigrate's own commands with text
// parameters $1, $2, ... bound to args.
func (b *batch) addParams(sql string, role string, args ...string) {
	b.cmds = append(b.cmds, command{role: role, sql: sql, args: args})
}

// own appends safemigrate's own commands.
func (b *batch) own(sqls ...string) {
	for _, s := range sqls {
		b.add(s, 0, "")
	}
}

// send queues b's commands on a pipeline: every command as
// Parse/Bind/Describe/Execute with its parameters typed text, then one
// Sync. With Options.Events a Flush goes before each statement of the
// migration, so that the results before it arrive when it starts (the
// server otherwise sends every result at the Sync, at the end).
func (b *batch) send(pl *pgconn.Pipeline, ev *events) error {
	for i, c := range b.cmds {
		var values [][]byte
		var oids []uint32
		if len(c.args) > 0 {
			values = make([][]byte, len(c.args))
			oids = make([]uint32, len(c.args))
			for i, a := range c.args {
				values[i] = []byte(a)
				oids[i] = pgtype.TextOID
			}
		}
		pl.SendQueryParams(c.sql, values, oids, nil, nil)
		if ev.flushBefore(b, i) {
			pl.SendFlushRequest()
		}
	}
	return pl.Sync()
}

// execBatch sends b and, on failure, returns the command that failed and
// the sessions it waited for (sampled as for a single statement). It
// fails only when a command did: the failure of the Sync after the last
// command's result is left to the next use of the session. The
// results arrive one per command; with Options.Events each statement's
// start is reported as the results before it arrive.
func (s *Session) execBatch(ctx context.Context, b *batch, u *unit) (*command, []Blocker, error) {
	if len(b.cmds) == 0 {
		return nil, nil, nil
	}
	stop := s.watch.watch(cmp.Or(u.lockTimeout, u.stmtTimeout))
	stmts := 0
	for _, c := range b.cmds {
		if c.stmt > 0 {
			stmts++
		}
	}
	ctx, finish := s.roundTrip(ctx, u, stmts)
	pl := s.conn.PgConn().StartPipeline(ctx)
	done := 0
	first := b.send(pl, s.ev)
	if first == nil {
		s.ev.batchAt(b, u, 0)
	}
	defer s.setChecking(false)
	for first == nil && done < len(b.cmds) {
		s.setChecking(b.cmds[done].role == roleLockCheck) // its notices come with its result
		res, err := pl.GetResults()
		if err != nil {
			first = err
			break
		}
		rr, ok := res.(*pgconn.ResultReader)
		if !ok {
			first = fmt.Errorf("command %d of %d: unexpected pipeline result %T", done+1, len(b.cmds), res)
			break
		}
		if _, err := rr.Close(); err != nil {
			first = err
			break
		}
		done++
		s.ev.batchAt(b, u, done)
	}
	if first == nil {
		if _, err := pl.GetResults(); err != nil { // the Sync
			first = err
		}
	}
	err := pl.Close()
	blockers := stop()
	if first != nil {
		err = first
	}
	err = finish(err)
	if err == nil || done == len(b.cmds) {
		// Every command's result came: the batch did its work, COMMIT
		// included, even when the session ended before the Sync's reply
		// (a server's fast shutdown sends its FATAL error there). The
		// next use of the session finds it closed and says so.
		return nil, nil, nil
	}
	return &b.cmds[min(done, len(b.cmds)-1)], blockers, err
}
