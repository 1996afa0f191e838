package safemigrate

import (
	"context"
	"errors"

	"github.com/safemigrate/safemigrate/executor"
)

// Baseline records migration through and everything it depends on as
// applied (phase "baseline") without running them: adopting a database
// that already has what they create. An unknown ID is an error wrapping
// [ErrNotFound].
func (p *Provider) Baseline(ctx context.Context, through string) (*BaselineReport, error) {
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	t, err := p.target("baseline")
	if err != nil {
		return nil, err
	}
	ids, err := executor.Baseline(ctx, t, g, through, p.execOptions())
	if errors.Is(err, ErrNotFound) {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	if err != nil {
		return nil, err
	}
	return &BaselineReport{OK: true, Through: through, Recorded: nonNil(ids)}, nil
}

// BaselineReport is the `baseline` JSON: what was recorded as applied.
type BaselineReport struct {
	OK      bool   `json:"ok"`
	Through string `json:"-"`
	// Recorded lists the migrations recorded by this call, in order;
	// empty when through and its dependencies were applied already.
	Recorded []string `json:"recorded"`
}
