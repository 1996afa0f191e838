package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/english"
)

// tenantPlan is a tenant's plan, for the sections shared by plan and
// migrate.
type tenantPlan struct {
	tenant string
	plan   *safemigrate.PlanReport
}

// renderFleet prints what every tenant would run, a line per tenant, the
// failures, and the verdict.
func renderFleet(env *Env, res *safemigrate.RunReport, runErr error) {
	w := env.Stdout
	st := style{on: env.Color}
	mode := ""
	if res.Phase == safemigrate.PreDeploy {
		mode = " (" + string(res.Mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s, %d at a time\n", st.bold("Tenants"), res.Phase, mode, english.Plural(len(res.Tenants), "tenant"), res.Jobs)
	plans := make([]tenantPlan, len(res.Tenants))
	for i, t := range res.Tenants {
		plans[i] = tenantPlan{t.Tenant, t.Plan}
	}
	renderRunGroups(env, plans)

	if len(res.Tenants) > 0 {
		fmt.Fprintln(w)
		t := table{indent: "  "}
		checked := "preflight"
		for _, tn := range res.Tenants {
			if tn.Preflight != nil && tn.Preflight.Atomic {
				checked = "atomic pass" // the rehearsal was the apply
			}
		}
		t.add(cell{"tenant", st.dim}, cell{"state", st.dim}, cell{"to run", st.dim}, cell{checked, st.dim}, cell{"applied", st.dim})
		for _, tn := range res.Tenants {
			t.add(plain(fleet.Display(tn.Tenant)), stateCell(st, tn), plain(toRun(tn)), plain(preflightSummary(tn)), plain(fmt.Sprint(len(tn.Applied))), plain(tenantNote(tn)))
		}
		t.write(w)
	}
	renderTenantFailures(env, res.Tenants)
	if len(res.Detected) > 0 {
		fmt.Fprintf(w, "\n%s %s\n", st.dim("Detected (delays start now):"), strings.Join(res.Detected, ", "))
	}

	fmt.Fprintln(w)
	n := len(res.Tenants)
	count := func(pred func(safemigrate.TenantRun) bool) int {
		c := 0
		for _, t := range res.Tenants {
			if pred(t) {
				c++
			}
		}
		return c
	}
	failed := count(func(t safemigrate.TenantRun) bool { return t.Err != nil })
	var fe *safemigrate.FleetError
	switch {
	case runErr != nil && errors.Is(runErr, safemigrate.ErrBlocked) && !errors.Is(runErr, safemigrate.ErrDrift):
		fmt.Fprintf(w, "%s strict pre-deploy ran nothing in any tenant: %d of %s blocked (exit 3).\n", st.red("BLOCKED:"), count(func(t safemigrate.TenantRun) bool { return t.State == safemigrate.TenantBlocked }), english.Plural(n, "tenant"))
	case runErr != nil && errors.As(runErr, &fe) && fe.Pass == safemigrate.PassPreflight:
		fmt.Fprintf(w, "%s %d of %s failed; nothing was applied in any tenant (exit %d).\n  Fix the problems above and run again.\n", st.red("FAILED:"), failed, english.Plural(n, "tenant"), exitCode(runErr))
	case runErr != nil && errors.As(runErr, &fe) && fe.Pass == safemigrate.PassApply:
		fmt.Fprintf(w, "%s apply failed in %d of %s; %d applied and kept, %d not started (exit 1).\n  Fix the failing migration and run again: the run continues where it stopped.\n", st.red("FAILED:"), failed, english.Plural(n, "tenant"), fe.Applied, fe.NotStarted)
	case runErr != nil:
		fmt.Fprintf(w, "%s %s (exit %d).\n", st.red("FAILED:"), strings.SplitN(runErr.Error(), "\n", 2)[0], exitCode(runErr))
	case n == 0:
		fmt.Fprintf(w, "%s no tenants; nothing to do.\n", st.green("OK:"))
	case res.DryRun:
		fmt.Fprintf(w, "%s dry run: preflight passed in all %s; nothing applied.\n", st.green("OK:"), english.Plural(n, "tenant"))
	default:
		pairs, tenants := 0, 0
		for _, t := range res.Tenants {
			pairs += len(t.Applied)
			if len(t.Applied) > 0 {
				tenants++
			}
		}
		if pairs == 0 {
			fmt.Fprintf(w, "%s nothing to apply in any of %s.\n", st.green("OK:"), english.Plural(n, "tenant"))
			return
		}
		fmt.Fprintf(w, "%s %s applied in %d of %s.\n", st.green("OK:"), english.Plural(pairs, "migration"), tenants, english.Plural(n, "tenant"))
	}
}

// renderRunGroups lists what runs, what waits and what is blocked, once
// per distinct list: usually every tenant has the same plan.
func renderRunGroups(env *Env, tenants []tenantPlan) {
	st := style{on: env.Color}
	section(env, tenants, "Run %s, in order (%s):", func(p *safemigrate.PlanReport) [][]cell {
		rows := make([][]cell, len(p.Run))
		for i, s := range p.Run {
			rows[i] = []cell{plain(fmt.Sprintf("%d.", i+1)), {s.ID, st.green}, {string(s.Safe), st.dim}}
		}
		return rows
	})
	section(env, tenants, "Delayed until later %s, %s:", func(p *safemigrate.PlanReport) [][]cell {
		rows := make([][]cell, len(p.Delayed))
		for i, s := range p.Delayed {
			rows[i] = []cell{{s.ID, st.yellow}, {string(s.Safe), st.dim}, plain(s.Reason)}
		}
		return rows
	})
	section(env, tenants, "Blocked %s, %s:", func(p *safemigrate.PlanReport) [][]cell {
		rows := make([][]cell, len(p.Blocked))
		for i, s := range p.Blocked {
			rows[i] = []cell{{s.ID, st.red}, {string(s.Safe), st.dim}, plain("waits for " + strings.Join(s.BlockedBy, ", "))}
		}
		return rows
	})
}

// section prints the rows of each tenant's plan under title (its verbs
// take who, "in 2 tenants (a, b)", and how many migrations), once for
// all tenants with the same rows.
func section(env *Env, tenants []tenantPlan, title string, rowsOf func(*safemigrate.PlanReport) [][]cell) {
	w := env.Stdout
	st := style{on: env.Color}
	type group struct {
		key     string
		rows    [][]cell
		tenants []string
	}
	var groups []*group
	for _, t := range tenants {
		if t.plan == nil {
			continue
		}
		rows := rowsOf(t.plan)
		if len(rows) == 0 {
			continue
		}
		var key strings.Builder
		for _, r := range rows {
			for _, c := range r {
				key.WriteString(c.text + "\x00")
			}
			key.WriteString("\n")
		}
		i := slices.IndexFunc(groups, func(g *group) bool { return g.key == key.String() })
		if i < 0 {
			groups = append(groups, &group{key: key.String(), rows: rows})
			i = len(groups) - 1
		}
		groups[i].tenants = append(groups[i].tenants, t.tenant)
	}
	for _, g := range groups {
		who := fmt.Sprintf("in %s (%s)", english.Plural(len(g.tenants), "tenant"), listTenants(g.tenants, 6))
		if len(g.tenants) == len(tenants) && len(tenants) > 1 {
			who = fmt.Sprintf("in each of the %d tenants", len(tenants))
		}
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf(title, who, english.Plural(len(g.rows), "migration"))))
		t := table{indent: "  ", rows: g.rows}
		t.write(w)
	}
}

