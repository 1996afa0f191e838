package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/planner"
)

// MigrateCmd plans, rehearses and applies.
type MigrateCmd struct {
	Phase       string `required:"" enum:"pre-deploy,post-deploy" placeholder:"pre-deploy|post-deploy" help:"pre-deploy (the release phase, before new code starts) or post-deploy."`
	Mode        string `help:"Pre-deploy mode: strict (default), nonstrict or disabled." placeholder:"MODE"`
	NoPreflight bool   `name:"no-preflight" help:"Skip the transactional rehearsal."`
	Atomic      bool   `help:"One pass: the rehearsal's transaction commits when every migration in it passed (config atomic: true; see docs/executing.md)."`
	DryRun      bool   `name:"dry-run" help:"Plan and rehearse, apply nothing."`
	Initial     bool   `help:"First run on an empty database: pre-deploy runs everything."`
	AllowDrift  bool   `name:"allow-drift" help:"Run even if applied migrations changed on disk."`
	runFlags
	tenantFlags
}

// Help shows examples.
func (c *MigrateCmd) Help() string {
	return `Runs: take the migration lock, plan, rehearse every selected migration in one
transaction with a savepoint each (rolled back; all failures reported), then
apply each migration in its own transaction with its tracking row. With
--atomic (config atomic: true) the rehearsal is the apply: consecutive
transactional migrations run once, in one transaction that commits with
their tracking rows only if all of them passed (docs/executing.md).

Examples:
  safemigrate migrate --phase pre-deploy               # Heroku release phase
  safemigrate migrate --phase pre-deploy --mode nonstrict
  safemigrate migrate --phase post-deploy
  safemigrate migrate --phase pre-deploy --atomic      # one pass, all or nothing
  safemigrate migrate --phase post-deploy --dry-run --format json
  safemigrate migrate --phase pre-deploy --schemas acme,globex --jobs 8

With tenant schemas (--schemas, --schemas-query or tenants: in the config)
every tenant is rehearsed first; if any fails, nothing is applied anywhere.`
}

// Validate checks flag combinations.
func (c *MigrateCmd) Validate() error {
	if c.DryRun && c.NoPreflight {
		return errors.New("--dry-run with --no-preflight would do nothing: a dry run is the preflight")
	}
	if c.Atomic && (c.NoPreflight || c.DryRun) {
		return errors.New("--atomic applies in one pass that is its own rehearsal: drop --no-preflight and --dry-run, or drop --atomic")
	}
	return validMode(c.Mode)
}

// Run migrates.
func (c *MigrateCmd) Run(env *Env) error {
	// An explicit --no-preflight or --dry-run wins over the config's atomic.
	atomic := c.Atomic || (env.Config.Atomic && !c.NoPreflight && !c.DryRun)
	if c.tenantFlags.active(env) {
		if c.Atomic {
			return usageError("--atomic is not available for tenant fleets yet: a fleet rehearses every tenant before applying any; drop --atomic")
		}
		return runFleet(env, &c.runFlags, &c.tenantFlags, fleetRun{phase: c.Phase, mode: c.Mode,
			noPreflight: c.NoPreflight, dryRun: c.DryRun, initial: c.Initial, allowDrift: c.AllowDrift})
	}
	d, err := env.openDB(&c.runFlags)
	if err != nil {
		return err
	}
	opts := d.opts
	opts.Phase, opts.Mode = planner.Phase(c.Phase), env.mode(c.Mode)
	opts.NoPreflight, opts.DryRun, opts.Initial, opts.AllowDrift = c.NoPreflight, c.DryRun, c.Initial, c.AllowDrift
	opts.Atomic = atomic
	res, runErr := executor.Run(env.Ctx, d.target, d.graph, opts)
	return reportRun(env, d.format, res, runErr)
}

// runDoc is the SPEC §6 JSON of migrate and preflight, with the plan and,
// when the run did not succeed, why.
type runDoc struct {
	*executor.Result
	Plan  any       `json:"plan"`
	Error *errorDoc `json:"error,omitempty"`
}

// reportRun prints a run's result (text or JSON) and maps its error to
// the exit code.
func reportRun(env *Env, format string, res *executor.Result, runErr error) error {
	if res == nil {
		return execError(runErr)
	}
	err := execError(runErr)
	if format == "json" {
		doc := runDoc{Result: res, Plan: planJSON(res.Plan, !errors.Is(runErr, executor.ErrDrift))}
		if err != nil {
			doc.Error = &errorDoc{Message: err.Error(), ExitCode: exitCode(err)}
		}
		if werr := writeJSON(env.Stdout, doc); werr != nil {
			return werr
		}
		return err // reported on stderr; stdout already holds the document
	}
	renderRun(env, res, runErr)
	if runErr != nil && (errors.Is(runErr, executor.ErrPreflight) || errors.Is(runErr, executor.ErrMigration)) {
		// The details are on stdout already; stderr gets the one-line
		// summary that log scanners and humans look for.
		summary := strings.TrimSuffix(strings.SplitN(runErr.Error(), "\n", 2)[0], ":")
		return withCode(exitCode(err), fmt.Errorf("%s (details above)", summary))
	}
	return err
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitFailure
}

