package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/safemigrate/safemigrate"
)

// AdoptCmd records what another migration tool applied.
type AdoptCmd struct {
	From   string `required:"" enum:"goose,golang-migrate,dbmate,flyway" help:"The tool that migrated this database: goose, golang-migrate, dbmate or flyway." placeholder:"TOOL"`
	Table  string `help:"The tool's tracking table when it was configured with another name (default: goose_db_version, schema_migrations, flyway_schema_history), in the tracking schema." placeholder:"NAME"`
	Chain  string `help:"The chain (subdirectory) whose files the tool's versions name (default: the root chain)." placeholder:"CHAIN"`
	DryRun bool   `name:"dry-run" help:"List what would be recorded; write nothing."`
	runFlags
}

// Validate checks the run flags.
func (c *AdoptCmd) Validate() error { return c.runFlags.Validate() }

// Help shows examples.
func (c *AdoptCmd) Help() string {
	return `Takes over a database another tool migrated: reads that tool's tracking
table (only reads it) and records the migrations it applied as applied
(phase "adopted") without running them. Versions with no file and files
the tool never applied are reported. A golang-migrate table marked dirty
is refused: repair the database and run ` + "`migrate force V`" + ` first.

Examples:
  safemigrate adopt --from goose --dry-run
  safemigrate adopt --from golang-migrate --layout golang-migrate --dir db/migrations
  safemigrate adopt --from flyway --table my_schema_history`
}

// Run adopts the other tool's history.
func (c *AdoptCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	p, err := env.provider(append(c.runFlags.options(), singleSchema(env)...)...)
	if err != nil {
		return err
	}
	rep, err := p.Adopt(ctx, safemigrate.AdoptOptions{From: c.From, Table: c.Table, Chain: c.Chain, DryRun: c.DryRun})
	if err != nil {
		return err
	}
	return env.emit(format, rep, func() {
		w := env.Stdout
		fmt.Fprintf(w, "Read %s (%s).\n", rep.Table, rep.From)
		switch {
		case len(rep.Adopted) == 0:
			fmt.Fprintf(w, "Nothing to record: safemigrate has recorded everything %s applied already.\n", rep.From)
		case rep.DryRun:
			fmt.Fprintf(w, "Dry run: would record as applied without running (%d); nothing was written:\n", len(rep.Adopted))
		default:
			fmt.Fprintf(w, "Recorded as applied without running (%d):\n", len(rep.Adopted))
		}
		list(w, rep.Adopted)
		if len(rep.AlreadyApplied) > 0 {
			fmt.Fprintf(w, "Already recorded, left as they are (%d):\n", len(rep.AlreadyApplied))
			list(w, rep.AlreadyApplied)
		}
		if len(rep.MissingFiles) > 0 {
			fmt.Fprintf(w, "Applied by %s but no file has the version (%d): %s\n", rep.From, len(rep.MissingFiles), strings.Join(rep.MissingFiles, ", "))
		}
		if len(rep.NotApplied) > 0 {
			fmt.Fprintf(w, "Never applied by %s, still pending (%d):\n", rep.From, len(rep.NotApplied))
			list(w, rep.NotApplied)
		}
	})
}

// list prints one ID a line, indented.
func list(w io.Writer, ids []string) {
	for _, id := range ids {
		fmt.Fprintf(w, "  %s\n", id)
	}
}
