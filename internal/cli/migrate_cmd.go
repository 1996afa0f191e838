package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/english"
)

// MigrateCmd plans, rehearses and applies.
type MigrateCmd struct {
	Phase        string      `required:"" enum:"pre-deploy,post-deploy" placeholder:"pre-deploy|post-deploy" help:"pre-deploy (the release phase, before new code starts) or post-deploy."`
	NoPreflight  bool        `name:"no-preflight" help:"Skip the transactional rehearsal."`
	DryRun       bool        `name:"dry-run" help:"Plan and rehearse, apply nothing."`
	Initial      initialFlag `help:"First run on an empty database: pre-deploy runs everything. --initial=auto decides per run: initial when the target has no tracking rows and no tables of its own in the tracking schema (a fresh review-app database), a normal run otherwise (config: initial: auto)." placeholder:"auto"`
	To           string      `help:"Run only this migration and the pending migrations it depends on (full ID, <chain>/<version> or a root version)." placeholder:"ID"`
	IgnoreDelays bool        `name:"ignore-delays" help:"Post-deploy: run after_deploy migrations whose delay has not passed (a delay is rollback headroom)."`
	AllowDrift   bool        `name:"allow-drift" help:"Run even if applied migrations changed on disk."`
	Atomic       bool        `help:"One pass: the rehearsal's transaction commits when every migration in it passed (config atomic: true; see docs/executing.md)."`
	modeFlag
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
  safemigrate migrate --phase pre-deploy --initial=auto  # same line for review apps
  safemigrate migrate --phase post-deploy --to 0042_add_orders_status
  safemigrate migrate --phase pre-deploy --mode nonstrict
  safemigrate migrate --phase post-deploy
  safemigrate migrate --phase pre-deploy --atomic      # one pass, all or nothing
  safemigrate migrate --phase post-deploy --dry-run --format json
  safemigrate migrate --phase pre-deploy --schemas acme,globex --jobs 8

With tenant schemas (--schemas, --schemas-query or tenants: in the config)
every tenant is rehearsed first; if any fails, nothing is applied anywhere.
With --atomic each tenant is applied in its own atomic pass instead; a
failing tenant stops new ones from starting.`
}

// Validate checks flag combinations.
func (c *MigrateCmd) Validate() error {
	if c.DryRun && c.NoPreflight {
		return errors.New("--dry-run with --no-preflight would do nothing: a dry run is the preflight")
	}
	if c.Atomic && (c.NoPreflight || c.DryRun) {
		return errors.New("--atomic applies in one pass that is its own rehearsal: drop --no-preflight and --dry-run, or drop --atomic")
	}
	return errors.Join(c.runFlags.Validate(), c.tenantFlags.Validate())
}

// Run migrates.
func (c *MigrateCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	// An explicit --no-preflight or --dry-run wins over the config's
	// atomic.
	atomic := c.Atomic || (env.Config.Atomic && !c.NoPreflight && !c.DryRun)
	p, fleet, err := openRun(env, &c.runFlags, &c.tenantFlags, c.NoPreflight)
	if err != nil {
		return err
	}
	res, runErr := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.Phase(c.Phase), Mode: safemigrate.Mode(c.Mode),
		NoPreflight: c.NoPreflight, DryRun: c.DryRun, Initial: c.Initial.on(), InitialAuto: c.Initial.auto(),
		AllowDrift: c.AllowDrift, IgnoreDelays: c.IgnoreDelays, To: c.To, Atomic: atomic})
	fleet.finish()
	return reportRun(env, format, res, runErr)
}

// openRun opens the provider of migrate or preflight: the run flags, the
// tenants when there are any, and the progress display on stderr (see
// [progress]), which the caller finishes before printing the report.
func openRun(env *Env, rf *runFlags, tf *tenantFlags, planned bool) (*safemigrate.Provider, *progress, error) {
	opts := rf.options()
	tenants, err := tf.option(env)
	if err != nil {
		return nil, nil, err
	}
	p := newProgress(env.Stderr, isTerminal(env.Stderr), planned)
	opts = append(opts, safemigrate.WithLog(p), safemigrate.WithEvents(p.event))
	if tenants != nil {
		opts = append(append(opts, tenants...), safemigrate.WithProgress(p.update))
	}
	prov, err := env.provider(opts...)
	return prov, p, err
}

// reportRun prints a run's report (text or JSON) and returns its error
// for the exit code.
func reportRun(env *Env, format string, res *safemigrate.RunReport, runErr error) error {
	if res == nil {
		return runErr
	}
	if format == "json" {
		if runErr != nil {
			res.Error = &safemigrate.ErrorInfo{Message: message(runErr), ExitCode: exitCode(runErr)}
		}
		var fe *safemigrate.FleetError
		applyPass := errors.As(runErr, &fe) && fe.Pass != safemigrate.PassPreflight
		for _, t := range res.Tenants {
			if t.Err != nil && t.Error != nil {
				t.Error.ExitCode = exitCode(t.Err)
				if applyPass {
					t.Error.ExitCode = ExitFailure
				}
			}
		}
		if werr := writeJSON(env.Stdout, res); werr != nil {
			return werr
		}
		return runErr // reported on stderr; stdout already holds the document
	}
	if res.Tenants != nil {
		renderFleet(env, res, runErr)
		var fe *safemigrate.FleetError
		if errors.As(runErr, &fe) && !errors.Is(runErr, safemigrate.ErrBlocked) && !errors.Is(runErr, safemigrate.ErrDrift) {
			return summary(runErr)
		}
		return runErr
	}
	renderRun(env, res, runErr)
	if runErr != nil && (errors.Is(runErr, safemigrate.ErrPreflight) || errors.Is(runErr, safemigrate.ErrMigration)) {
		return summary(runErr)
	}
	return runErr
}

// summary is the one-line stderr message of a failure whose details are
// on stdout already: what log scanners and humans look for.
func summary(err error) error {
	line := strings.TrimSuffix(strings.SplitN(err.Error(), "\n", 2)[0], ":")
	return withCode(exitCode(err), fmt.Errorf("%s (details above)", line))
}

// renderRun prints the plan, the preflight and what was applied.
func renderRun(env *Env, res *safemigrate.RunReport, runErr error) {
	w := env.Stdout
	st := style{on: env.Color}
	// The preflight and applied lists name the selected migrations; the
	// plan's own run list is only worth printing when neither will.
	pf := res.Preflight
	renderPlanBody(env, res.Plan, pf == nil || (pf.Skipped && len(res.Applied) == 0 && res.Failed == nil))
	if pf != nil && !pf.Skipped && len(pf.Migrations) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(rehearsalHeading(pf)))
		t := table{indent: "  "}
		for _, m := range pf.Migrations {
			var status cell
			note := m.Notice
			switch m.Status {
			case safemigrate.StatusOK:
				status = cell{"ok", st.green}
			case safemigrate.StatusSkipped:
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
	if res.Failed != nil && !listedAbove(pf, res.Failed) {
		fmt.Fprintf(w, "\n%s %s\n", st.red("✗ failed:"), indent(res.Failed.Error()))
	}
	if len(res.Detected) > 0 {
		fmt.Fprintf(w, "\n%s %s\n", st.dim("Detected (delays start now):"), strings.Join(res.Detected, ", "))
	}
	fmt.Fprintln(w)
	switch {
	case runErr != nil && errors.Is(runErr, safemigrate.ErrBlocked):
		fmt.Fprintf(w, "%s strict pre-deploy ran nothing: %s blocked by %s (exit 3).\n", st.red("BLOCKED:"),
			english.Plural(len(res.Plan.Blocked), "migration"), strings.Join(res.Plan.RootCauses(), ", "))
	case runErr != nil && errors.Is(runErr, safemigrate.ErrDrift):
		fmt.Fprintf(w, "%s applied migrations changed since they were applied; nothing was run (exit 2).\n", st.red("REFUSED:"))
	case runErr != nil && errors.Is(runErr, safemigrate.ErrPreflight) && pf != nil && pf.Atomic:
		fmt.Fprintf(w, "%s atomic apply failed; its transaction was rolled back and nothing was applied (exit 1).\n  Fix the migrations above and run again.\n", st.red("FAILED:"))
	case runErr != nil && errors.Is(runErr, safemigrate.ErrPreflight):
		fmt.Fprintf(w, "%s preflight failed; nothing was applied (exit 1).\n  Fix the migrations above and run again.\n", st.red("FAILED:"))
	case runErr != nil && len(res.Applied) == 0 && res.Failed == nil:
		fmt.Fprintf(w, "%s nothing was applied (exit %d).\n", st.red("FAILED:"), exitCode(runErr))
	case runErr != nil:
		fmt.Fprintf(w, "%s %s applied before the failure and kept (exit %d).\n  Fix the failing migration and run again: the run continues where it stopped.\n", st.red("FAILED:"), english.Plural(len(res.Applied), "migration"), exitCode(runErr))
	case res.DryRun:
		fmt.Fprintf(w, "%s dry run: preflight passed for %s; nothing applied.\n", st.green("OK:"), english.Plural(len(res.Plan.Run), "migration"))
	case len(res.Applied) == 0:
		fmt.Fprintf(w, "%s nothing to apply.\n", st.green("OK:"))
	default:
		extra := ""
		if n := len(res.Plan.Blocked); n > 0 {
			extra = fmt.Sprintf(", %s skipped (nonstrict)", english.Plural(n, "blocked migration"))
		}
		fmt.Fprintf(w, "%s %s applied%s.\n", st.green("OK:"), english.Plural(len(res.Applied), "migration"), extra)
	}
}

// listedAbove reports whether an atomic run's report lists failed
// already, with its error. A failure that stopped the run (a released
// migration lock, a lost connection) is not in that list.
func listedAbove(pf *safemigrate.PreflightReport, failed *safemigrate.MigrationError) bool {
	if pf == nil || !pf.Atomic {
		return false
	}
	for _, m := range pf.Migrations {
		if m.ID == failed.ID && m.Error != nil {
			return true
		}
	}
	return false
}

func failureLine(e *safemigrate.MigrationError) string {
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
