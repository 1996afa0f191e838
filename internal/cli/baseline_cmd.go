package cli

import (
	"context"
	"fmt"

	"github.com/safemigrate/safemigrate"
)

// BaselineCmd records migrations as applied without running them.
type BaselineCmd struct {
	Through string `required:"" help:"Record this migration and everything it depends on as applied (full ID, <chain>/<version> or a root version)." placeholder:"ID"`
	DryRun  bool   `name:"dry-run" help:"List what would be recorded; write nothing."`
	runFlags
}

// Validate checks the run flags.
func (c *BaselineCmd) Validate() error { return c.runFlags.Validate() }

// Help shows examples.
func (c *BaselineCmd) Help() string {
	return `Adopts an existing database: the schema already has what these migrations
create, so they are recorded (phase "baseline") without being run.

Examples:
  safemigrate baseline --through 0042_add_orders_status --dry-run
  safemigrate baseline --through 0042_add_orders_status
  safemigrate baseline --through billing/7`
}

// Run records the baseline.
func (c *BaselineCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	p, err := env.provider(append(c.runFlags.options(), singleSchema(env)...)...)
	if err != nil {
		return err
	}
	rep, err := p.Baseline(ctx, c.Through, safemigrate.BaselineOptions{DryRun: c.DryRun})
	if err != nil {
		return err
	}
	return env.emit(format, rep, func() {
		if len(rep.Recorded) == 0 {
			fmt.Fprintf(env.Stdout, "Nothing to record: %s and its dependencies are already applied.\n", rep.Through)
			return
		}
		if rep.DryRun {
			fmt.Fprintf(env.Stdout, "Dry run: would record as applied without running (%d); nothing was written:\n", len(rep.Recorded))
		} else {
			fmt.Fprintf(env.Stdout, "Recorded as applied without running (%d):\n", len(rep.Recorded))
		}
		for _, id := range rep.Recorded {
			fmt.Fprintf(env.Stdout, "  %s\n", id)
		}
	})
}
