package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/planner"
)

// tenantFlags select a tenant fleet (docs/executing.md) for migrate, preflight, plan
// and status. Either flag replaces tenants.schemas / tenants.query of
// safemigrate.yaml; tenants.search_path applies either way.
type tenantFlags struct {
	Schemas      []string `name:"schemas" sep:"," xor:"tenant-source" help:"Tenant schemas (comma-separated), each migrated with its own tracking tables; overrides tenants: in the config." placeholder:"S,S"`
	SchemasQuery string   `name:"schemas-query" xor:"tenant-source" help:"SQL returning the tenant schemas as one text column, run read-only on the database." placeholder:"SQL"`
	Jobs         string   `name:"jobs" help:"Tenants worked on at a time (default: tenants.jobs in the config, else min(4, CPUs))." placeholder:"N"`

	Databases      string `name:"databases" xor:"database-source" help:"File listing tenant databases, one connection string per line (blank lines and # comments skipped): each database (each --schemas schema in it, when given) is a tenant; overrides tenants.databases." placeholder:"FILE"`
	DatabasesQuery string `name:"databases-query" xor:"database-source" help:"SQL returning the tenant databases' connection strings as one text column, run read-only on --database-url." placeholder:"SQL"`
	JobsPerServer  string `name:"jobs-per-server" help:"Tenants worked on at a time, and connections, per server of a database fleet (default: tenants.jobs_per_server, else --jobs)." placeholder:"N"`
}

// active reports whether the command runs on a tenant fleet: a tenant
// flag, or tenants in the configuration.
func (f *tenantFlags) active(env *Env) bool {
	tn := env.Config.Tenants
	return len(f.Schemas) > 0 || f.SchemasQuery != "" || len(tn.Schemas) > 0 || tn.Query != "" || f.databases(env)
}

// databases reports whether the tenants are databases: a flag, or
// tenants.databases in the configuration.
func (f *tenantFlags) databases(env *Env) bool {
	return f.Databases != "" || f.DatabasesQuery != "" || len(env.Config.Tenants.Databases) > 0
}

// databaseSource resolves a fleet of databases: the list (flag file, then
// config) or the query, and the schemas within them (flag, then config).
// The file's lines may hold passwords: they never appear in messages.
func (f *tenantFlags) databaseSource(env *Env, via executor.Target) (fleet.DatabaseSource, error) {
	src := fleet.DatabaseSource{SearchPath: env.Config.Tenants.SearchPath, TrackingSchema: env.Config.TrackingSchema}
	switch {
	case f.SchemasQuery != "" || (len(f.Schemas) == 0 && env.Config.Tenants.Query != ""):
		return src, usageError("with a fleet of databases, give the tenant schemas as a list (--schemas or tenants.schemas), not a query")
	case len(f.Schemas) > 0:
		for _, s := range f.Schemas {
			if s = strings.TrimSpace(s); s != "" {
				src.Schemas = append(src.Schemas, s)
			}
		}
	default:
		src.Schemas = env.Config.Tenants.Schemas
	}
	switch {
	case f.Databases != "":
		data, err := os.ReadFile(f.Databases)
		if err != nil {
			return src, usageError("--databases: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				src.URLs = append(src.URLs, line)
			}
		}
		if len(src.URLs) == 0 {
			return src, usageError("--databases %s lists no database (one connection string per line)", f.Databases)
		}
	case f.DatabasesQuery != "":
		src.Query, src.Via = f.DatabasesQuery, via
	default:
		src.URLs = env.Config.Tenants.Databases
	}
	return src, nil
}

// jobsPerServer resolves the per-server bound: flag, then config, then
// 0 (the fleet uses --jobs).
func (f *tenantFlags) jobsPerServer(env *Env) (int, error) {
	if f.JobsPerServer != "" {
		var n int
		if _, err := fmt.Sscanf(f.JobsPerServer, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != f.JobsPerServer {
			return 0, usageError("--jobs-per-server %q is not a whole number ≥ 1", f.JobsPerServer)
		}
		return n, nil
	}
	return env.Config.Tenants.JobsPerServer, nil
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
	case f.Jobs != "":
		var n int
		if _, err := fmt.Sscanf(f.Jobs, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != f.Jobs {
			return 0, usageError("--jobs %q is not a whole number ≥ 1", f.Jobs)
		}
		return n, nil
	case env.Config.Tenants.Jobs > 0:
		return env.Config.Tenants.Jobs, nil
	}
	return fleet.DefaultJobs(), nil
}

// fleetCommand is what a fleet command starts from: a [dbCommand] whose
// target is the database the tenants live in, and the fleet.
type fleetCommand struct {
	*dbCommand
	fleet     *fleet.Fleet
	jobs      int
	perServer int
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
	perServer, err := tf.jobsPerServer(e)
	if err != nil {
		return nil, err
	}
	d := &fleetCommand{dbCommand: db, jobs: jobs, perServer: perServer}
	var f *fleet.Fleet
	if tf.databases(e) {
		src, err := tf.databaseSource(e, db.target)
		if err != nil {
			return nil, err
		}
		if f, err = fleet.NewDatabases(e.Ctx, src); err != nil {
			return nil, fleetError(err)
		}
	} else {
		src, err := tf.source(e)
		if err != nil {
			return nil, err
		}
		if f, err = fleet.New(e.Ctx, db.target, src); err != nil {
			return nil, fleetError(err)
		}
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
			errors.Is(err, executor.ErrUntrustedTracking), errors.Is(err, fleet.ErrSchema):
			return withCode(ExitUsage, err)
		case errors.Is(err, executor.ErrBlocked):
			return withCode(ExitBlocked, err)
		}
		return withCode(ExitFailure, err)
	case errors.Is(err, fleet.ErrSchema), errors.Is(err, fleet.ErrQuery), errors.Is(err, fleet.ErrDatabases):
		return withCode(ExitUsage, err)
	}
	return execError(err)
}
