package safemigrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/safemigrate/safemigrate/executor"
)

// PreflightOptions select what [Provider.Preflight] rehearses and where.
type PreflightOptions struct {
	// Phase selects the migrations as a run of that phase would; empty
	// means post-deploy (everything pending).
	Phase Phase
	// Mode is the pre-deploy mode; empty means the Provider's, else strict.
	Mode Mode
	// AllowDrift rehearses even when applied migrations changed on disk.
	AllowDrift bool
	// IgnoreDelays rehearses what a post-deploy run with IgnoreDelays
	// would run.
	IgnoreDelays bool
	// To, when not empty, rehearses only that migration and the pending
	// migrations it depends on.
	To string
	// Trace rehearses statement by statement and reports the locks each
	// statement took and the tables it rewrote.
	Trace bool
	// Against rehearses on this database (a connection string) instead of
	// the target: a disposable copy with the target's schema. The plan
	// comes from the target.
	Against string
	// Ephemeral rehearses on a throwaway local PostgreSQL loaded with the
	// target's schema, removed afterwards.
	Ephemeral *Ephemeral
}

// Ephemeral configures a throwaway server for [PreflightOptions].
type Ephemeral struct {
	// SchemaDump is a pg_dump --schema-only file to load; empty dumps the
	// target's schema.
	SchemaDump string
	// BinDir is the directory of the server binaries; empty searches PATH,
	// pg_config and the usual places, newest first.
	BinDir string
}

// Preflight rehearses the pending migrations in one transaction, a
// savepoint each, and rolls everything back: nothing is written to the
// target. With WithTenants every tenant is rehearsed (Against, Ephemeral
// and Trace work on a single database only). Failures are an error
// wrapping [ErrPreflight], with the report.
func (p *Provider) Preflight(ctx context.Context, opts PreflightOptions) (*RunReport, error) {
	if opts.Phase == "" {
		opts.Phase = PostDeploy
	}
	if opts.Against != "" && opts.Ephemeral != nil {
		return nil, &InputError{Msg: "Against and Ephemeral exclude each other: they say where the rehearsal runs"}
	}
	eo := p.execOptions()
	eo.AllowDrift, eo.DryRun, eo.Trace = opts.AllowDrift, true, opts.Trace
	eo.IgnoreDelays, eo.Target = opts.IgnoreDelays, opts.To
	if p.o.tenants != nil {
		if opts.Against != "" || opts.Ephemeral != nil || opts.Trace {
			return nil, &InputError{Msg: "Against, Ephemeral and Trace rehearse one database; they do not work with tenant fleets yet"}
		}
		return p.run(ctx, opts.Phase, opts.Mode, eo)
	}
	if opts.Against == "" && opts.Ephemeral == nil {
		return p.run(ctx, opts.Phase, opts.Mode, eo)
	}
	if err := checkPhase(opts.Phase); err != nil {
		return nil, err
	}
	if err := checkMode(opts.Mode); err != nil {
		return nil, err
	}
	eo.Phase, eo.Mode = opts.Phase, p.mode(opts.Mode)
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	if eo.Target != "" {
		if eo.Target, err = resolveRef(g, "--to", eo.Target); err != nil {
			return nil, err
		}
	}
	target, err := p.target("preflight")
	if err != nil {
		return nil, err
	}
	var on executor.Target
	if opts.Against != "" {
		if on, err = executor.ParseTarget(opts.Against); err != nil {
			return nil, &InputError{Msg: "--against: " + err.Error(), Err: err}
		}
		on.Schema, on.SearchPath, on.TrackingSchema = target.Schema, target.SearchPath, target.TrackingSchema
	}
	res, err := executor.Prepare(ctx, target, g, eo)
	if err != nil || len(res.Plan.Run) == 0 {
		if err == nil {
			res.OK, res.Preflight = true, &executor.PreflightReport{OK: true, Migrations: []executor.MigrationReport{}}
		}
		return newRunReport(res, err), err
	}
	about := ""
	if opts.Ephemeral != nil {
		eph, err := p.startEphemeral(ctx, target, opts.Ephemeral.SchemaDump, opts.Ephemeral.BinDir)
		if err != nil {
			return nil, err
		}
		defer eph.stop(p)
		on, about = eph.target, eph.about
	}
	runErr := executor.Rehearse(ctx, on, res, eo)
	flag := "--against"
	if opts.Ephemeral != nil {
		flag = "--ephemeral"
	}
	switch {
	case errors.Is(runErr, ErrRehearsalOnTarget), errors.Is(runErr, ErrIdentity):
		// Recognised by server identity, not by the URL's spelling
		// (docs/security.md).
		return nil, &InputError{Msg: fmt.Sprintf("%s: %v", flag, runErr), Err: runErr}
	case opts.Against != "" && errors.Is(runErr, ErrConnect):
		return nil, &InputError{Msg: fmt.Sprintf("--against: %v\ncheck that the rehearsal database is up and that the URL is right", runErr), Err: runErr}
	}
	if about != "" && res.Preflight != nil {
		res.Preflight.RehearsedOn = about
	}
	return newRunReport(res, runErr), runErr
}