// renderRun prints the plan, the preflight and what was applied.
func renderRun(env *Env, res *executor.Result, runErr error) {
	w := env.Stdout
	st := style{on: env.Color}
	// The preflight and applied lists name the selected migrations; the
	// plan's own run list is only worth printing when neither will.
	pf := res.Preflight
	renderPlanBody(env, res.Plan, pf == nil || (pf.Skipped && len(res.Applied) == 0 && res.Failed == nil), !errors.Is(runErr, executor.ErrDrift))
	if pf != nil && !pf.Skipped && len(pf.Migrations) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(rehearsalHeading(pf)))
		t := table{indent: "  "}
		for _, m := range pf.Migrations {
			var status cell
			note := m.Notice
			switch m.Status {
			case executor.StatusOK:
				status = cell{"ok", st.green}
			case executor.StatusSkipped:
				status = cell{"skipped", st.yellow}
			default:
				status = cell{"FAILED", st.red}
				if m.Error != nil {
					note = failureLine(m.Error)
				}
			}
			t.add(status, plain(m.ID), plain(fmt.Sprintf("%dms", m.DurationMS)), plain(note))
		}
		writeTraced(w, &t, pf.Migrations, st)
		for _, m := range pf.Migrations {
			if m.Error != nil {
				fmt.Fprintf(w, "\n%s %s\n", st.red("✗"), indent(m.Error.Error()))
			}
		}
	} else if pf != nil && pf.Skipped {
		fmt.Fprintf(w, "\n%s\n", st.dim("Preflight skipped (--no-preflight)."))
	}
	if len(res.Applied) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Applied (%d):", len(res.Applied))))
		for _, id := range res.Applied {
			fmt.Fprintf(w, "  %s %s\n", st.green("✓"), id)
		}
	}
	if res.Failed != nil && (pf == nil || !pf.Atomic) { // an atomic run's failures are listed above
		fmt.Fprintf(w, "\n%s %s\n", st.red("✗ failed:"), indent(res.Failed.Error()))
	}
	if len(res.Detected) > 0 {
		fmt.Fprintf(w, "\n%s %s\n", st.dim("Detected (delays start now):"), strings.Join(res.Detected, ", "))
	}
	fmt.Fprintln(w)
	switch {
	case runErr != nil && errors.Is(runErr, executor.ErrBlocked):
		fmt.Fprintf(w, "%s strict pre-deploy ran nothing: %s blocked by %s (exit 3).\n", st.red("BLOCKED:"),
			plural(len(res.Plan.Blocked), "migration"), strings.Join(rootCauses(res.Plan), ", "))
	case runErr != nil && errors.Is(runErr, executor.ErrDrift):
		fmt.Fprintf(w, "%s applied migrations changed since they were applied; nothing was run (exit 2).\n", st.red("REFUSED:"))
	case runErr != nil && errors.Is(runErr, executor.ErrPreflight) && pf != nil && pf.Atomic:
		fmt.Fprintf(w, "%s atomic apply failed; its transaction was rolled back and nothing was applied (exit 1).\n  Fix the migrations above and run again.\n", st.red("FAILED:"))
	case runErr != nil && errors.Is(runErr, executor.ErrPreflight):
		fmt.Fprintf(w, "%s preflight failed; nothing was applied (exit 1).\n  Fix the migrations above and run again.\n", st.red("FAILED:"))
	case runErr != nil && len(res.Applied) == 0 && res.Failed == nil:
		fmt.Fprintf(w, "%s nothing was applied (exit %d).\n", st.red("FAILED:"), exitCode(execError(runErr)))
	case runErr != nil:
		fmt.Fprintf(w, "%s %s applied before the failure and kept (exit %d).\n  Fix the failing migration and run again: the run continues where it stopped.\n", st.red("FAILED:"), plural(len(res.Applied), "migration"), exitCode(execError(runErr)))
	case res.DryRun:
		fmt.Fprintf(w, "%s dry run: preflight passed for %s; nothing applied.\n", st.green("OK:"), plural(len(res.Plan.Run), "migration"))
	case len(res.Applied) == 0:
		fmt.Fprintf(w, "%s nothing to apply.\n", st.green("OK:"))
	default:
		extra := ""
		if n := len(res.Plan.Blocked); n > 0 {
			extra = fmt.Sprintf(", %s skipped (nonstrict)", plural(n, "blocked migration"))
		}
		fmt.Fprintf(w, "%s %s applied%s.\n", st.green("OK:"), plural(len(res.Applied), "migration"), extra)
	}
}

func failureLine(e *executor.MigrationError) string {
	var b strings.Builder
	if e.Statement > 0 {
		fmt.Fprintf(&b, "statement %d, line %d: ", e.Statement, e.Line)
	}
	b.WriteString(e.Message)
	if e.SQLState != "" {
		fmt.Fprintf(&b, " (%s)", e.SQLState)
	}
	return b.String()
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
