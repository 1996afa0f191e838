package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/english"
)

// PlanCmd prints the plan for a phase.
type PlanCmd struct {
	Phase        string      `required:"" enum:"pre-deploy,post-deploy" placeholder:"pre-deploy|post-deploy" help:"Phase to plan: pre-deploy (release phase) or post-deploy."`
	Applied      []string    `sep:"," help:"IDs to treat as applied, instead of reading the database." placeholder:"ID,ID"`
	Offline      bool        `help:"Plan as if nothing were applied, without a database."`
	Now          string      `help:"Plan at this time (RFC3339), for reproducible delay output." placeholder:"TIME"`
	Initial      initialFlag `help:"First run on an empty database: pre-deploy runs everything. --initial=auto decides per run: initial when the target has no tracking rows and no tables of its own in the tracking schema (a fresh review-app database), a normal run otherwise (config: initial: auto)." placeholder:"auto"`
	To           string      `help:"Plan only this migration and the pending migrations it depends on (full ID, <chain>/<version> or a root version)." placeholder:"ID"`
	IgnoreDelays bool        `name:"ignore-delays" help:"Post-deploy: plan after_deploy migrations whose delay has not passed as runnable."`
	AllowDrift   bool        `name:"allow-drift" help:"Plan even if applied migrations changed on disk."`
	modeFlag
	tenantFlags
}

// Help shows examples.
func (c *PlanCmd) Help() string {
	return `Examples:
  safemigrate plan --phase pre-deploy
  safemigrate plan --phase pre-deploy --applied 0001_init,0002_users --now 2026-01-01T00:00:00Z
  safemigrate plan --phase post-deploy --offline --format json`
}

// Validate checks flag combinations.
func (c *PlanCmd) Validate() error {
	if c.Offline && len(c.Applied) > 0 {
		return fmt.Errorf("--offline and --applied exclude each other: --offline means nothing is applied")
	}
	if (c.Offline || len(c.Applied) > 0) && (len(c.Schemas) > 0 || c.SchemasQuery != "") {
		return fmt.Errorf("--schemas and --schemas-query read each tenant's state from the database; --offline and --applied plan without one")
	}
	return c.tenantFlags.Validate()
}

// Run plans and prints.
func (c *PlanCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	var opts []safemigrate.Option
	if !c.Offline && len(c.Applied) == 0 {
		if opts, err = c.tenantFlags.option(env); err != nil {
			return err
		}
	}
	p, err := env.provider(opts...)
	if err != nil {
		return err
	}
	var now time.Time
	if c.Now != "" {
		if now, err = time.Parse(time.RFC3339, c.Now); err != nil {
			return usageError("--now %q is not an RFC3339 time (e.g. 2026-11-22T10:00:00Z)", c.Now)
		}
	}
	rep, err := p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.Phase(c.Phase), Mode: safemigrate.Mode(c.Mode),
		Initial: c.Initial.on(), InitialAuto: c.Initial.auto(), IgnoreDelays: c.IgnoreDelays, To: c.To,
		AllowDrift: c.AllowDrift, Offline: c.Offline, Applied: appliedIDs(c.Applied), Now: now})
	if errors.Is(err, safemigrate.ErrConnect) && !p.Tenants() {
		return fmt.Errorf("%w\n(plan reads the applied state from the database; --applied or --offline plan without one)", err)
	}
	var unread *safemigrate.FleetReadError
	if err != nil && (rep == nil || !errors.As(err, &unread)) {
		return err
	}
	if err := env.emit(format, rep, func() {
		if rep.Tenants != nil {
			renderFleetPlan(env, rep)
		} else {
			renderPlan(env, rep)
		}
	}); err != nil {
		return err
	}
	if unread != nil {
		return unread // after the tenants that could be read (exit 2)
	}
	if !rep.OK {
		return silentExit{ExitBlocked}
	}
	return nil
}

// renderPlan prints a plan for a release log, with its verdict.
func renderPlan(env *Env, p *safemigrate.PlanReport) {
	renderPlanBody(env, p, true)
	w := env.Stdout
	st := style{on: env.Color}
	fmt.Fprintln(w)
	switch {
	case !p.OK:
		fmt.Fprintf(w, "%s strict pre-deploy runs nothing while a migration is blocked (exit 3).\n", st.red("BLOCKED:"))
		fmt.Fprintf(w, "  Blocked by: %s\n", strings.Join(p.RootCauses(), ", "))
		fmt.Fprintln(w, "  Deploy, run the post-deploy phase, then release again; or use --mode nonstrict\n  to run what is ready and skip the blocked migrations.")
	case len(p.Blocked) > 0:
		fmt.Fprintf(w, "%s %s, %s skipped (nonstrict).\n", st.yellow("OK:"), english.Plural(len(p.Run), "migration")+" will run", english.Plural(len(p.Blocked), "blocked migration"))
	case len(p.Run) == 0:
		fmt.Fprintf(w, "%s nothing to run.\n", st.green("OK:"))
	default:
		fmt.Fprintf(w, "%s %s will run.\n", st.green("OK:"), english.Plural(len(p.Run), "migration"))
	}
}

// renderPlanBody prints the plan's summary line and its sections. The run
// list is left out unless withRun (callers that list the migrations
// themselves).
func renderPlanBody(env *Env, p *safemigrate.PlanReport, withRun bool) {
	w := env.Stdout
	st := style{on: env.Color}
	mode := ""
	if p.Phase == safemigrate.PreDeploy {
		mode = " (" + string(p.Mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s applied, %d to run, %d delayed, %d blocked\n",
		st.bold("Plan"), p.Phase, mode, english.Plural(len(p.Applied), "migration"), len(p.Run), len(p.Delayed), len(p.Blocked))

	if p.InitialAuto != nil {
		fmt.Fprintln(w, st.dim("--initial=auto: "+p.InitialAuto.Reason+"."))
	}
	if p.To != "" {
		fmt.Fprintln(w, st.dim("--to "+p.To+": only it and the pending migrations it depends on."))
	}
	switch {
	case p.InitialAuto != nil:
	case p.Effective != p.Phase && p.Initial:
		fmt.Fprintln(w, st.dim("--initial: the database is empty, so pre-deploy runs everything."))
	case p.Effective != p.Phase:
		fmt.Fprintln(w, st.dim("mode disabled: pre-deploy runs everything, like post-deploy."))
	}
	if withRun && len(p.Run) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Run now, in order (%d):", len(p.Run))))
		t := table{indent: "  "}
		for i, s := range p.Run {
			note := ""
			if s.Reason != string(s.Safe) {
				note = s.Reason
			}
			t.add(plain(fmt.Sprintf("%d.", i+1)), cell{s.ID, st.green}, cell{string(s.Safe), st.dim}, plain(note))
		}
		t.write(w)
	}
	if len(p.Delayed) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Delayed until later (%d):", len(p.Delayed))))
		t := table{indent: "  "}
		for _, s := range p.Delayed {
			t.add(cell{s.ID, st.yellow}, cell{string(s.Safe), st.dim}, plain(s.Reason))
		}
		t.write(w)
	}
	if len(p.Blocked) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Blocked (%d):", len(p.Blocked))))
		t := table{indent: "  "}
		for _, s := range p.Blocked {
			t.add(cell{s.ID, st.red}, cell{string(s.Safe), st.dim}, plain("waits for "+strings.Join(s.BlockedBy, ", ")))
		}
		t.write(w)
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold("Warnings:"))
		for _, s := range p.Warnings {
			fmt.Fprintf(w, "  %s %s\n", st.yellow("!"), s)
		}
	}
}
