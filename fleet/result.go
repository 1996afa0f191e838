package fleet

import (
	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// Pass is one pass of a fleet run over its tenants.
type Pass string

// The passes of [Fleet.Run], in order.
const (
	// PassPreflight plans each tenant under its lock, refuses drift and
	// strict blocking, and rehearses (unless NoPreflight).
	PassPreflight Pass = "preflight"
	// PassApply applies each tenant's plan.
	PassApply Pass = "apply"
	// PassDetect records detection times after a successful pre-deploy
	// run (docs/planning.md), in the tenants that have new ones.
	PassDetect Pass = "detect"
)

// State is where a tenant ended up in a fleet run.
type State string

// States of a [Tenant].
const (
	// StateNotStarted: the run stopped (another tenant failed, or it was
	// interrupted) before this tenant's pass began.
	StateNotStarted State = "not_started"
	// StatePlanned: planned and checked, not rehearsed: --no-preflight, or
	// another tenant's refusal made rehearsing pointless.
	StatePlanned State = "planned"
	// StatePreflighted: rehearsed without failures, not applied: a dry
	// run, or another tenant failed before anything was applied.
	StatePreflighted State = "preflighted"
	// StateApplied: every migration of its plan was applied (possibly
	// none).
	StateApplied State = "applied"
	// StateBlocked: strict pre-deploy found blocked migrations.
	StateBlocked State = "blocked"
	// StateDrift: applied migrations changed on disk (no AllowDrift).
	StateDrift State = "drift"
	// StateFailed: the tenant failed; Err says where.
	StateFailed State = "failed"
)

// Result is what a fleet run did, shaped as the `migrate`/`preflight` JSON
// of docs/json.md in tenant mode: the top-level keys of a single run, summed
// over the tenants, and "tenants" with each tenant's own.
//
//	{"ok": false, "phase": "post-deploy", "mode": "strict", "dry_run": false, "jobs": 4,
//	 "preflight": {"ok": false, "migrations": [
//	   {"tenant": "acme", "id": "0002_x", "status": "failed", "duration_ms": 3, "error": {…}}, …]},
//	 "applied": [], "detected": [],
//	 "tenants": [{"tenant": "acme", "ok": false, "state": "failed", "preflight": {…}, "applied": [], "detected": []}, …]}
type Result struct {
	// OK is true when every tenant did what the run asked.
	OK     bool          `json:"ok"`
	Phase  planner.Phase `json:"phase"`
	Mode   planner.Mode  `json:"mode"`
	DryRun bool          `json:"dry_run"`
	// Jobs is how many tenants were worked on at a time.
	Jobs int `json:"jobs"`
	// Preflight is every tenant's rehearsal in one report: OK when all
	// passed, Migrations with one entry per (tenant, migration). Nil when
	// no tenant was rehearsed (the run stopped before).
	Preflight *Preflight `json:"preflight"`
	// Applied lists the migrations applied in at least one tenant, in
	// the order of the graph.
	Applied []string `json:"applied"`
	// Detected lists the migrations whose detection time was recorded in
	// at least one tenant.
	Detected []string `json:"detected"`
	// Tenants has one entry per tenant, in the fleet's order.
	Tenants []*Tenant `json:"tenants"`

	atomic bool // Options.Exec.Atomic: the rehearsals were the applies
}

// Preflight is the fleet's rehearsal report.
type Preflight struct {
	OK bool `json:"ok"`
	// Skipped is true with NoPreflight.
	Skipped bool `json:"skipped,omitempty"`
	// Atomic is set when each tenant's rehearsal was its apply
	// (Options.Exec.Atomic): a transaction whose migrations all passed
	// committed.
	Atomic     bool              `json:"atomic,omitempty"`
	Migrations []TenantMigration `json:"migrations"`
}

// TenantMigration is one migration's rehearsal in one tenant.
type TenantMigration struct {
	Tenant string `json:"tenant"`
	executor.MigrationReport
}

// Tenant is one tenant's part of a fleet run.
type Tenant struct {
	// Tenant is the schema.
	Tenant string `json:"tenant"`
	// OK is false when this tenant failed, was blocked or drifted; a
	// tenant that was not applied because of another one is OK (see
	// State).
	OK    bool  `json:"ok"`
	State State `json:"state"`
	// Preflight is the tenant's rehearsal; nil when it was not rehearsed.
	Preflight *executor.PreflightReport `json:"preflight"`
	Applied   []string                  `json:"applied"`
	Detected  []string                  `json:"detected"`
	// Failed is the migration that failed while applying, if any.
	Failed *executor.MigrationError `json:"failed,omitempty"`
	// Plan is the tenant's plan; nil when planning did not happen.
	Plan *planner.Plan `json:"-"`
	// Err is the tenant's failure, nil when OK.
	Err error `json:"-"`
}

func (t *Tenant) fail(state State, err error) {
	t.OK, t.State, t.Err = false, state, err
}

// summarize fills the fleet-wide keys from the tenants.
func (r *Result) summarize(g *graph.Graph, noPreflight bool) {
	applied, detected := map[string]bool{}, map[string]bool{}
	r.OK = true
	rehearsed := false
	pf := &Preflight{OK: true, Atomic: r.atomic, Migrations: []TenantMigration{}}
	for _, t := range r.Tenants {
		if !t.OK {
			r.OK = false
		}
		for _, id := range t.Applied {
			applied[id] = true
		}
		for _, id := range t.Detected {
			detected[id] = true
		}
		if t.Preflight == nil {
			pf.OK = false
			continue
		}
		rehearsed = true
		if !t.Preflight.OK {
			pf.OK = false
		}
		for _, m := range t.Preflight.Migrations {
			pf.Migrations = append(pf.Migrations, TenantMigration{Tenant: t.Tenant, MigrationReport: m})
		}
	}
	goal := StateApplied
	if r.DryRun {
		goal = StatePreflighted
		if noPreflight {
			goal = StatePlanned
		}
	}
	for _, t := range r.Tenants {
		if t.State != goal {
			r.OK = false
		}
	}
	switch {
	case noPreflight:
		r.Preflight = &Preflight{OK: true, Skipped: true, Migrations: []TenantMigration{}}
	case rehearsed || len(r.Tenants) == 0:
		r.Preflight = pf
	}
	r.Applied, r.Detected = []string{}, []string{}
	for _, i := range g.SortAll() {
		id := g.At(i).ID
		if applied[id] {
			r.Applied = append(r.Applied, id)
		}
		if detected[id] {
			r.Detected = append(r.Detected, id)
		}
	}
}
