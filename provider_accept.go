package safemigrate

import (
	"context"
	"errors"

	"github.com/safemigrate/safemigrate/executor"
)

// ErrNotApplied is [Provider.Accept] given a migration that is not
// recorded as applied.
var ErrNotApplied = executor.ErrNotApplied

// AcceptOptions select what [Provider.Accept] re-records.
type AcceptOptions struct {
	// IDs are the migrations to accept: full IDs, <chain>/<version> or
	// root-chain versions, as in depends.
	IDs []string
	// All accepts every applied migration that drifted.
	All bool
}

// Accepted is a migration whose checksum [Provider.Accept] re-recorded.
type Accepted = executor.Accepted

// AcceptReport is the `accept` JSON.
type AcceptReport struct {
	OK bool `json:"ok"`
	// Accepted lists the re-recorded migrations with the old and new
	// checksums, in graph order.
	Accepted []Accepted `json:"accepted"`
	// Unchanged lists named migrations whose file had not changed.
	Unchanged []string `json:"unchanged"`
}

// Accept records the current checksum of applied migrations whose file
// changed since they were applied (a comment fix, a reformat), so that
// plan and migrate stop refusing them as drift (docs/planning.md). It
// never runs SQL from the files. Naming a migration that is not applied
// is an error wrapping [ErrNotApplied] and nothing is recorded.
func (p *Provider) Accept(ctx context.Context, opts AcceptOptions) (*AcceptReport, error) {
	if opts.All == (len(opts.IDs) > 0) {
		return nil, &InputError{Msg: "accept: name the migrations (accept 0003_add_email …) or pass --all, not both or neither"}
	}
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(opts.IDs))
	for k, ref := range opts.IDs {
		if ids[k], err = resolveRef(g, "accept", ref); err != nil {
			return nil, err
		}
	}
	t, err := p.target("accept")
	if err != nil {
		return nil, err
	}
	res, err := executor.Accept(ctx, t, g, ids, opts.All, p.execOptions())
	if errors.Is(err, ErrNotApplied) {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	if err != nil {
		return nil, privilegeError(err)
	}
	return &AcceptReport{OK: true, Accepted: res.Accepted, Unchanged: res.Unchanged}, nil
}
