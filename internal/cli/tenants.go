package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/planner"
)

// tenantFlags select a tenant fleet (SPEC §4) for migrate, preflight, plan
// and status. Either flag replaces tenants.schemas / tenants.query of
// safemigrate.yaml; tenants.search_path applies either way.
type tenantFlags struct {
	Schemas      []string `name:"schemas" sep:"," xor:"tenant-source" help:"Tenant schemas (comma-separated), each migrated with its own tracking tables; overrides tenants: in the config." placeholder:"S,S"`
	SchemasQuery string   `name:"schemas-query" xor:"tenant-source" help:"SQL returning the tenant schemas as one text column, run read-only on the database." placeholder:"SQL"`
	Jobs         jobsFlag `name:"jobs" help:"Tenants worked on at a time (default: tenants.jobs in the config, else min(4, CPUs))." placeholder:"N"`
}

// active reports whether the command runs on a tenant fleet: a tenant
// flag, or tenants in the configuration.
func (f *tenantFlags) active(env *Env) bool {
	tn := env.Config.Tenants
	return len(f.Schemas) > 0 || f.SchemasQuery != "" || len(tn.Schemas) > 0 || tn.Query != ""
}

// source resolves where the tenants come from: flags, then config.
func (f *tenantFlags) source(env *Env) (fleet.Source, error) {
	src := fleet.Source{SearchPath: env.Config.Tenants.SearchPath}
	switch {
	case len(f.Schemas) > 0:
		for _, s := range f.Schemas {
			if s = strings.TrimSpace(s); s != "" {
				src.Schemas = append(src.Schemas, s)
			}
		}
		if len(src.Schemas) == 0 {
			return src, usageError("--schemas names no schema")
		}
	case f.SchemasQuery != "":
		src.Query = f.SchemasQuery
	default:
		src.Schemas, src.Query = env.Config.Tenants.Schemas, env.Config.Tenants.Query
	}
	return src, nil
}

// jobs resolves the parallelism: flag, then config, then the default.
func (f *tenantFlags) jobs(env *Env) (int, error) {
	switch {
	case f.Jobs > 0: // validated by kong: see jobsFlag
		return int(f.Jobs), nil
	case env.Config.Tenants.Jobs > 0:
		return env.Config.Tenants.Jobs, nil
	}
	return fleet.DefaultJobs(), nil
}

// fleetCommand is what a fleet command starts from: a [dbCommand] whose
// target is the database the tenants live in, and the fleet.
type fleetCommand struct {
	*dbCommand
	fleet *fleet.Fleet
	jobs  int
}

// openFleet prepares a fleet command: output format, migrations, the
// tenants (resolved and checked on the database) and, when flags is not
// nil, the executor options.
func (e *Env) openFleet(tf *tenantFlags, flags *runFlags) (*fleetCommand, error) {
	db, err := e.open(flags, e.database)
	if err != nil {
		return nil, err
	}
	jobs, err := tf.jobs(e)
	if err != nil {
		return nil, err
	}
	src, err := tf.source(e)
	if err != nil {
		return nil, err
	}
	d := &fleetCommand{dbCommand: db, jobs: jobs}
	f, err := fleet.New(e.Ctx, db.target, src)
	if err != nil {
		return nil, fleetError(err)
	}
	if len(f.Schemas()) == 0 {
		fmt.Fprintln(e.Stderr, "warning: the tenants query returned no schema: there is nothing to do")
	}
	d.fleet = f
	return d, nil
}

// fleetError maps a fleet's error to the exit code (SPEC §5): after
// anything was applied, a failure is exit 1; before, drift, connection
// and lock-wait problems are exit 2, blocking exit 3, failed rehearsals 1.
func fleetError(err error) error {
	var fe *fleet.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe) && fe.Pass != fleet.PassPreflight:
		return withCode(ExitFailure, err)
	case errors.As(err, &fe):
		switch {
		case errors.Is(err, executor.ErrDrift), errors.Is(err, executor.ErrConnect),
			errors.Is(err, executor.ErrLockWait), errors.Is(err, planner.ErrInitialNotEmpty),
			errors.Is(err, executor.ErrUntrustedTracking):
			return withCode(ExitUsage, err)
		case errors.Is(err, executor.ErrBlocked):
			return withCode(ExitBlocked, err)
		case errors.Is(err, executor.ErrInput): // a file that cannot run as written
			return withCode(ExitUsage, err)
		}
		return withCode(ExitFailure, err)
	case errors.Is(err, fleet.ErrSchema), errors.Is(err, fleet.ErrQuery):
		return withCode(ExitUsage, err)
	}
	return execError(err)
}
