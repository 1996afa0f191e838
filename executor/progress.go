package executor

import (
	"time"

	"github.com/safemigrate/safemigrate/planner"
)

// EventKind says what an [Event] reports.
type EventKind int

// Kinds of [Event].
const (
	// MigrationStarted: a migration starts (in a pass; a retried
	// migration starts again).
	MigrationStarted EventKind = iota + 1
	// StatementStarted: the server starts a statement of the migration
	// (every statement before it completed).
	StatementStarted
	// MigrationFinished: a migration ended, with its Status and Duration.
	MigrationFinished
)

// Passes named by [Event.Pass].
const (
	PassPreflight = "preflight" // the rolled-back rehearsal
	PassApply     = "apply"
	PassAtomic    = "atomic" // a rehearsal that commits (Options.Atomic)
)

// Event reports what a run is doing while it does it: which migration
// and statement is running now (docs/commands.md shows how the CLI
// displays them). Options.Events receives them.
type Event struct {
	Kind EventKind
	// Target is the target's name (a tenant), "" for a single database.
	Target string
	// Pass is PassPreflight, PassApply or PassAtomic.
	Pass string
	// Migration is the migration's ID.
	Migration string
	// Statement is the 1-based number of the statement that started
	// (StatementStarted), Statements how many the migration has, Line
	// the statement's line in its file.
	Statement, Statements, Line int
	// Status is the outcome (MigrationFinished): StatusOK, StatusFailed
	// or StatusSkipped (preflight only).
	Status Status
	// Duration is how long the migration took (MigrationFinished).
	Duration time.Duration
}

// events sends a session's events to Options.Events. It is called from
// the goroutine running the session.
type events struct {
	f      func(Event)
	target string
	pass   string
}

func (e *events) on() bool { return e != nil && e.f != nil }

func (e *events) started(pass, id string, stmts int) {
	if !e.on() {
		return
	}
	e.pass = pass
	e.f(Event{Kind: MigrationStarted, Target: e.target, Pass: pass, Migration: id, Statements: stmts})
}

func (e *events) finished(id string, st Status, d time.Duration) {
	if !e.on() {
		return
	}
	e.f(Event{Kind: MigrationFinished, Target: e.target, Pass: e.pass, Migration: id, Status: st, Duration: d})
}

// statement reports that statement n (1-based) of u starts.
func (e *events) statement(u *unit, n int) {
	if !e.on() || u == nil || n < 1 || n > len(u.stmts) {
		return
	}
	e.f(Event{Kind: StatementStarted, Target: e.target, Pass: e.pass, Migration: u.m.ID,
		Statement: n, Statements: len(u.stmts), Line: u.stmts[n-1].Line})
}

// batchAt reports the statement a batch runs once the results of
// the commands before it arrived: cmds[done] is running now.
func (e *events) batchAt(b *batch, u *unit, done int) {
	if !e.on() || done >= len(b.cmds) {
		return
	}
	if n := b.cmds[done].stmt; n > 0 && (done == 0 || b.cmds[done-1].stmt != n) {
		e.statement(u, n)
	}
}

// flushBefore says whether the server should send the results so far
// before running command i, so that its start is known: only when
// events are wanted, and only before a statement of the migration.
func (e *events) flushBefore(b *batch, i int) bool {
	return e.on() && i+1 < len(b.cmds) && b.cmds[i+1].stmt > 0 && b.cmds[i].stmt != b.cmds[i+1].stmt
}

// startMigration reports that step starts in pass and returns the time.
func (s *Session) startMigration(pass string, step planner.Step) time.Time {
	s.ev.started(pass, step.ID(), len(s.parsed[step.ID()]))
	return time.Now()
}

// endMigration reports how step ended.
func (s *Session) endMigration(step planner.Step, ok bool, began time.Time) {
	st := StatusOK
	if !ok {
		st = StatusFailed
	}
	s.ev.finished(step.ID(), st, time.Since(began))
}
