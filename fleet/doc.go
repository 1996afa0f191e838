// Package fleet migrates many tenants all-or-nothing (docs/executing.md,
// "Tenant fleets"): rehearse every tenant first, and apply anywhere only
// when every tenant passed. A tenant is a schema of one database ([New]),
// or a database, or a schema in each of many databases on many servers
// ([NewDatabases]).
//
// # Tenants
//
// A tenant is a schema. Its migrations run with search_path set to the
// schema (quoted as an identifier, so "Acme-EU" and "big co" work),
// followed by the schemas of Source.SearchPath; its tracking tables
// (safemigrate_migrations, …) live in the schema itself, and its
// migration lock is the lock of that tracking schema, so a single-schema
// run with tracking_schema set to a tenant and a fleet run never overlap.
//
//	db, err := executor.ParseTarget(os.Getenv("DATABASE_URL"))
//	f, err := fleet.New(ctx, db, fleet.Source{
//		Query:      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' ORDER BY 1`,
//		SearchPath: []string{"public"},
//	})
//	res, err := f.Run(ctx, g, fleet.Options{
//		Exec: executor.Options{Phase: planner.PreDeploy, Log: os.Stderr},
//		Jobs: 8,
//	})
//	var fe *fleet.Error
//	switch {
//	case errors.As(err, &fe) && fe.Pass == fleet.PassApply: // exit 1: some tenants applied, rerun continues
//	case errors.Is(err, executor.ErrDrift):                 // exit 2: nothing ran anywhere
//	case errors.Is(err, executor.ErrBlocked):               // exit 3: nothing ran anywhere
//	case errors.Is(err, executor.ErrPreflight):             // exit 1: nothing applied anywhere
//	}
//	json.NewEncoder(os.Stdout).Encode(res) // docs/json.md with "tenants"
//
// [New] resolves the schemas (a list, or a query returning one text
// column) and checks that each exists: a missing one is a *[SchemaError]
// before anything runs. [Fleet.Run] does the two passes; [Fleet.States]
// reads every tenant's tracking tables for `plan` and `status`.
//
// # Atomic fleets
//
// With Options.Exec.Atomic, [Fleet.Run] makes one pass instead of two
// (docs/executing.md, "One pass per tenant"): each tenant is planned
// under its lock and applied by [executor.Session.ApplyAtomic], its
// rehearsal being its apply, on the same workers and connections. A
// tenant's failure rolls back its failing transaction and stops new
// tenants from starting; the *[Error] has Pass PassPreflight when no
// tenant committed anything, PassApply otherwise. There is no variant
// with every tenant in one transaction: its locks would outgrow the
// server's lock table and keep every tenant locked until the last one is
// done (the docs say more).
//
// # Locks, connections and concurrency
//
// [Fleet.Run] takes every tenant's migration lock before it plans any
// tenant and holds them until its last tenant is done, so no other run
// can change a tenant between its rehearsal and its apply. The locks are
// held by one connection ([executor.LockAll]); the passes work
// Options.Jobs tenants at a time, each worker keeping its session from
// tenant to tenant ([executor.LockSet.Retarget]). A run therefore uses
// Jobs+1 connections (a tenant's monitoring connection comes on top only
// while one of its statements waits for a lock), not one per tenant: a
// fleet of thousands of tenants fits in max_connections. The price is a
// slot of the server's lock table per tenant.
//
// # Fleets of databases
//
//	f, err := fleet.NewDatabases(ctx, fleet.DatabaseSource{URLs: urls})
//	res, err := f.Run(ctx, g, fleet.Options{Exec: opts, Jobs: 16, JobsPerServer: 4})
//
// Tenants are named "host/database" ([DatabaseName]), never by their
// connection strings. One connection cannot hold the locks of many
// databases, so each tenant's lock is held while the tenant is worked on
// in a pass, and the apply pass plans the tenant again under its lock: the
// rehearsed migrations, or their tail, are applied; anything else is a
// *[ChangedError]. Options.JobsPerServer bounds the tenants, and so the
// connections, on one server.
//
// Every call that talks to the database takes a context; cancelling it
// stops new tenants from starting and aborts the running ones' statements
// (PostgreSQL rolls back their open transactions). A *Fleet is read-only
// after [New] and safe for concurrent use; Options.Progress is called
// from the tenants' goroutines, one call at a time.
package fleet
