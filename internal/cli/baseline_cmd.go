package cli

import (
	"errors"
	"fmt"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/migration"
)

// BaselineCmd records migrations as applied without running them.
type BaselineCmd struct {
	Through string `required:"" help:"Record this migration and everything it depends on as applied." placeholder:"ID"`
	runFlags
}

// Help shows examples.
func (c *BaselineCmd) Help() string {
	return `Adopts an existing database: the schema already has what these migrations
create, so they are recorded (phase "baseline") without being run.

Example:
  safemigrate baseline --through 0042_add_orders_status`
}

// Run records the baseline.
func (c *BaselineCmd) Run(env *Env) error {
	d, err := env.openDB(&c.runFlags)
	if err != nil {
		return err
	}
	opts := d.opts
	ids, err := executor.Baseline(env.Ctx, d.target, d.graph, c.Through, opts)
	if errors.Is(err, migration.ErrNotFound) {
		return withCode(ExitUsage, err)
	}
	if err != nil {
		return execError(err)
	}
	if d.format == "json" {
		return writeJSON(env.Stdout, map[string]any{"ok": true, "recorded": ids})
	}
	if len(ids) == 0 {
		fmt.Fprintf(env.Stdout, "Nothing to record: %s and its dependencies are already applied.\n", c.Through)
		return nil
	}
	fmt.Fprintf(env.Stdout, "Recorded as applied without running (%d):\n", len(ids))
	for _, id := range ids {
		fmt.Fprintf(env.Stdout, "  %s\n", id)
	}
	return nil
}
