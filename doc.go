// Package safemigrate plans, checks and runs PostgreSQL schema migrations
// so that they are safe to ship: by deploy phase, after a transactional
// rehearsal, each in its own transaction (docs/executing.md). The
// safemigrate command is a thin shell over this package.
//
// A [Provider] holds the migrations (an fs.FS, so programs can embed
// them) and the target database, configured with options:
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	fsys, _ := fs.Sub(migrations, "migrations")
//	p, err := safemigrate.New(fsys,
//		safemigrate.WithDatabaseURL(os.Getenv("DATABASE_URL")),
//		safemigrate.WithLog(os.Stderr),
//	)
//	rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
//	switch {
//	case errors.Is(err, safemigrate.ErrBlocked):   // nothing ran: deploy, run post-deploy first
//	case errors.Is(err, safemigrate.ErrPreflight): // the rehearsal failed: nothing applied
//	case err != nil:                               // see the Err* values and *PartialError
//	}
//	json.NewEncoder(os.Stdout).Encode(rep) // the migrate JSON of docs/json.md
//
// Every method returns a typed report that encodes to the JSON of
// docs/json.md: [Provider.Plan] ([PlanReport]), [Provider.Status]
// ([StatusReport]), [Provider.Migrate] and [Provider.Preflight]
// ([RunReport]), [Provider.Baseline] ([BaselineReport]), [Provider.Graph]
// ([GraphReport]), [Provider.Suggest] ([SuggestReport]), [Provider.Lint]
// ([LintReport]) and [Provider.Create] ([CreateReport]). With [WithTenants]
// Plan, Status, Migrate and Preflight cover a tenant fleet, all-or-nothing
// (docs/executing.md#tenant-fleets), and their reports carry every tenant's part.
//
// Problems with the caller's input (files, options, IDs) are *[InputError]
// ([ErrInput]); the database errors are the executor's and the fleet's,
// visible with errors.Is ([ErrBlocked], [ErrDrift], [ErrPreflight],
// [ErrConnect], [ErrLockWait], …) and errors.As (*[PartialError],
// *[FleetError]).
//
// # Context and concurrency
//
// Every method that talks to the database takes a context first;
// cancelling it aborts the statement in flight and PostgreSQL rolls back
// the open transaction. A Provider keeps no connection: each call opens
// its own sessions, takes the migration lock where it writes, and closes
// them. A Provider is safe for concurrent use; concurrent runs on one
// target wait for each other's lock.
package safemigrate
