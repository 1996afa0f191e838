package cli

import (
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// tenantStatus is one tenant's `status` in JSON.
type tenantStatus struct {
	Tenant string `json:"tenant"`
	*executor.StatusReport
}

// runFleet shows every tenant's status: a line each in text, every
// migration of every tenant in JSON.
func (c *StatusCmd) runFleet(env *Env) error {
	d, err := env.openFleet(&c.tenantFlags, nil)
	if err != nil {
		return err
	}
	sts, err := d.fleet.States(env.Ctx, d.jobs)
	if err != nil {
		return fleetError(err)
	}
	now := env.Now()
	mode := env.mode(c.Mode)
	if mode == planner.Disabled {
		mode = planner.Strict
	}
	schemas := d.fleet.Schemas()
	reps := make([]tenantStatus, len(schemas))
	ok := true
	for i, st := range sts {
		plan, err := planner.New(planner.Input{Graph: d.graph, Applied: st.Checksums(), Detected: st.DetectedTimes(), Now: now, Phase: planner.PreDeploy, Mode: mode})
		if err != nil {
			return usageError("tenant %s: %v", fleet.Display(schemas[i]), err)
		}
		reps[i] = tenantStatus{Tenant: schemas[i], StatusReport: executor.StatusOf(d.graph, st, plan)}
		ok = ok && reps[i].OK
	}
	if d.format == "json" {
		if err := writeJSON(env.Stdout, struct {
			OK      bool           `json:"ok"`
			Tenants []tenantStatus `json:"tenants"`
		}{ok, reps}); err != nil {
			return err
		}
	} else {
		renderFleetStatus(env, reps)
	}
	if c.Check && !ok {
		return silentExit{ExitFailure}
	}
	return nil
}

// renderFleetStatus prints a line per tenant: counts and what is pending.
func renderFleetStatus(env *Env, reps []tenantStatus) {
	w := env.Stdout
	st := style{on: env.Color}
	upToDate, pending, drift := 0, 0, 0
	for _, r := range reps {
		c := stateCounts(r.StatusReport)
		switch {
		case c[executor.StateDrift] > 0:
			drift++
		case c[executor.StatePending] > 0:
			pending++
		default:
			upToDate++
		}
	}
	fmt.Fprintf(w, "%s %s: %d up to date, %d with pending migrations, %d with drift\n", st.bold("Status of"), plural(len(reps), "tenant"), upToDate, pending, drift)
	if len(reps) == 0 {
		return
	}
	fmt.Fprintln(w)
	t := table{indent: "  "}
	t.add(cell{"tenant", st.dim}, cell{"applied", st.dim}, cell{"pending", st.dim}, cell{"drift", st.dim}, cell{"unknown", st.dim})
	for _, r := range reps {
		c := stateCounts(r.StatusReport)
		var notes []string
		for _, state := range []string{executor.StatePending, executor.StateDrift} {
			var ids []string
			for _, m := range r.Migrations {
				if m.State == state {
					ids = append(ids, m.ID)
				}
			}
			if len(ids) > 0 {
				notes = append(notes, state+": "+listIDs(ids, 4))
			}
		}
		if len(r.Unknown) > 0 {
			ids := make([]string, len(r.Unknown))
			for i, u := range r.Unknown {
				ids[i] = u.ID
			}
			notes = append(notes, "unknown: "+listIDs(ids, 4))
		}
		name := cell{fleet.Display(r.Tenant), st.green}
		switch {
		case c[executor.StateDrift] > 0 || len(r.Unknown) > 0:
			name.color = st.red
		case c[executor.StatePending] > 0:
			name.color = st.yellow
		}
		t.add(name, plain(fmt.Sprint(c[executor.StateApplied])), plain(fmt.Sprint(c[executor.StatePending])),
			plain(fmt.Sprint(c[executor.StateDrift])), plain(fmt.Sprint(len(r.Unknown))), plain(strings.Join(notes, "; ")))
	}
	t.write(w)
}

func stateCounts(r *executor.StatusReport) map[string]int {
	c := map[string]int{}
	for _, m := range r.Migrations {
		c[m.State]++
	}
	return c
}

// listIDs names up to limit IDs and counts the rest.
func listIDs(ids []string, limit int) string {
	s := strings.Join(ids[:min(len(ids), limit)], ", ")
	if len(ids) > limit {
		s += fmt.Sprintf(" and %d more", len(ids)-limit)
	}
	return s
}

// tenantPlan is one tenant's plan in JSON.
type tenantPlan struct {
	Tenant string `json:"tenant"`
	planDoc
}

// fleetPlanDoc is `plan` in tenant mode: the SPEC §6 keys over all
// tenants (a migration is listed when it is in that list for at least one
// tenant; ok is false exactly when the command exits 3) and every
// tenant's own plan.
type fleetPlanDoc struct {
	planDoc
	Tenants []tenantPlan `json:"tenants"`
}

// runFleet plans every tenant from its tracking tables.
func (c *PlanCmd) runFleet(env *Env) error {
	d, err := env.openFleet(&c.tenantFlags, nil)
	if err != nil {
		return err
	}
	now, err := parseNow(env, c.Now)
	if err != nil {
		return err
	}
	sts, err := d.fleet.States(env.Ctx, d.jobs)
	if err != nil {
		return fleetError(err)
	}
	schemas := d.fleet.Schemas()
	plans := make([]*planner.Plan, len(schemas))
	var drifted []string
	for i, st := range sts {
		p, err := planner.New(planner.Input{Graph: d.graph, Applied: st.Checksums(), Detected: st.DetectedTimes(), Now: now,
			Phase: planner.Phase(c.Phase), Mode: env.mode(c.Mode), Initial: c.Initial})
		if err != nil {
			return usageError("tenant %s: %v", fleet.Display(schemas[i]), err)
		}
		if err := checkDrift(p, c.AllowDrift); err != nil {
			drifted = append(drifted, fmt.Sprintf("tenant %s: %v", fleet.Display(schemas[i]), indent(err.Error())))
		}
		plans[i] = p
	}
	if len(drifted) > 0 {
		return withCode(ExitUsage, fmt.Errorf("%s", strings.Join(drifted, "\n")))
	}
	ok := true
	for _, p := range plans {
		ok = ok && p.OK()
	}
	if d.format == "json" {
		doc := fleetPlanDoc{planDoc: mergePlans(d.graph, plans, planner.Phase(c.Phase), env.mode(c.Mode)), Tenants: make([]tenantPlan, len(plans))}
		for i, p := range plans {
			doc.Tenants[i] = tenantPlan{Tenant: schemas[i], planDoc: planJSON(p, true).(planDoc)}
		}
		if err := writeJSON(env.Stdout, doc); err != nil {
			return err
		}
	} else {
		renderFleetPlan(env, schemas, plans, planner.Phase(c.Phase), env.mode(c.Mode))
	}
	if !ok {
		return silentExit{ExitBlocked}
	}
	return nil
}

// mergePlans builds the fleet-wide plan keys: each list holds the
// migrations that are in it for at least one tenant, in graph order.
func mergePlans(g *graph.Graph, plans []*planner.Plan, phase planner.Phase, mode planner.Mode) planDoc {
	doc := planDoc{Phase: string(phase), Mode: string(mode), OK: true,
		Applied: []string{}, Run: []stepDoc{}, Delayed: []delayedDoc{}, Blocked: []stepDoc{},
		Unknown: []string{}, OutOfOrder: []string{}, Warnings: []string{}}
	applied := map[string]bool{}
	run, delayed, blocked := map[string]stepDoc{}, map[string]delayedDoc{}, map[string]stepDoc{}
	for _, p := range plans {
		doc.OK = doc.OK && p.OK()
		pd := planJSON(p, true).(planDoc)
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
			doc.Applied = append(doc.Applied, id)
		}
		if s, ok := run[id]; ok {
			doc.Run = append(doc.Run, s)
		}
		if s, ok := delayed[id]; ok {
			doc.Delayed = append(doc.Delayed, s)
		}
		if s, ok := blocked[id]; ok {
			doc.Blocked = append(doc.Blocked, s)
		}
	}
	return doc
}

