package executor

import (
	"github.com/safemigrate/safemigrate/planner"
)

// Result is what a run did, shaped as the `migrate`/`preflight` JSON of
// docs/json.md:
//
//	{"ok": false, "phase": "pre-deploy", "mode": "strict", "dry_run": false,
//	 "preflight": {"ok": false, "migrations": [
//	   {"id": "0003_x", "status": "failed", "duration_ms": 4,
//	    "error": {"statement": 2, "line": 7, "sqlstate": "23502", "message": "…", "detail": "", "hint": ""}}]},
//	 "applied": [], "detected": []}
type Result struct {
	// OK is true when the run did everything it was asked to do.
	OK     bool          `json:"ok"`
	Phase  planner.Phase `json:"phase"`
	Mode   planner.Mode  `json:"mode"`
	DryRun bool          `json:"dry_run"`
	// Preflight is the rehearsal's report; nil when the run stopped
	// before it (drift, blocked). With NoPreflight it is a report with
	// Skipped set.
	Preflight *PreflightReport `json:"preflight"`
	// Applied lists the migrations applied by this run, in order.
	Applied []string `json:"applied"`
	// Failed is the migration that failed while applying, if any.
	Failed *MigrationError `json:"failed,omitempty"`
	// Detected lists the delayed migrations whose detection time this run
	// recorded (docs/planning.md).
	Detected []string `json:"detected"`
	// Plan is the plan the run executed; the CLI renders it.
	Plan *planner.Plan `json:"-"`

	planned Target // where Prepare made the plan
}

func newResult(p *planner.Plan, o Options) *Result {
	r := &Result{Phase: p.Phase, Mode: p.Mode, DryRun: o.DryRun, Plan: p, Applied: []string{}, Detected: []string{}}
	if o.NoPreflight {
		r.Preflight = &PreflightReport{OK: true, Skipped: true, Migrations: []MigrationReport{}}
	}
	return r
}

// Status is the outcome of one migration in a preflight.
type Status string

// Preflight statuses.
const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// PreflightReport is the result of a transactional rehearsal.
type PreflightReport struct {
	// OK is true when no migration failed.
	OK bool `json:"ok"`
	// Skipped is true when the rehearsal was not run (NoPreflight).
	Skipped bool `json:"skipped,omitempty"`
	// Attempts is how often the rehearsal ran: a lock timeout restarts it.
	// In an atomic run, the most attempts any of its transactions took.
	Attempts int `json:"attempts,omitempty"`
	// Atomic is set when the rehearsal was the apply (Options.Atomic):
	// each transaction of migrations committed when all of them passed.
	Atomic bool `json:"atomic,omitempty"`
	// RehearsedOn names the database of a rehearsal on a copy ([Rehearse]);
	// empty when the rehearsal ran on the target.
	RehearsedOn string            `json:"rehearsed_on,omitempty"`
	Migrations  []MigrationReport `json:"migrations"`
}

// MigrationReport is one migration's line in a preflight report.
type MigrationReport struct {
	ID         string `json:"id"`
	Status     Status `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	// Notice explains a skip or a rehearsal with a transactional
	// equivalent.
	Notice string          `json:"notice,omitempty"`
	Error  *MigrationError `json:"error,omitempty"`
	// SideEffects names what the migration does that the rehearsal's
	// rollback cannot undo (setval, nextval, pg_advisory_unlock*, dblink),
	// one note per statement, e.g. "statement 2 (line 5): setval"; the
	// rehearsal ran them for real.
	SideEffects []string `json:"side_effects,omitempty"`
	// Trace has one entry per statement that ran, with Options.Trace: the
	// locks it took and the tables it rewrote. A failing statement has
	// none (its locks went with its rollback).
	Trace []StatementTrace `json:"trace,omitempty"`
}

// Err returns a *PreflightError listing the failures, or nil.
func (r *PreflightReport) Err() error {
	var fails []*MigrationError
	var stayed []string
	for _, m := range r.Migrations {
		if m.Status == StatusFailed && m.Error != nil {
			fails = append(fails, m.Error)
		}
		for _, e := range m.SideEffects {
			stayed = append(stayed, m.ID+" "+e)
		}
	}
	if len(fails) == 0 {
		return nil
	}
	return &PreflightError{Failures: fails, SideEffects: stayed}
}
