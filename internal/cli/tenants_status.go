package cli

import (
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/english"
)

// renderFleetStatus prints a line per tenant: counts and what is pending.
func renderFleetStatus(env *Env, reps []safemigrate.TenantStatus) {
	w := env.Stdout
	st := style{on: env.Color}
	upToDate, pending, drift, unread := 0, 0, 0, 0
	for _, r := range reps {
		c := stateCounts(r.Migrations)
		switch {
		case r.Error != nil:
			unread++
		case c[safemigrate.StateDrift] > 0:
			drift++
		case c[safemigrate.StatePending] > 0:
			pending++
		default:
			upToDate++
		}
	}
	fmt.Fprintf(w, "%s %s: %d up to date, %d with pending migrations, %d with drift", st.bold("Status of"), english.Plural(len(reps), "tenant"), upToDate, pending, drift)
	if unread > 0 {
		fmt.Fprintf(w, ", %s", st.red(fmt.Sprintf("%d not read", unread)))
	}
	fmt.Fprintln(w)
	if len(reps) == 0 {
		return
	}
	fmt.Fprintln(w)
	t := table{indent: "  "}
	t.add(cell{"tenant", st.dim}, cell{"applied", st.dim}, cell{"pending", st.dim}, cell{"drift", st.dim}, cell{"unknown", st.dim})
	for _, r := range reps {
		if r.Error != nil {
			t.add(cell{fleet.Display(r.Tenant), st.red}, plain("-"), plain("-"), plain("-"), plain("-"),
				plain("not read: "+strings.SplitN(r.Error.Message, "\n", 2)[0]))
			continue
		}
		c := stateCounts(r.Migrations)
		var notes []string
		for _, state := range []string{safemigrate.StatePending, safemigrate.StateDrift} {
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
		case c[safemigrate.StateDrift] > 0 || len(r.Unknown) > 0:
			name.color = st.red
		case c[safemigrate.StatePending] > 0:
			name.color = st.yellow
		}
		t.add(name, plain(fmt.Sprint(c[safemigrate.StateApplied])), plain(fmt.Sprint(c[safemigrate.StatePending])),
			plain(fmt.Sprint(c[safemigrate.StateDrift])), plain(fmt.Sprint(len(r.Unknown))), plain(strings.Join(notes, "; ")))
	}
	t.write(w)
}

func stateCounts(ms []safemigrate.StatusEntry) map[string]int {
	c := map[string]int{}
	for _, m := range ms {
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

// renderFleetPlan prints what each tenant would run, grouped where the
// tenants agree, a line per tenant, and the verdict.
func renderFleetPlan(env *Env, rep *safemigrate.PlanReport) {
	w := env.Stdout
	st := style{on: env.Color}
	m := ""
	if rep.Phase == safemigrate.PreDeploy {
		m = " (" + string(rep.Mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s\n", st.bold("Plan"), rep.Phase, m, english.Plural(len(rep.Tenants), "tenant"))
	plans := make([]tenantPlan, len(rep.Tenants))
	for i, t := range rep.Tenants {
		plans[i] = tenantPlan{t.Tenant, t.PlanReport}
	}
	renderRunGroups(env, plans)
	if len(plans) > 0 {
		fmt.Fprintln(w)
		t := table{indent: "  "}
		t.add(cell{"tenant", st.dim}, cell{"applied", st.dim}, cell{"to run", st.dim}, cell{"delayed", st.dim}, cell{"blocked", st.dim})
		for _, tp := range rep.Tenants {
			p := tp.PlanReport
			if p == nil {
				msg := ""
				if tp.Error != nil {
					msg = strings.SplitN(tp.Error.Message, "\n", 2)[0]
				}
				t.add(cell{fleet.Display(tp.Tenant), st.red}, plain("-"), plain("-"), plain("-"), plain("-"), plain("not read: "+msg))
				continue
			}
			note := ""
			if len(p.Blocked) > 0 {
				note = "blocked by " + strings.Join(p.RootCauses(), ", ")
			}
			name := cell{fleet.Display(tp.Tenant), nil}
			if !p.OK {
				name.color = st.red
			}
			t.add(name, plain(fmt.Sprint(len(p.Applied))), plain(fmt.Sprint(len(p.Run))), plain(fmt.Sprint(len(p.Delayed))), plain(fmt.Sprint(len(p.Blocked))), plain(note))
		}
		t.write(w)
	}
	fmt.Fprintln(w)
	blocked, run, unread := 0, 0, 0
	for _, tp := range rep.Tenants {
		switch {
		case tp.PlanReport == nil:
			unread++
		case !tp.OK:
			blocked++
		}
		if tp.PlanReport != nil {
			run += len(tp.Run)
		}
	}
	switch {
	case unread > 0:
		fmt.Fprintf(w, "%s %d of %s could not be read; the plan above covers the others (exit 2).\n", st.red("INCOMPLETE:"), unread, english.Plural(len(plans), "tenant"))
	case blocked > 0:
		fmt.Fprintf(w, "%s strict pre-deploy runs nothing in any tenant while a migration is blocked in %d of %s (exit 3).\n", st.red("BLOCKED:"), blocked, english.Plural(len(plans), "tenant"))
		fmt.Fprintln(w, "  Deploy, run the post-deploy phase, then release again; or use --mode nonstrict\n  to run what is ready and skip the blocked migrations.")
	case run == 0:
		fmt.Fprintf(w, "%s nothing to run.\n", st.green("OK:"))
	default:
		fmt.Fprintf(w, "%s %s will run across %s.\n", st.green("OK:"), english.Plural(run, "migration"), english.Plural(len(plans), "tenant"))
	}
}