// renderFleetPlan prints what each tenant would run, grouped where the
// tenants agree, a line per tenant, and the verdict.
func renderFleetPlan(env *Env, schemas []string, plans []*planner.Plan, phase planner.Phase, mode planner.Mode) {
	w := env.Stdout
	st := style{on: env.Color}
	m := ""
	if phase == planner.PreDeploy {
		m = " (" + string(mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s\n", st.bold("Plan"), phase, m, plural(len(schemas), "tenant"))
	tenants := make([]*fleet.Tenant, len(plans))
	for i, p := range plans {
		tenants[i] = &fleet.Tenant{Tenant: schemas[i], Plan: p, OK: true}
	}
	renderRunGroups(env, tenants)
	if len(plans) > 0 {
		fmt.Fprintln(w)
		t := table{indent: "  "}
		t.add(cell{"tenant", st.dim}, cell{"applied", st.dim}, cell{"to run", st.dim}, cell{"delayed", st.dim}, cell{"blocked", st.dim})
		for i, p := range plans {
			note := ""
			if len(p.Blocked) > 0 {
				note = "blocked by " + strings.Join(rootCauses(p), ", ")
			}
			name := cell{fleet.Display(schemas[i]), nil}
			if !p.OK() {
				name.color = st.red
			}
			t.add(name, plain(fmt.Sprint(len(p.Applied))), plain(fmt.Sprint(len(p.Run))), plain(fmt.Sprint(len(p.Delayed))), plain(fmt.Sprint(len(p.Blocked))), plain(note))
		}
		t.write(w)
	}
	fmt.Fprintln(w)
	blocked, run := 0, 0
	for _, p := range plans {
		if !p.OK() {
			blocked++
		}
		run += len(p.Run)
	}
	switch {
	case blocked > 0:
		fmt.Fprintf(w, "%s strict pre-deploy runs nothing in any tenant while a migration is blocked in %d of %s (exit 3).\n", st.red("BLOCKED:"), blocked, plural(len(plans), "tenant"))
		fmt.Fprintln(w, "  Deploy, run the post-deploy phase, then release again; or use --mode nonstrict\n  to run what is ready and skip the blocked migrations.")
	case run == 0:
		fmt.Fprintf(w, "%s nothing to run.\n", st.green("OK:"))
	default:
		fmt.Fprintf(w, "%s %s will run across %s.\n", st.green("OK:"), plural(run, "migration"), plural(len(plans), "tenant"))
	}
}
