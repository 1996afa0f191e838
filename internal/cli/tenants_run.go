package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/planner"
)

// fleetRun is what migrate or preflight asks of every tenant.
type fleetRun struct {
	phase, mode                              string
	noPreflight, dryRun, initial, allowDrift bool
}

// runFleet runs migrate or preflight over the tenant fleet and reports it.
func runFleet(env *Env, rf *runFlags, tf *tenantFlags, r fleetRun) error {
	d, err := env.openFleet(tf, rf)
	if err != nil {
		return err
	}
	opts := d.opts
	opts.Phase, opts.Mode = planner.Phase(r.phase), env.mode(r.mode)
	opts.NoPreflight, opts.DryRun, opts.Initial, opts.AllowDrift = r.noPreflight, r.dryRun, r.initial, r.allowDrift
	p := newProgress(env.Stderr, isTerminal(env.Stderr), r.noPreflight)
	opts.Log = p
	res, runErr := d.fleet.Run(env.Ctx, d.graph, fleet.Options{Exec: opts, Jobs: d.jobs, JobsPerServer: d.perServer, Progress: p.update})
	p.finish()
	return reportFleet(env, d.format, res, runErr)
}

// fleetDoc is the SPEC §6 JSON of migrate and preflight in tenant mode.
type fleetDoc struct {
	*fleet.Result
	Tenants []tenantDoc `json:"tenants"`
	Error   *errorDoc   `json:"error,omitempty"`
}

// tenantDoc is one tenant's part, with its plan and its error.
type tenantDoc struct {
	*fleet.Tenant
	Plan  any       `json:"plan"`
	Error *errorDoc `json:"error,omitempty"`
}

// reportFleet prints a fleet run (text or JSON) and maps its error to the
// exit code.
func reportFleet(env *Env, format string, res *fleet.Result, runErr error) error {
	err := fleetError(runErr)
	if res == nil {
		return err
	}
	if format == "json" {
		doc := fleetDoc{Result: res, Tenants: make([]tenantDoc, len(res.Tenants))}
		for i, t := range res.Tenants {
			td := tenantDoc{Tenant: t}
			if t.Plan != nil {
				td.Plan = planJSON(t.Plan, !errors.Is(t.Err, executor.ErrDrift))
			}
			if t.Err != nil {
				td.Error = &errorDoc{Message: t.Err.Error(), ExitCode: exitCode(fleetError(&fleet.Error{Pass: passOf(runErr), Failures: []*fleet.TenantError{{Tenant: t.Tenant, Err: t.Err}}}))}
			}
			doc.Tenants[i] = td
		}
		if err != nil {
			doc.Error = &errorDoc{Message: err.Error(), ExitCode: exitCode(err)}
		}
		if werr := writeJSON(env.Stdout, doc); werr != nil {
			return werr
		}
		return err
	}
	renderFleet(env, res, runErr)
	var fe *fleet.Error
	if errors.As(runErr, &fe) && !errors.Is(runErr, executor.ErrBlocked) && !errors.Is(runErr, executor.ErrDrift) {
		// The details are on stdout; stderr gets the summary line.
		summary := strings.TrimSuffix(strings.SplitN(runErr.Error(), "\n", 2)[0], ":")
		return withCode(exitCode(err), fmt.Errorf("%s (details above)", summary))
	}
	return err
}

// passOf is the pass a fleet run failed in.
func passOf(err error) fleet.Pass {
	var fe *fleet.Error
	if errors.As(err, &fe) {
		return fe.Pass
	}
	return fleet.PassPreflight
}

