package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
)

// States reads every tenant's tracking tables, jobs at a time (0 means
// [DefaultJobs]), without taking the locks, as [executor.ReadState] does
// for one database: for `plan` and `status`. The states are in the fleet's
// order. When tenants cannot be read (a server down, a database missing),
// the others are still read: the states of those are returned, nil for
// the failed ones, with a *StatesError that names every failed tenant.
func (f *Fleet) States(ctx context.Context, jobs int) ([]*executor.State, error) {
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	targets := f.Targets()
	states := make([]*executor.State, len(targets))
	errs := make([]*TenantError, len(targets))
	(&run{targets: targets, jobs: jobs, perServer: jobs}).each(len(targets), func() bool { return ctx.Err() != nil }, func(i int) {
		st, err := executor.ReadState(ctx, targets[i])
		if err != nil {
			errs[i] = &TenantError{Tenant: f.names[i], Err: err}
			return
		}
		states[i] = st
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	se := &StatesError{Tenants: len(targets)}
	for _, err := range errs {
		if err != nil {
			se.Failures = append(se.Failures, err)
		}
	}
	if len(se.Failures) > 0 {
		return states, se
	}
	return states, nil
}

// StatesError is a read of a fleet's states ([Fleet.States]) in which
// some tenants could not be read. Unwrap exposes each tenant's failure,
// so that errors.Is(err, executor.ErrConnect) tells an unreachable server.
type StatesError struct {
	Failures []*TenantError
	// Tenants is the size of the fleet.
	Tenants int
}

// Error names every tenant that could not be read, and what to do.
func (e *StatesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d tenants could not be read; the others are shown:", len(e.Failures), e.Tenants)
	for _, f := range e.Failures {
		b.WriteString("\n")
		b.WriteString(strings.ReplaceAll(f.Error(), "\n", "\n  "))
	}
	unreachable := false
	for _, f := range e.Failures {
		unreachable = unreachable || errors.Is(f.Err, executor.ErrConnect)
	}
	if unreachable {
		b.WriteString("\nstart the servers of those that could not be reached, or fix their connection strings (the databases file, query or config), then run again")
	} else {
		b.WriteString("\nfix what is named above for each of them, then run again")
	}
	return b.String()
}

// Unwrap returns every tenant's failure.
func (e *StatesError) Unwrap() []error { return tenantErrors(e.Failures) }

// For returns why tenant could not be read, nil when it was.
func (e *StatesError) For(tenant string) error {
	for _, f := range e.Failures {
		if f.Tenant == tenant {
			return f.Err
		}
	}
	return nil
}
