package safemigrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
)

// MigrateOptions select what [Provider.Migrate] runs.
type MigrateOptions struct {
	// Phase is required: pre-deploy (the release phase, before new code
	// starts) or post-deploy.
	Phase Phase
	// Mode is the pre-deploy mode; empty means the Provider's, else strict.
	Mode Mode
	// NoPreflight skips the transactional rehearsal.
	NoPreflight bool
	// DryRun plans and rehearses, and applies nothing.
	DryRun bool
	// Initial is a first run on an empty database: pre-deploy runs
	// everything.
	Initial bool
	// AllowDrift runs even when applied migrations changed on disk.
	AllowDrift bool
	// InitialAuto decides Initial per run (docs/planning.md): initial when
	// the target has no tracking rows and no tables of its own in the
	// tracking schema, a normal run otherwise.
	InitialAuto bool
	// IgnoreDelays lets post-deploy run after_deploy migrations whose
	// delay has not passed.
	IgnoreDelays bool
	// To, when not empty, runs only that migration and the pending
	// migrations it depends on.
	To string
	// Atomic applies in one pass: the rehearsal is the apply, and each
	// transaction of consecutive transactional migrations commits only
	// when all of them passed (docs/executing.md). Not with NoPreflight
	// or DryRun. A tenant fleet applies each tenant in one atomic pass; a
	// failing tenant stops new ones from starting.
	Atomic bool
}

// Migrate takes the migration lock, plans, rehearses the selection in one
// rolled-back transaction and applies each migration in its own
// transaction (docs/executing.md). With WithTenants every tenant is
// rehearsed first, and nothing is applied anywhere unless all pass; with
// Atomic each tenant is applied in one atomic pass instead.
//
// The report is returned whenever the run got as far as planning, also
// with an error: [ErrBlocked], [ErrDrift], [ErrPreflight] (nothing
// applied), a *[PartialError] or a *[FleetError] (what was applied
// stays), [ErrConnect], [ErrLockWait].
func (p *Provider) Migrate(ctx context.Context, opts MigrateOptions) (*RunReport, error) {
	if opts.DryRun && opts.NoPreflight {
		return nil, &InputError{Msg: "a dry run without preflight would do nothing: a dry run is the preflight"}
	}
	if opts.Atomic && (opts.NoPreflight || opts.DryRun) {
		return nil, &InputError{Msg: "atomic applies in one pass that is its own rehearsal: drop no-preflight and dry-run, or drop atomic"}
	}
	eo := p.execOptions()
	if opts.Initial && opts.InitialAuto {
		return nil, &InputError{Msg: "Initial and InitialAuto exclude each other: auto decides whether the run is initial"}
	}
	eo.NoPreflight, eo.DryRun, eo.Initial, eo.AllowDrift, eo.Atomic = opts.NoPreflight, opts.DryRun, opts.Initial, opts.AllowDrift, opts.Atomic
	eo.InitialAuto, eo.IgnoreDelays, eo.Target = opts.InitialAuto, opts.IgnoreDelays, opts.To
	return p.run(ctx, opts.Phase, opts.Mode, eo)
}

// run runs eo on the target or the fleet.
func (p *Provider) run(ctx context.Context, phase Phase, mode Mode, eo executor.Options) (*RunReport, error) {
	if err := checkPhase(phase); err != nil {
		return nil, err
	}
	if err := checkMode(mode); err != nil {
		return nil, err
	}
	eo.Phase, eo.Mode = phase, p.mode(mode)
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	if eo.Target != "" {
		if eo.Target, err = resolveRef(g, "--to", eo.Target); err != nil {
			return nil, err
		}
	}
	if p.o.tenants != nil {
		return p.runFleet(ctx, g, eo)
	}
	t, err := p.target("migrate")
	if err != nil {
		return nil, err
	}
	res, err := executor.Run(ctx, t, g, eo)
	err = privilegeError(err)
	return newRunReport(res, err), err
}

func (p *Provider) runFleet(ctx context.Context, g *graph.Graph, eo executor.Options) (*RunReport, error) {
	f, jobs, err := p.openFleet(ctx)
	if err != nil {
		return nil, err
	}
	res, err := f.Run(ctx, g, fleet.Options{Exec: eo, Jobs: jobs, JobsPerServer: p.o.tenants.JobsPerServer, Progress: p.o.progress})
	if res == nil {
		return nil, err
	}
	r := &RunReport{OK: res.OK, Phase: res.Phase, Mode: res.Mode, DryRun: res.DryRun, Jobs: res.Jobs,
		Applied: res.Applied, Detected: res.Detected, Tenants: make([]TenantRun, len(res.Tenants)), fres: res}
	for i, t := range res.Tenants {
		tr := TenantRun{Tenant: t.Tenant, OK: t.OK, State: t.State, Preflight: t.Preflight, Applied: t.Applied,
			Detected: t.Detected, Failed: t.Failed, Err: t.Err}
		if t.Plan != nil {
			tr.Plan = newPlanReport(t.Plan, !errors.Is(t.Err, ErrDrift))
		}
		if t.Err != nil {
			tr.Error = &ErrorInfo{Message: t.Err.Error()}
		}
		r.Tenants[i] = tr
	}
	return r, err
}

