package safemigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// PlanOptions select what [Provider.Plan] plans.
type PlanOptions struct {
	// Phase is required.
	Phase Phase
	// Mode is the pre-deploy mode; empty means the Provider's (WithMode),
	// else strict.
	Mode Mode
	// Initial plans a first run on an empty database: pre-deploy runs
	// everything.
	Initial bool
	// InitialAuto decides Initial from the target (docs/planning.md):
	// initial when it has no tracking rows and no tables of its own in
	// the tracking schema. Without a database (Offline, Applied) it
	// decides by the applied list alone.
	InitialAuto bool
	// IgnoreDelays plans post-deploy as if every delay had passed.
	IgnoreDelays bool
	// To, when not empty, plans only that migration and the pending
	// migrations it depends on (a full ID, <chain>/<version> or a root
	// version).
	To string
	// AllowDrift plans even when applied migrations changed on disk.
	AllowDrift bool
	// Offline plans as if nothing were applied, without a database.
	Offline bool
	// Applied, when not nil, lists the IDs to treat as applied instead of
	// reading the database.
	Applied []string
	// Now is the planning time; zero means the Provider's clock.
	Now time.Time
}

// Plan says what a phase would run, what waits and what is blocked,
// reading the applied state from the database (every tenant's, with
// WithTenants) unless opts say otherwise. A blocked plan is a report with
// OK false, not an error. Applied migrations that changed on disk are an
// error wrapping [ErrDrift] unless opts.AllowDrift.
func (p *Provider) Plan(ctx context.Context, opts PlanOptions) (*PlanReport, error) {
	if err := checkPhase(opts.Phase); err != nil {
		return nil, err
	}
	if err := checkMode(opts.Mode); err != nil {
		return nil, err
	}
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = p.o.now()
	}
	if opts.Initial && opts.InitialAuto {
		return nil, &InputError{Msg: "Initial and InitialAuto exclude each other: auto decides whether the run is initial"}
	}
	in := planner.Input{Graph: g, Now: now, Phase: opts.Phase, Mode: p.mode(opts.Mode), Initial: opts.Initial,
		InitialAuto: opts.InitialAuto, IgnoreDelays: opts.IgnoreDelays}
	if opts.To != "" {
		if in.Target, err = resolveRef(g, "--to", opts.To); err != nil {
			return nil, err
		}
	}
	switch {
	case opts.Offline && opts.Applied != nil:
		return nil, &InputError{Msg: "Offline and Applied exclude each other: offline means nothing is applied"}
	case opts.Offline:
		if opts.InitialAuto {
			in.Initial, in.InitialReason = true, "nothing is applied (--offline), so the initial run runs everything"
		}
	case opts.Applied != nil:
		if err := p.checkApplied(g, opts.Applied); err != nil {
			return nil, err
		}
		in.Applied = map[string]string{}
		for _, id := range opts.Applied {
			in.Applied[id] = ""
		}
		if opts.InitialAuto {
			in.Initial, in.InitialReason = len(in.Applied) == 0, "nothing is applied (--applied is empty), so the initial run runs everything"
			if !in.Initial {
				in.InitialReason = fmt.Sprintf("%d migration(s) applied (--applied): a normal run", len(in.Applied))
			}
		}
	case p.o.tenants != nil:
		return p.planFleet(ctx, g, in, opts.AllowDrift)
	default:
		t, err := p.target("plan")
		if err != nil {
			return nil, err
		}
		var st *executor.State
		if opts.InitialAuto {
			var c executor.InitialChoice
			st, c, err = executor.ReadInitial(ctx, t)
			in.Initial, in.InitialReason = c.Initial, c.Reason
		} else {
			st, err = executor.ReadState(ctx, t)
		}
		if err != nil {
			return nil, privilegeError(err)
		}
		in.Applied, in.Detected = st.Checksums(), st.DetectedTimes()
	}
	plan, err := planner.New(in)
	if err != nil {
		return nil, planError(err)
	}
	if err := checkDrift(plan, opts.AllowDrift); err != nil {
		return nil, err
	}
	return newPlanReport(plan, true), nil
}

