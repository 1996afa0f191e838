package safemigrate

import (
	"context"
	"errors"

	"github.com/safemigrate/safemigrate/executor"
)

// BaselineOptions adjust [Provider.Baseline].
type BaselineOptions struct {
	// DryRun lists what would be recorded and writes nothing.
	DryRun bool
}

// Baseline records migration through and everything it depends on as
// applied (phase "baseline") without running them: adopting a database
// that already has what they create. through may be a full ID,
// <chain>/<version> or a root-chain version, as in depends. An unknown
// ID is an error wrapping [ErrNotFound] (with the closest ID, if any).
func (p *Provider) Baseline(ctx context.Context, through string, opts ...BaselineOptions) (*BaselineReport, error) {
	var o BaselineOptions
	for _, x := range opts {
		o.DryRun = o.DryRun || x.DryRun
	}
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	id, err := resolveRef(g, "baseline --through", through)
	if err != nil {
		return nil, err
	}
	t, err := p.target("baseline")
	if err != nil {
		return nil, err
	}
	eo := p.execOptions()
	eo.DryRun = o.DryRun
	ids, err := executor.Baseline(ctx, t, g, id, eo)
	if errors.Is(err, ErrNotFound) {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	if err != nil {
		return nil, privilegeError(err)
	}
	return &BaselineReport{OK: true, DryRun: o.DryRun, Through: id, Recorded: nonNil(ids)}, nil
}

// BaselineReport is the `baseline` JSON: what was recorded as applied.
type BaselineReport struct {
	OK bool `json:"ok"`
	// DryRun is true when nothing was written: Recorded is what would be.
	DryRun bool `json:"dry_run,omitempty"`
	// Through is the resolved ID of the migration asked for.
	Through string `json:"-"`
	// Recorded lists the migrations recorded by this call, in order;
	// empty when through and its dependencies were applied already.
	Recorded []string `json:"recorded"`
}
