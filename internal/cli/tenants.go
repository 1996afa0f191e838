package cli

import (
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate"
)

// tenantFlags select a tenant fleet (docs/executing.md#tenant-fleets) for migrate,
// preflight, plan and status. Either flag replaces tenants.schemas /
// tenants.query of safemigrate.yaml; tenants.search_path applies either
// way.
type tenantFlags struct {
	Schemas      []string  `name:"schemas" sep:"," xor:"tenant-source" help:"Tenant schemas (comma-separated), each migrated with its own tracking tables; overrides tenants: in the config." placeholder:"S,S"`
	SchemasQuery string    `name:"schemas-query" xor:"tenant-source" help:"SQL returning the tenant schemas as one text column, run read-only on the database." placeholder:"SQL"`
	Jobs         countFlag `name:"jobs" help:"Tenants worked on at a time (default: tenants.jobs in the config, else min(4, CPUs))." placeholder:"N"`
}

// Validate checks --jobs.
func (f *tenantFlags) Validate() error {
	if f.Jobs.Set && f.Jobs.N < 1 {
		return fmt.Errorf("--jobs must be at least 1 (got %d): it is how many tenants are worked on at a time", f.Jobs.N)
	}
	return nil
}

// active reports whether the command runs on a tenant fleet: a tenant
// flag, or tenants in the configuration.
func (f *tenantFlags) active(env *Env) bool {
	tn := env.Config.Tenants
	return len(f.Schemas) > 0 || f.SchemasQuery != "" || len(tn.Schemas) > 0 || tn.Query != ""
}

// option is the provider option of the fleet: flags, then config; none
// when no fleet is configured.
func (f *tenantFlags) option(env *Env) ([]safemigrate.Option, error) {
	if !f.active(env) {
		return nil, nil
	}
	tn := safemigrate.Tenants{SearchPath: env.Config.Tenants.SearchPath, Jobs: f.Jobs.N}
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

// singleSchema refuses a configuration with tenants for the commands that
// work on one schema: running on the database's default schema instead
// would be silently wrong.
func singleSchema(env *Env) []safemigrate.Option {
	tn := env.Config.Tenants
	if len(tn.Schemas) > 0 || tn.Query != "" {
		return []safemigrate.Option{safemigrate.WithTenants(safemigrate.Tenants{Schemas: tn.Schemas, Query: tn.Query})}
	}
	return nil
}