// planError keeps the planner's sentinel errors visible and marks the
// rest as input problems.
func planError(err error) error {
	if err == planner.ErrInitialNotEmpty {
		return err
	}
	return &InputError{Msg: err.Error(), Err: err}
}

func checkPhase(ph Phase) error {
	switch ph {
	case PreDeploy, PostDeploy:
		return nil
	}
	return &InputError{Msg: fmt.Sprintf("phase %q is not one of pre-deploy, post-deploy", ph)}
}

// driftError is a plan refused because applied files changed.
type driftError struct{ msg string }

func (e *driftError) Error() string        { return e.msg }
func (e *driftError) Is(target error) bool { return target == ErrDrift }

// checkDrift refuses a plan with changed applied files.
func checkDrift(p *planner.Plan, allow bool) error {
	if len(p.Drift) == 0 || allow {
		return nil
	}
	var b strings.Builder
	for _, d := range p.Drift {
		fmt.Fprintf(&b, "%s: changed since it was applied as %s (checksum %.12s…, now %.12s…)\n", d.Migration.Path, d.Migration.ID, d.AppliedChecksum, d.Migration.Checksum)
	}
	b.WriteString("applied migrations must not change: restore the files (git checkout); if the change is cosmetic (a comment, formatting), `safemigrate accept ID…` records the new checksum; or pass --allow-drift")
	return &driftError{b.String()}
}

// InitialChoice is what --initial=auto decided (docs/planning.md).
type InitialChoice struct {
	// Initial is true when the run is an initial one (everything runs).
	Initial bool `json:"initial"`
	// Reason says why, for a person.
	Reason string `json:"reason"`
}

// PlanReport is a plan: the `plan` JSON of docs/json.md. With tenants it
// also holds every tenant's own plan, and each list holds the migrations
// that are in it for at least one tenant.
type PlanReport struct {
	Phase Phase `json:"phase"`
	Mode  Mode  `json:"mode"`
	// OK is false exactly when a strict pre-deploy is blocked (the CLI
	// exits 3).
	OK         bool          `json:"ok"`
	Applied    []string      `json:"applied"`
	Run        []Step        `json:"run"`
	Delayed    []DelayedStep `json:"delayed"`
	Blocked    []Step        `json:"blocked"`
	Unknown    []string      `json:"unknown"`
	OutOfOrder []string      `json:"out_of_order"`
	Warnings   []string      `json:"warnings"`
	// Tenants has every tenant's plan; nil for a single database.
	Tenants []TenantPlan `json:"-"`

	// Effective is the phase whose selection runs: post-deploy for an
	// initial or disabled pre-deploy.
	Effective Phase `json:"-"`
	// Initial is set for a plan of a first run (PlanOptions.Initial).
	Initial bool `json:"-"`
	// InitialAuto is what --initial=auto chose and why; nil without it.
	InitialAuto *InitialChoice `json:"initial_auto,omitempty"`
	// To is the --to target; empty without one.
	To string `json:"to,omitempty"`

	fleet bool
}

// TenantPlan is one tenant's plan.
type TenantPlan struct {
	Tenant string `json:"tenant"`
	*PlanReport
	// Error is set, and PlanReport nil, when the tenant's state could
	// not be read (its server down, its database missing).
	Error *ErrorInfo `json:"error,omitempty"`
}

// Step is a migration in a plan list.
type Step struct {
	ID   string `json:"id"`
	Safe Safe   `json:"safe"`
	// Resolved is the value `always` resolved to, when it differs.
	Resolved  Safe     `json:"resolved,omitempty"`
	Reason    string   `json:"reason"`
	BlockedBy []string `json:"blocked_by,omitempty"`
}

// DelayedStep is a delayed migration, with when it may run.
type DelayedStep struct {
	Step
	RunnableAt *time.Time `json:"runnable_at"`
	DetectedAt *time.Time `json:"detected_at"`
}

// MarshalJSON writes the plan, with "tenants" for a fleet.
func (r *PlanReport) MarshalJSON() ([]byte, error) {
	type plain PlanReport
	if !r.fleet {
		return marshal((*plain)(r))
	}
	return marshal(struct {
		*plain
		Tenants []TenantPlan `json:"tenants"`
	}{(*plain)(r), r.Tenants})
}

