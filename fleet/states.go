package fleet

import (
	"context"

	"github.com/safemigrate/safemigrate/executor"
)

// States reads every tenant's tracking tables, jobs at a time (0 means
// [DefaultJobs]), without taking the locks, as [executor.ReadState] does
// for one database: for `plan` and `status`. The states are in the fleet's
// order. The first failure is returned as a *TenantError.
func (f *Fleet) States(ctx context.Context, jobs int) ([]*executor.State, error) {
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	targets := f.Targets()
	states := make([]*executor.State, len(targets))
	errs := make([]error, len(targets))
	(&run{targets: targets, jobs: jobs, perServer: jobs}).each(len(targets), func() bool { return ctx.Err() != nil }, func(i int) {
		st, err := executor.ReadState(ctx, targets[i])
		states[i] = st
		if err != nil {
			errs[i] = &TenantError{Tenant: f.names[i], Err: err}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return states, nil
}
