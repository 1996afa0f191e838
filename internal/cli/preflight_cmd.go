package cli

import (
	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/planner"
)

// PreflightCmd rehearses pending migrations and rolls back.
type PreflightCmd struct {
	Phase      string `default:"post-deploy" enum:"pre-deploy,post-deploy" help:"Which phase's selection to rehearse (default post-deploy: everything pending)."`
	Mode       string `help:"Pre-deploy mode: strict (default), nonstrict or disabled." placeholder:"MODE"`
	AllowDrift bool   `name:"allow-drift" help:"Rehearse even if applied migrations changed on disk."`
	runFlags
	tenantFlags
}

// Help shows examples.
func (c *PreflightCmd) Help() string {
	return `Runs every selected migration in one transaction, a savepoint each, checks
deferred constraints after each, reports every failure, and rolls everything
back. transaction: false migrations are skipped on the target (with a notice).

Examples:
  safemigrate preflight
  safemigrate preflight --phase pre-deploy --format json`
}

// Validate checks the mode.
func (c *PreflightCmd) Validate() error { return validMode(c.Mode) }

// Run rehearses.
func (c *PreflightCmd) Run(env *Env) error {
	if c.tenantFlags.active(env) {
		return runFleet(env, &c.runFlags, &c.tenantFlags, fleetRun{phase: c.Phase, mode: c.Mode, allowDrift: c.AllowDrift, dryRun: true})
	}
	d, err := env.openDB(&c.runFlags)
	if err != nil {
		return err
	}
	opts := d.opts
	opts.Phase, opts.Mode, opts.AllowDrift, opts.DryRun = planner.Phase(c.Phase), env.mode(c.Mode), c.AllowDrift, true
	res, runErr := executor.Run(env.Ctx, d.target, d.graph, opts)
	return reportRun(env, d.format, res, runErr)
}
