package executor

import (
	"maps"
	"slices"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// States of a migration in a [StatusReport].
const (
	StateApplied = "applied"
	StatePending = "pending"
	StateDrift   = "drift"
)

// What the pre-deploy phase would do with a pending migration.
const (
	PreDeployRun     = "run"
	PreDeployDelayed = "delayed"
	PreDeployBlocked = "blocked"
)

// StatusReport is what `safemigrate status` shows: every migration with
// its state, and the applied IDs that have no file.
type StatusReport struct {
	// OK is false when anything is pending or drifted (status --check
	// exits 1).
	OK         bool          `json:"ok"`
	Migrations []StatusEntry `json:"migrations"`
	// Unknown lists applied rows whose ID has no migration file.
	Unknown []Applied `json:"unknown"`
}

// StatusEntry is one migration's line in a [StatusReport].
type StatusEntry struct {
	ID    string         `json:"id"`
	Safe  migration.Safe `json:"safe"`
	State string         `json:"state"` // applied, pending or drift
	// AppliedAt and Phase say when and in which phase (pre-deploy,
	// post-deploy, baseline) an applied or drifted migration ran.
	AppliedAt *time.Time `json:"applied_at,omitempty"`
	Phase     string     `json:"phase,omitempty"`
	// PreDeploy says what a pre-deploy run would do with a pending
	// migration: run, delayed or blocked; Reason says why.
	PreDeploy  string     `json:"pre_deploy,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	BlockedBy  []string   `json:"blocked_by,omitempty"`
	Delay      string     `json:"delay,omitempty"`
	DetectedAt *time.Time `json:"detected_at,omitempty"`
	// RunnableAt is when a delayed migration's delay passes.
	RunnableAt *time.Time `json:"runnable_at,omitempty"`
	// Waiting is true for an after_deploy migration that survived a
	// deploy: detected by an earlier pre-deploy run and still pending.
	Waiting bool `json:"waiting,omitempty"`
	// Progress is set for a `transaction: false` migration that stopped
	// part-way; the next run resumes it.
	Progress *Progress `json:"progress,omitempty"`
}

// StatusOf computes the status of every migration of g from the target's
// state and a pre-deploy plan of that state (planner.New with Phase
// pre-deploy and the configured mode). It does no I/O.
func StatusOf(g *graph.Graph, st *State, preDeploy *planner.Plan) *StatusReport {
	r := &StatusReport{OK: true, Migrations: []StatusEntry{}, Unknown: []Applied{}}
	type planned struct {
		what string
		step planner.Step
	}
	steps := map[string]planned{}
	waiting := map[string]bool{}
	if preDeploy != nil {
		for _, s := range preDeploy.Run {
			steps[s.ID()] = planned{PreDeployRun, s}
		}
		for _, s := range preDeploy.Delayed {
			steps[s.ID()] = planned{PreDeployDelayed, s}
		}
		for _, s := range preDeploy.Blocked {
			steps[s.ID()] = planned{PreDeployBlocked, s}
		}
		for _, s := range preDeploy.Waiting {
			waiting[s.ID()] = true
		}
	}
	for _, i := range g.SortAll() {
		m := g.At(i)
		e := StatusEntry{ID: m.ID, Safe: m.Safe()}
		if m.Directives.Delay > 0 {
			e.Delay = migration.FormatDuration(m.Directives.Delay)
		}
		if a, ok := st.Applied[m.ID]; ok {
			at := a.AppliedAt
			e.State, e.AppliedAt, e.Phase = StateApplied, &at, a.Phase
			if a.Checksum != "" && a.Checksum != m.Checksum {
				e.State = StateDrift
				r.OK = false
			}
			r.Migrations = append(r.Migrations, e)
			continue
		}
		r.OK = false
		e.State = StatePending
		if t, ok := st.Detected[m.ID]; ok {
			t := t
			e.DetectedAt = &t
		}
		if p, ok := st.Progress[m.ID]; ok {
			p := p
			e.Progress = &p
		}
		if s, ok := steps[m.ID]; ok {
			e.PreDeploy, e.Reason, e.BlockedBy, e.RunnableAt = s.what, s.step.Reason, s.step.BlockedBy, s.step.RunnableAt
		}
		e.Waiting = waiting[m.ID]
		r.Migrations = append(r.Migrations, e)
	}
	for _, id := range slices.Sorted(maps.Keys(st.Applied)) {
		if _, ok := g.Index(id); !ok {
			r.Unknown = append(r.Unknown, st.Applied[id])
		}
	}
	return r
}
