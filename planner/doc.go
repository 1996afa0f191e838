// Package planner decides which pending migrations may run now.
//
// [New] is a pure function of an [Input] — the graph, the applied IDs and
// their checksums, detection times, the clock, the phase, the mode and the
// initial flag — and returns a [Plan]: what runs, in execution order; what
// is delayed and why, with when a delay passes; what is blocked and by which
// delayed migrations (the root causes). It follows docs/planning.md step by step:
//
//	plan, err := planner.New(planner.Input{
//		Graph:   g,
//		Applied: map[string]string{"0001_init": checksum},
//		Now:     time.Now(),
//		Phase:   planner.PreDeploy,
//		Mode:    planner.Strict,
//	})
//	if !plan.OK() {
//		// strict pre-deploy with blocked migrations: exit 3
//	}
//
// The planner does no I/O and never parses SQL; callers read state from the
// database and record detection times (see [Plan.NewlyDetected]).
package planner
