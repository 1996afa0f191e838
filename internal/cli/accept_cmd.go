package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/safemigrate/safemigrate"
)

// AcceptCmd re-records the checksum of drifted applied migrations.
type AcceptCmd struct {
	IDs []string `arg:"" optional:"" name:"id" help:"Applied migrations whose file changed (full ID, <chain>/<version> or a root version)."`
	All bool     `help:"Accept every applied migration whose file changed."`
	runFlags
}

// Help shows examples.
func (c *AcceptCmd) Help() string {
	return `An applied migration whose file changed (drift) stops plan, migrate and
preflight. When the change is cosmetic (a comment fix, a reformat), accept
records the file's current checksum as the applied one, printing the old and
the new checksum. It never runs SQL from the file: a change that alters what
the migration does belongs in a new migration.

Examples:
  safemigrate accept 0003_add_email
  safemigrate accept billing/2 0007_orders
  safemigrate accept --all`
}

// Validate checks that migrations or --all are given.
func (c *AcceptCmd) Validate() error {
	if c.All == (len(c.IDs) > 0) {
		return errors.New("name the drifted migrations (accept 0003_add_email …) or pass --all, not both or neither")
	}
	return c.runFlags.Validate()
}

// Run accepts.
func (c *AcceptCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	p, err := env.provider(append(c.runFlags.options(), singleSchema(env)...)...)
	if err != nil {
		return err
	}
	rep, err := p.Accept(ctx, safemigrate.AcceptOptions{IDs: c.IDs, All: c.All})
	if err != nil {
		return err
	}
	return env.emit(format, rep, func() {
		w := env.Stdout
		for _, id := range rep.Unchanged {
			fmt.Fprintf(w, "%s: unchanged (the file matches the applied checksum)\n", id)
		}
		if len(rep.Accepted) == 0 {
			if c.All {
				fmt.Fprintln(w, "Nothing to accept: no applied migration changed.")
			}
			return
		}
		fmt.Fprintf(w, "Accepted (%d): the current file's checksum is now the applied one\n", len(rep.Accepted))
		for _, a := range rep.Accepted {
			fmt.Fprintf(w, "  %s\n    old %s\n    new %s\n", a.ID, a.OldChecksum, a.NewChecksum)
		}
	})
}
