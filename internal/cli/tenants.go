package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/safemigrate/safemigrate"
)

// tenantFlags select a tenant fleet (docs/executing.md#tenant-fleets) for migrate,
// preflight, plan and status. Either flag replaces tenants.schemas /
// tenants.query of safemigrate.yaml; tenants.search_path applies either
// way. --databases or --databases-query (or tenants.databases) make it a
// fleet of databases (docs/executing.md#fleets-of-databases), with the
// schemas, if any, in each of them.
type tenantFlags struct {
	Schemas      []string  `name:"schemas" sep:"," xor:"tenant-source" help:"Tenant schemas (comma-separated), each migrated with its own tracking tables; overrides tenants: in the config." placeholder:"S,S"`
	SchemasQuery string    `name:"schemas-query" xor:"tenant-source" help:"SQL returning the tenant schemas as one text column, run read-only on the database." placeholder:"SQL"`
	Jobs         countFlag `name:"jobs" help:"Tenants worked on at a time (default: tenants.jobs in the config, else min(4, CPUs))." placeholder:"N"`

	Databases      string    `name:"databases" xor:"database-source" help:"File listing tenant databases, one connection string per line (blank lines and # comments skipped): each database (each --schemas schema in it, when given) is a tenant; overrides tenants.databases." placeholder:"FILE"`
	DatabasesQuery string    `name:"databases-query" xor:"database-source" help:"SQL returning the tenant databases' connection strings as one text column, run read-only on --database-url." placeholder:"SQL"`
	JobsPerServer  countFlag `name:"jobs-per-server" help:"Tenants worked on at a time, and connections, per server of a database fleet (default: tenants.jobs_per_server, else --jobs); only with a fleet of databases." placeholder:"N"`
}

// Validate checks --jobs.
func (f *tenantFlags) Validate() error {
	if f.Jobs.Set && f.Jobs.N < 1 {
		return fmt.Errorf("--jobs must be at least 1 (got %d): it is how many tenants are worked on at a time", f.Jobs.N)
	}
	if f.JobsPerServer.Set && f.JobsPerServer.N < 1 {
		return fmt.Errorf("--jobs-per-server must be at least 1 (got %d): it is how many tenants of one server are worked on at a time", f.JobsPerServer.N)
	}
	return nil
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

// option is the provider option of the fleet: flags, then config; none
// when no fleet is configured.
func (f *tenantFlags) option(env *Env) ([]safemigrate.Option, error) {
	if f.JobsPerServer.Set && !f.databases(env) {
		// Silently ignored, it would leave the user believing in a
		// connection budget that nothing enforces.
		return nil, usageError("--jobs-per-server applies to a fleet of databases only (--databases, --databases-query or tenants.databases); a fleet of schemas is bounded by --jobs")
	}
	if !f.active(env) {
		return nil, nil
	}
	tn := safemigrate.Tenants{SearchPath: env.Config.Tenants.SearchPath, Jobs: f.Jobs.N, JobsPerServer: f.JobsPerServer.N}
	if f.databases(env) {
		if err := f.databaseList(env, &tn); err != nil {
			return nil, err
		}
	}
	switch {
	case len(f.Schemas) > 0:
		for _, s := range f.Schemas {
			if s = strings.TrimSpace(s); s != "" {
				tn.Schemas = append(tn.Schemas, s)
			}
		}
		if len(tn.Schemas) == 0 {
			return nil, usageError("--schemas names no schema")
		}
	case f.SchemasQuery != "":
		tn.Query = f.SchemasQuery
	default:
		tn.Schemas, tn.Query = env.Config.Tenants.Schemas, env.Config.Tenants.Query
	}
	return []safemigrate.Option{safemigrate.WithTenants(tn)}, nil
}

// databaseList fills the fleet of databases: the --databases file, the
// query, or tenants.databases. The file's lines may hold passwords: they
// never appear in messages.
func (f *tenantFlags) databaseList(env *Env, tn *safemigrate.Tenants) error {
	switch {
	case f.Databases != "":
		data, err := os.ReadFile(f.Databases)
		if err != nil {
			return usageError("--databases: %v", err)
		}
		if tn.Databases, err = safemigrate.ParseDatabaseList(f.Databases, data); err != nil {
			return err
		}
	case f.DatabasesQuery != "":
		tn.DatabasesQuery = f.DatabasesQuery
	default:
		tn.Databases = env.Config.Tenants.Databases
	}
	return nil
}

// singleSchema refuses a configuration with tenants for the commands that
// work on one schema: running on the database's default schema instead
// would be silently wrong.
func singleSchema(env *Env) []safemigrate.Option {
	tn := env.Config.Tenants
	if len(tn.Schemas) > 0 || tn.Query != "" || len(tn.Databases) > 0 {
		return []safemigrate.Option{safemigrate.WithTenants(safemigrate.Tenants{Schemas: tn.Schemas, Query: tn.Query, Databases: tn.Databases})}
	}
	return nil
}
