package safemigrate

import (
	"context"
	"errors"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// StatusOptions adjust [Provider.Status].
type StatusOptions struct {
	// Mode is the pre-deploy mode used to say what a release phase would
	// do with each pending migration; empty means the Provider's. Disabled
	// reads as strict: status shows what the phases differ in.
	Mode Mode
}

// Status reads every migration's state from the database (every
// tenant's, with WithTenants): applied, pending, drift, and applied IDs
// without a file. In a fleet where some tenants cannot be read, Status
// returns the report (those tenants with their Error, OK false) together
// with a *[FleetReadError] that names them.
func (p *Provider) Status(ctx context.Context, opts StatusOptions) (*StatusReport, error) {
	if err := checkMode(opts.Mode); err != nil {
		return nil, err
	}
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	mode := p.mode(opts.Mode)
	if mode == Disabled {
		mode = Strict
	}
	now := p.o.now()
	if p.o.tenants != nil {
		return p.statusFleet(ctx, g, mode)
	}
	t, err := p.target("status")
	if err != nil {
		return nil, err
	}
	st, err := executor.ReadState(ctx, t)
	if err != nil {
		return nil, privilegeError(err)
	}
	rep, err := statusOf(g, st, mode, now)
	if err != nil {
		return nil, err
	}
	return &StatusReport{OK: rep.OK, Migrations: rep.Migrations, Unknown: rep.Unknown, Now: now}, nil
}

func statusOf(g *graph.Graph, st *executor.State, mode Mode, now time.Time) (*executor.StatusReport, error) {
	plan, err := planner.New(planner.Input{Graph: g, Applied: st.Checksums(), Detected: st.DetectedTimes(), Now: now, Phase: planner.PreDeploy, Mode: mode})
	if err != nil {
		return nil, planError(err)
	}
	return executor.StatusOf(g, st, plan), nil
}

func (p *Provider) statusFleet(ctx context.Context, g *graph.Graph, mode Mode) (*StatusReport, error) {
	schemas, sts, se, err := p.readFleet(ctx)
	if err != nil {
		return nil, err
	}
	now := p.o.now()
	r := &StatusReport{OK: true, Tenants: make([]TenantStatus, len(schemas)), Now: now, fleet: true}
	for i, st := range sts {
		if st == nil {
			r.Tenants[i] = TenantStatus{Tenant: schemas[i], Migrations: []StatusEntry{}, Unknown: []AppliedRow{}, Error: unread(se, schemas[i])}
			r.OK = false
			continue
		}
		rep, err := statusOf(g, st, mode, now)
		if err != nil {
			return nil, &InputError{Msg: "tenant " + displayTenant(schemas[i]) + ": " + err.Error(), Err: err}
		}
		r.Tenants[i] = TenantStatus{Tenant: schemas[i], OK: rep.OK, Migrations: rep.Migrations, Unknown: rep.Unknown}
		r.OK = r.OK && rep.OK
	}
	if se != nil {
		return r, se
	}
	return r, nil
}

// readFleet reads every tenant's state for plan and status. A tenant
// that cannot be read (its server down, its database missing) has a nil
// state and its failure in se, so that one server down does not hide
// every other tenant; err is for a fleet that cannot be read at all.
func (p *Provider) readFleet(ctx context.Context) (tenants []string, states []*executor.State, se *fleet.StatesError, err error) {
	f, jobs, err := p.openFleet(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	states, err = f.States(ctx, jobs)
	if err != nil && !errors.As(err, &se) {
		return nil, nil, nil, err
	}
	return f.Schemas(), states, se, nil
}

// unread is the report of a tenant that [Provider.readFleet] could not read.
func unread(se *fleet.StatesError, tenant string) *ErrorInfo {
	return &ErrorInfo{Message: se.For(tenant).Error()}
}

// StatusEntry is one migration's line of a status.
type StatusEntry = executor.StatusEntry

// AppliedRow is a tracking row (an applied migration).
type AppliedRow = executor.Applied

// The states of a [StatusEntry].
const (
	StateApplied = executor.StateApplied
	StatePending = executor.StatePending
	StateDrift   = executor.StateDrift
)

// What a pre-deploy run would do with a pending migration
// ([StatusEntry].PreDeploy).
const (
	PreDeployRun     = executor.PreDeployRun
	PreDeployDelayed = executor.PreDeployDelayed
	PreDeployBlocked = executor.PreDeployBlocked
)

// StatusReport is the `status` JSON of docs/json.md. For a single
// database: ok, migrations and unknown; for a fleet: ok and tenants.
type StatusReport struct {
	// OK is false when anything is pending or drifted (anywhere).
	OK         bool           `json:"ok"`
	Migrations []StatusEntry  `json:"migrations"`
	Unknown    []AppliedRow   `json:"unknown"`
	Tenants    []TenantStatus `json:"-"`
	// Now is when the state was read.
	Now time.Time `json:"-"`

	fleet bool
}

// TenantStatus is one tenant's status.
type TenantStatus struct {
	Tenant     string        `json:"tenant"`
	OK         bool          `json:"ok"`
	Migrations []StatusEntry `json:"migrations"`
	Unknown    []AppliedRow  `json:"unknown"`
	// Error is set when the tenant's state could not be read (its
	// server down, its database missing); Migrations are then empty.
	Error *ErrorInfo `json:"error,omitempty"`
}

// MarshalJSON writes the single or the fleet shape.
func (r *StatusReport) MarshalJSON() ([]byte, error) {
	if r.fleet {
		return marshal(struct {
			OK      bool           `json:"ok"`
			Tenants []TenantStatus `json:"tenants"`
		}{r.OK, r.Tenants})
	}
	type plain StatusReport
	return marshal((*plain)(r))
}