// listTenants names up to limit tenants and counts the rest.
func listTenants(names []string, limit int) string {
	shown := make([]string, 0, min(len(names), limit))
	for _, n := range names[:min(len(names), limit)] {
		shown = append(shown, fleet.Display(n))
	}
	s := strings.Join(shown, ", ")
	if len(names) > limit {
		s += fmt.Sprintf(" and %d more", len(names)-limit)
	}
	return s
}

func stateCell(st style, t safemigrate.TenantRun) cell {
	switch {
	case !t.OK:
		return cell{string(t.State), st.red}
	case t.State == safemigrate.TenantApplied || t.State == safemigrate.TenantPreflighted:
		return cell{string(t.State), st.green}
	}
	return cell{string(t.State), st.yellow}
}

func toRun(t safemigrate.TenantRun) string {
	if t.Plan == nil {
		return "-"
	}
	return fmt.Sprint(len(t.Plan.Run))
}

// preflightSummary counts a tenant's rehearsal outcomes: "3 ok, 1 failed".
func preflightSummary(t safemigrate.TenantRun) string {
	pf := t.Preflight
	switch {
	case pf == nil:
		return "-"
	case pf.Skipped:
		return "skipped"
	case len(pf.Migrations) == 0:
		return "nothing to run"
	}
	counts := map[safemigrate.Status]int{}
	for _, m := range pf.Migrations {
		counts[m.Status]++
	}
	var parts []string
	for _, s := range []safemigrate.Status{safemigrate.StatusOK, safemigrate.StatusSkipped, safemigrate.StatusFailed} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// tenantNote is the last column: what went wrong, or what waits.
func tenantNote(t safemigrate.TenantRun) string {
	switch {
	case t.Failed != nil:
		return t.Failed.ID + ": " + failureLine(t.Failed)
	case t.Preflight != nil && !t.Preflight.OK:
		var fails []*safemigrate.MigrationError
		for _, m := range t.Preflight.Migrations {
			if m.Status == safemigrate.StatusFailed && m.Error != nil {
				fails = append(fails, m.Error)
			}
		}
		if len(fails) == 1 {
			return fails[0].ID + ": " + failureLine(fails[0])
		}
		ids := make([]string, len(fails))
		for i, f := range fails {
			ids[i] = f.ID
		}
		return "failed: " + strings.Join(ids, ", ")
	case t.State == safemigrate.TenantBlocked:
		return "blocked by " + strings.Join(t.Plan.RootCauses(), ", ")
	case t.State == safemigrate.TenantDrift:
		return "applied migrations changed"
	case t.Err != nil:
		return strings.SplitN(t.Err.Error(), "\n", 2)[0]
	}
	var parts []string
	if t.Plan != nil {
		if n := len(t.Plan.Delayed); n > 0 {
			parts = append(parts, fmt.Sprintf("%d delayed", n))
		}
		if n := len(t.Plan.Blocked); n > 0 {
			parts = append(parts, fmt.Sprintf("%d blocked (skipped, nonstrict)", n))
		}
	}
	return strings.Join(parts, ", ")
}

// renderTenantFailures prints each failure in full, once for all tenants
// that failed the same way.
func renderTenantFailures(env *Env, tenants []safemigrate.TenantRun) {
	w := env.Stdout
	st := style{on: env.Color}
	type group struct {
		msg     string
		tenants []string
	}
	var groups []*group
	for _, t := range tenants {
		if t.Err == nil {
			continue
		}
		msg := t.Err.Error()
		i := slices.IndexFunc(groups, func(g *group) bool { return g.msg == msg })
		if i < 0 {
			groups = append(groups, &group{msg: msg})
			i = len(groups) - 1
		}
		groups[i].tenants = append(groups[i].tenants, t.Tenant)
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s %s: %s\n", st.red("✗"), listTenants(g.tenants, 6), indent(g.msg))
	}
}