// renderFleet prints what every tenant would run, a line per tenant, the
// failures, and the verdict.
func renderFleet(env *Env, res *fleet.Result, runErr error) {
	w := env.Stdout
	st := style{on: env.Color}
	mode := ""
	if res.Phase == planner.PreDeploy {
		mode = " (" + string(res.Mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s, %d at a time\n", st.bold("Tenants"), res.Phase, mode, plural(len(res.Tenants), "tenant"), res.Jobs)
	renderRunGroups(env, res.Tenants)

	if len(res.Tenants) > 0 {
		fmt.Fprintln(w)
		t := table{indent: "  "}
		t.add(cell{"tenant", st.dim}, cell{"state", st.dim}, cell{"to run", st.dim}, cell{"preflight", st.dim}, cell{"applied", st.dim})
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
	count := func(pred func(*fleet.Tenant) bool) int {
		c := 0
		for _, t := range res.Tenants {
			if pred(t) {
				c++
			}
		}
		return c
	}
	failed := count(func(t *fleet.Tenant) bool { return t.Err != nil })
	var fe *fleet.Error
	switch {
	case runErr != nil && errors.Is(runErr, executor.ErrBlocked) && !errors.Is(runErr, executor.ErrDrift):
		fmt.Fprintf(w, "%s strict pre-deploy ran nothing in any tenant: %d of %s blocked (exit 3).\n", st.red("BLOCKED:"), count(func(t *fleet.Tenant) bool { return t.State == fleet.StateBlocked }), plural(n, "tenant"))
	case runErr != nil && errors.As(runErr, &fe) && fe.Pass == fleet.PassPreflight:
		fmt.Fprintf(w, "%s %d of %s failed; nothing was applied in any tenant (exit %d).\n  Fix the problems above and run again.\n", st.red("FAILED:"), failed, plural(n, "tenant"), exitCode(fleetError(runErr)))
	case runErr != nil && errors.As(runErr, &fe) && fe.Pass == fleet.PassApply:
		fmt.Fprintf(w, "%s apply failed in %d of %s; %d applied and kept, %d not started (exit 1).\n  Fix the failing migration and run again: the run continues where it stopped.\n", st.red("FAILED:"), failed, plural(n, "tenant"), fe.Applied, fe.NotStarted)
	case runErr != nil:
		fmt.Fprintf(w, "%s %s (exit %d).\n", st.red("FAILED:"), strings.SplitN(runErr.Error(), "\n", 2)[0], exitCode(fleetError(runErr)))
	case n == 0:
		fmt.Fprintf(w, "%s no tenants; nothing to do.\n", st.green("OK:"))
	case res.DryRun:
		fmt.Fprintf(w, "%s dry run: preflight passed in all %s; nothing applied.\n", st.green("OK:"), plural(n, "tenant"))
	default:
		pairs, tenants := 0, 0
		for _, t := range res.Tenants {
			pairs += len(t.Applied)
			if len(t.Applied) > 0 {
				tenants++
			}
		}
		if pairs == 0 {
			fmt.Fprintf(w, "%s nothing to apply in any of %s.\n", st.green("OK:"), plural(n, "tenant"))
			return
		}
		fmt.Fprintf(w, "%s %s applied in %d of %s.\n", st.green("OK:"), plural(pairs, "migration"), tenants, plural(n, "tenant"))
	}
}

// renderRunGroups lists what runs, what waits and what is blocked, once
// per distinct list: usually every tenant has the same plan.
func renderRunGroups(env *Env, tenants []*fleet.Tenant) {
	st := style{on: env.Color}
	section(env, tenants, "Run %s, in order (%d):", func(p *planner.Plan) [][]cell {
		rows := make([][]cell, len(p.Run))
		for i, s := range p.Run {
			rows[i] = []cell{plain(fmt.Sprintf("%d.", i+1)), {s.ID(), st.green}, {string(s.Migration.Safe()), st.dim}}
		}
		return rows
	})
	section(env, tenants, "Delayed until later %s (%d):", func(p *planner.Plan) [][]cell {
		rows := make([][]cell, len(p.Delayed))
		for i, s := range p.Delayed {
			rows[i] = []cell{{s.ID(), st.yellow}, {string(s.Migration.Safe()), st.dim}, plain(s.Reason)}
		}
		return rows
	})
	section(env, tenants, "Blocked %s (%d):", func(p *planner.Plan) [][]cell {
		rows := make([][]cell, len(p.Blocked))
		for i, s := range p.Blocked {
			rows[i] = []cell{{s.ID(), st.red}, {string(s.Migration.Safe()), st.dim}, plain("waits for " + strings.Join(s.BlockedBy, ", "))}
		}
		return rows
	})
}

// section prints the rows of each tenant's plan under title, once for all
// tenants with the same rows.
func section(env *Env, tenants []*fleet.Tenant, title string, rowsOf func(*planner.Plan) [][]cell) {
	w := env.Stdout
	st := style{on: env.Color}
	type group struct {
		key     string
		rows    [][]cell
		tenants []string
	}
	var groups []*group
	for _, t := range tenants {
		if t.Plan == nil {
			continue
		}
		rows := rowsOf(t.Plan)
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
		groups[i].tenants = append(groups[i].tenants, t.Tenant)
	}
	for _, g := range groups {
		who := "in " + listTenants(g.tenants, 6)
		if len(g.tenants) == len(tenants) && len(tenants) > 1 {
			who = fmt.Sprintf("in each of the %d tenants", len(tenants))
		}
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf(title, who, len(g.rows))))
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

func stateCell(st style, t *fleet.Tenant) cell {
	switch {
	case !t.OK:
		return cell{string(t.State), st.red}
	case t.State == fleet.StateApplied || t.State == fleet.StatePreflighted:
		return cell{string(t.State), st.green}
	}
	return cell{string(t.State), st.yellow}
}

func toRun(t *fleet.Tenant) string {
	if t.Plan == nil {
		return "-"
	}
	return fmt.Sprint(len(t.Plan.Run))
}

// preflightSummary counts a tenant's rehearsal outcomes: "3 ok, 1 failed".
func preflightSummary(t *fleet.Tenant) string {
	pf := t.Preflight
	switch {
	case pf == nil:
		return "-"
	case pf.Skipped:
		return "skipped"
	case len(pf.Migrations) == 0:
		return "nothing to run"
	}
	counts := map[executor.Status]int{}
	for _, m := range pf.Migrations {
		counts[m.Status]++
	}
	var parts []string
	for _, s := range []executor.Status{executor.StatusOK, executor.StatusSkipped, executor.StatusFailed} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// tenantNote is the last column: what went wrong, or what waits.
func tenantNote(t *fleet.Tenant) string {
	switch {
	case t.Failed != nil:
		return t.Failed.ID + ": " + failureLine(t.Failed)
	case t.Preflight != nil && !t.Preflight.OK:
		var fails []*executor.MigrationError
		for _, m := range t.Preflight.Migrations {
			if m.Status == executor.StatusFailed && m.Error != nil {
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
	case t.State == fleet.StateBlocked:
		return "blocked by " + strings.Join(rootCauses(t.Plan), ", ")
	case t.State == fleet.StateDrift:
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
func renderTenantFailures(env *Env, tenants []*fleet.Tenant) {
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