// newRunReport wraps a single run's result; nil when the run stopped
// before planning.
func newRunReport(res *executor.Result, err error) *RunReport {
	if res == nil {
		return nil
	}
	r := &RunReport{OK: res.OK, Phase: res.Phase, Mode: res.Mode, DryRun: res.DryRun, Preflight: res.Preflight,
		Applied: res.Applied, Failed: res.Failed, Detected: res.Detected, res: res}
	if res.Plan != nil {
		r.Plan = newPlanReport(res.Plan, !errors.Is(err, ErrDrift))
	}
	return r
}

// PreflightReport is a rehearsal's report: every migration's outcome.
type PreflightReport = executor.PreflightReport

// MigrationReport is one migration's line in a [PreflightReport].
type MigrationReport = executor.MigrationReport

// MigrationError is a migration that failed: statement, line, SQLSTATE,
// message, detail and hint.
type MigrationError = executor.MigrationError

// StatementTrace is what one statement did in a traced rehearsal.
type StatementTrace = executor.StatementTrace

// Status is a migration's outcome in a preflight.
type Status = executor.Status

// Migration outcomes in a preflight.
const (
	StatusOK      = executor.StatusOK
	StatusSkipped = executor.StatusSkipped
	StatusFailed  = executor.StatusFailed
)

// Tenant states after a fleet run.
const (
	TenantBlocked     = fleet.StateBlocked
	TenantDrift       = fleet.StateDrift
	TenantApplied     = fleet.StateApplied
	TenantPreflighted = fleet.StatePreflighted
)

// RunReport is what [Provider.Migrate] or [Provider.Preflight] did: the
// `migrate`/`preflight` JSON of docs/json.md, with the plan, and with
// "jobs" and "tenants" for a fleet.
type RunReport struct {
	OK     bool  `json:"ok"`
	Phase  Phase `json:"phase"`
	Mode   Mode  `json:"mode"`
	DryRun bool  `json:"dry_run"`
	// Jobs is how many tenants were worked on at a time (fleets only).
	Jobs int `json:"-"`
	// Preflight is the rehearsal's report (single database); nil when the
	// run stopped before it.
	Preflight *PreflightReport `json:"-"`
	// Applied lists the migrations applied (in at least one tenant).
	Applied []string `json:"-"`
	// Failed is the migration that failed while applying (single
	// database).
	Failed *MigrationError `json:"-"`
	// Detected lists delayed migrations whose detection time was recorded.
	Detected []string `json:"-"`
	// Plan is the plan that ran (single database).
	Plan *PlanReport `json:"-"`
	// Tenants has every tenant's part (fleets only).
	Tenants []TenantRun `json:"-"`
	// Error, when set, is written as the document's "error"; the
	// library leaves it nil and returns the error instead.
	Error *ErrorInfo `json:"-"`

	res  *executor.Result
	fres *fleet.Result
}

// TenantRun is one tenant's part of a fleet run.
type TenantRun struct {
	// Tenant is the schema.
	Tenant string `json:"tenant"`
	// OK is false when this tenant failed, was blocked or drifted; a
	// tenant that was not applied because of another one is OK (see
	// State).
	OK    bool        `json:"ok"`
	State TenantState `json:"state"`
	// Preflight is the tenant's rehearsal; nil when it was not rehearsed.
	Preflight *PreflightReport `json:"preflight"`
	Applied   []string         `json:"applied"`
	Detected  []string         `json:"detected"`
	// Failed is the migration that failed while applying, if any.
	Failed *MigrationError `json:"failed,omitempty"`
	// Plan is the tenant's plan; nil when planning did not happen.
	Plan *PlanReport `json:"plan"`
	// Error describes Err in the JSON.
	Error *ErrorInfo `json:"error,omitempty"`
	// Err is the tenant's failure, nil when OK.
	Err error `json:"-"`
}

// TenantState is where a tenant ended up in a fleet run.
type TenantState = fleet.State

// ErrorInfo is the "error" object of a JSON report.
type ErrorInfo struct {
	Message string `json:"message"`
	// ExitCode is the command line's exit code; the library leaves it 0.
	ExitCode int `json:"exit_code,omitempty"`
}

// MarshalJSON writes the single or the fleet shape.
func (r *RunReport) MarshalJSON() ([]byte, error) {
	if r.fres != nil {
		return marshal(struct {
			*fleet.Result
			Tenants []TenantRun `json:"tenants"`
			Error   *ErrorInfo  `json:"error,omitempty"`
		}{r.fres, r.Tenants, r.Error})
	}
	if r.res == nil {
		return nil, fmt.Errorf("empty RunReport")
	}
	return marshal(struct {
		*executor.Result
		Plan  *PlanReport `json:"plan"`
		Error *ErrorInfo  `json:"error,omitempty"`
	}{r.res, r.Plan, r.Error})
}
