package safemigrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
)

// The tools whose tracking tables [Provider.Adopt] reads
// (docs/commands.md, "adopt").
const (
	FromGoose         = executor.FromGoose
	FromGolangMigrate = executor.FromGolangMigrate
	FromDbmate        = executor.FromDbmate
	FromFlyway        = executor.FromFlyway
)

// AdoptTools lists the tools [Provider.Adopt] reads.
var AdoptTools = slices.Clone(executor.AdoptTools)

// PhaseAdopted is the phase recorded for adopted migrations.
const PhaseAdopted = executor.PhaseAdopted

// DirtyError is the error of [Provider.Adopt] for a golang-migrate table
// marked dirty: it names the version and says to repair the database and
// run `migrate force V` first. It matches [ErrInput].
type DirtyError = executor.DirtyError

// AdoptOptions adjust [Provider.Adopt].
type AdoptOptions struct {
	// From is the tool that migrated the database: one of [AdoptTools].
	From string
	// Table is that tool's tracking table in the tracking schema when it
	// was configured with another name; empty means the tool's default
	// (goose_db_version, schema_migrations, flyway_schema_history).
	Table string
	// Chain is the chain (subdirectory) whose files the tool's versions
	// name; empty means the root chain.
	Chain string
	// DryRun lists what would be recorded and writes nothing.
	DryRun bool
}

// Adopt reads the tracking table another tool (goose, golang-migrate,
// dbmate, Flyway) keeps in the tracking schema and records the migrations
// it applied as applied (phase "adopted") without running them, in one
// transaction under the migration lock. The other tool's table is only
// read. Versions the tool recorded that match no file, and files the
// tool never applied, are reported; neither is an error. A golang-migrate
// table marked dirty, a missing table or one of another shape is an
// error matching [ErrInput]; nothing is recorded then.
func (p *Provider) Adopt(ctx context.Context, opts AdoptOptions) (*AdoptReport, error) {
	if !slices.Contains(executor.AdoptTools, opts.From) {
		return nil, &InputError{Msg: fmt.Sprintf("adopt --from %q: use one of %s", opts.From, strings.Join(executor.AdoptTools, ", "))}
	}
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	t, err := p.target("adopt")
	if err != nil {
		return nil, err
	}
	eo := p.execOptions()
	eo.DryRun = opts.DryRun
	a, err := executor.Adopt(ctx, t, g, executor.AdoptOptions{From: opts.From, Table: opts.Table, Chain: opts.Chain}, eo)
	if errors.Is(err, executor.ErrAdopt) {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	if err != nil {
		return nil, privilegeError(err)
	}
	return &AdoptReport{OK: true, From: opts.From, Table: a.Table, DryRun: opts.DryRun,
		Adopted: a.Adopted, AlreadyApplied: a.AlreadyApplied, MissingFiles: a.MissingFiles, NotApplied: a.NotApplied}, nil
}

// AdoptReport is the `adopt` JSON (docs/json.md).
type AdoptReport struct {
	OK bool `json:"ok"`
	// From is the tool whose table was read.
	From string `json:"from"`
	// Table is the table that was read, schema.table.
	Table string `json:"table"`
	// Adopted lists the migrations recorded as applied by this call, in
	// order; with DryRun, what would be.
	Adopted []string `json:"adopted"`
	// AlreadyApplied lists migrations the tool applied that safemigrate
	// had recorded already.
	AlreadyApplied []string `json:"already_applied"`
	// MissingFiles lists versions the tool applied that no file has.
	MissingFiles []string `json:"missing_files"`
	// NotApplied lists files the tool never applied; they stay pending.
	NotApplied []string `json:"not_applied"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dry_run"`
}