// MarshalJSON writes the times in UTC, seconds precision.
func (d DelayedStep) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Step
		RunnableAt *string `json:"runnable_at"`
		DetectedAt *string `json:"detected_at"`
	}{d.Step, rfc3339(d.RunnableAt), rfc3339(d.DetectedAt)})
}

func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// RootCauses returns the distinct migrations the blocked ones wait for.
func (r *PlanReport) RootCauses() []string {
	seen := map[string]bool{}
	var ids []string
	for _, s := range r.Blocked {
		for _, id := range s.BlockedBy {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// newPlanReport shapes p; driftAllowed says whether its drift was let
// through or stopped the run.
func newPlanReport(p *planner.Plan, driftAllowed bool) *PlanReport {
	step := func(s planner.Step) Step {
		d := Step{ID: s.ID(), Safe: s.Migration.Safe(), Reason: s.Reason}
		if s.Resolved != s.Migration.Safe() {
			d.Resolved = s.Resolved
		}
		return d
	}
	r := &PlanReport{
		Phase: p.Phase, Mode: p.Mode, OK: p.OK(), Effective: p.Effective, Initial: p.Initial,
		Applied: nonNil(p.Applied), Run: []Step{}, Delayed: []DelayedStep{}, Blocked: []Step{},
		Unknown: nonNil(p.Unknown), OutOfOrder: nonNil(p.OutOfOrder), Warnings: nonNil(planWarnings(p, driftAllowed)),
		To: p.Target,
	}
	if p.InitialAuto {
		r.InitialAuto = &InitialChoice{Initial: p.Initial, Reason: p.InitialReason}
	}
	for _, s := range p.Run {
		r.Run = append(r.Run, step(s))
	}
	for _, s := range p.Delayed {
		r.Delayed = append(r.Delayed, DelayedStep{step(s), s.RunnableAt, s.DetectedAt})
	}
	for _, s := range p.Blocked {
		d := step(s)
		d.BlockedBy = s.BlockedBy
		r.Blocked = append(r.Blocked, d)
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// planWarnings are what a release engineer should know but that does not
// stop the run.
func planWarnings(p *planner.Plan, driftAllowed bool) []string {
	var w []string
	for _, id := range p.Unknown {
		w = append(w, fmt.Sprintf("%s is recorded as applied but has no file", id))
	}
	for _, id := range p.OutOfOrder {
		w = append(w, fmt.Sprintf("%s sorts before an applied migration of its chain (a merged branch); it runs as usual", id))
	}
	for _, s := range p.Waiting {
		w = append(w, fmt.Sprintf("%s has waited since %s (it survived a deploy); run the post-deploy phase", s.ID(), s.DetectedAt.UTC().Format(time.RFC3339)))
	}
	var undeclared []string
	var value migration.Safe
	for _, steps := range [][]planner.Step{p.Run, p.Delayed, p.Blocked} {
		for _, s := range steps {
			if !s.Migration.DeclaredSafe {
				undeclared = append(undeclared, s.ID())
				value = s.Migration.Safe()
			}
		}
	}
	if len(undeclared) > 0 {
		slices.Sort(undeclared)
		list := strings.Join(undeclared, ", ")
		if len(undeclared) > 5 {
			list = strings.Join(undeclared[:5], ", ") + fmt.Sprintf(" and %d more", len(undeclared)-5)
		}
		w = append(w, fmt.Sprintf("%d pending migration(s) have no `-- safe:` header and count as %s (default_safe): %s; add `-- safe: before_deploy|after_deploy|always` to each (safemigrate annotate --write suggests one)", len(undeclared), value, list))
	}
	for _, d := range p.Drift {
		if driftAllowed {
			w = append(w, fmt.Sprintf("%s changed since it was applied (drift allowed)", d.Migration.ID))
		} else {
			w = append(w, fmt.Sprintf("%s changed since it was applied: nothing runs until the file is restored (or --allow-drift)", d.Migration.ID))
		}
	}
	return w
}

// planFleet plans every tenant from its tracking tables.
func (p *Provider) planFleet(ctx context.Context, g *graph.Graph, in planner.Input, allowDrift bool) (*PlanReport, error) {
	schemas, sts, se, err := p.readFleet(ctx)
	if err != nil {
		return nil, err
	}
	plans := make([]*planner.Plan, len(schemas))
	var drifted []string
	for i, st := range sts {
		if st == nil {
			continue // not read: listed with its error below
		}
		in := in
		in.Applied, in.Detected = st.Checksums(), st.DetectedTimes()
		if in.InitialAuto {
			// migrate decides from the tables too, under each tenant's lock.
			in.Initial = len(in.Applied) == 0
			in.InitialReason = "no tracking rows: initial, unless the tenant has tables of its own (migrate checks them)"
			if !in.Initial {
				in.InitialReason = fmt.Sprintf("%d migration(s) recorded as applied: a normal run", len(in.Applied))
			}
		}
		pl, err := planner.New(in)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", displayTenant(schemas[i]), planError(err))
		}
		if err := checkDrift(pl, allowDrift); err != nil {
			drifted = append(drifted, fmt.Sprintf("tenant %s: %v", displayTenant(schemas[i]), strings.ReplaceAll(err.Error(), "\n", "\n  ")))
		}
		plans[i] = pl
	}
	if len(drifted) > 0 {
		return nil, &driftError{strings.Join(drifted, "\n")}
	}
	var read []*planner.Plan
	for _, pl := range plans {
		if pl != nil {
			read = append(read, pl)
		}
	}
	r := mergePlans(g, read, in.Phase, in.Mode)
	r.fleet = true
	r.Tenants = make([]TenantPlan, len(plans))
	for i, pl := range plans {
		if pl == nil {
			r.Tenants[i] = TenantPlan{Tenant: schemas[i], Error: unread(se, schemas[i])}
			r.OK = false
			continue
		}
		r.Tenants[i] = TenantPlan{Tenant: schemas[i], PlanReport: newPlanReport(pl, true)}
	}
	if se != nil {
		return r, se
	}
	return r, nil
}

// mergePlans builds the fleet-wide lists: each holds the migrations that
// are in it for at least one tenant, in graph order.
func mergePlans(g *graph.Graph, plans []*planner.Plan, phase Phase, mode Mode) *PlanReport {
	r := &PlanReport{Phase: phase, Mode: mode, OK: true, Effective: phase,
		Applied: []string{}, Run: []Step{}, Delayed: []DelayedStep{}, Blocked: []Step{},
		Unknown: []string{}, OutOfOrder: []string{}, Warnings: []string{}}
	applied := map[string]bool{}
	run, delayed, blocked := map[string]Step{}, map[string]DelayedStep{}, map[string]Step{}
	for _, p := range plans {
		r.OK = r.OK && p.OK()
		pd := newPlanReport(p, true)
		for _, id := range pd.Applied {
			applied[id] = true
		}
		for _, s := range pd.Run {
			if _, ok := run[s.ID]; !ok {
				run[s.ID] = s
			}
		}
		for _, s := range pd.Delayed {
			if _, ok := delayed[s.ID]; !ok {
				delayed[s.ID] = s
			}
		}
		for _, s := range pd.Blocked {
			if _, ok := blocked[s.ID]; !ok {
				blocked[s.ID] = s
			}
		}
	}
	for _, i := range g.SortAll() {
		id := g.At(i).ID
		if applied[id] {
			r.Applied = append(r.Applied, id)
		}
		if s, ok := run[id]; ok {
			r.Run = append(r.Run, s)
		}
		if s, ok := delayed[id]; ok {
			r.Delayed = append(r.Delayed, s)
		}
		if s, ok := blocked[id]; ok {
			r.Blocked = append(r.Blocked, s)
		}
	}
	return r
}

// displayTenant is how messages name a tenant schema.
func displayTenant(schema string) string { return fleet.Display(schema) }

// MarshalJSON writes the tenant's name, then its plan, or the error that
// kept it from being read.
func (t TenantPlan) MarshalJSON() ([]byte, error) {
	type plain PlanReport
	if t.PlanReport == nil {
		return marshal(struct {
			Tenant string     `json:"tenant"`
			OK     bool       `json:"ok"`
			Error  *ErrorInfo `json:"error"`
		}{t.Tenant, false, t.Error})
	}
	return marshal(struct {
		Tenant string `json:"tenant"`
		*plain
	}{t.Tenant, (*plain)(t.PlanReport)})
}
