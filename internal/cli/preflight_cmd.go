package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/alecthomas/kong"

	"github.com/safemigrate/safemigrate"
)

// PreflightCmd rehearses pending migrations and rolls back.
type PreflightCmd struct {
	Phase        string `default:"post-deploy" enum:"pre-deploy,post-deploy" help:"Which phase's selection to rehearse (default post-deploy: everything pending)."`
	AllowDrift   bool   `name:"allow-drift" help:"Rehearse even if applied migrations changed on disk."`
	To           string `help:"Rehearse only this migration and the pending migrations it depends on (full ID, <chain>/<version> or a root version)." placeholder:"ID"`
	IgnoreDelays bool   `name:"ignore-delays" help:"Post-deploy: rehearse after_deploy migrations whose delay has not passed too."`
	Against      string `help:"Rehearse on this database instead of the target: a disposable copy with the target's schema (a restored backup, staging). The plan comes from the target." placeholder:"URL" xor:"where"`
	Ephemeral    bool   `help:"Rehearse on a throwaway local PostgreSQL (from the installed server binaries) loaded with the target's schema, removed afterwards." xor:"where"`
	SchemaDump   string `name:"schema-dump" help:"With --ephemeral: load this pg_dump --schema-only file instead of dumping the target." placeholder:"FILE"`
	PGBinDir     string `name:"pg-bindir" env:"SAFEMIGRATE_PG_BINDIR" help:"With --ephemeral: the directory of the PostgreSQL server binaries to use (default: PATH, pg_config, /usr/lib/postgresql/*/bin and other usual places, newest first). Pick the target's major version." placeholder:"DIR"`
	Trace        bool   `help:"Rehearse statement by statement and report the locks each statement takes and the tables it rewrites."`
	modeFlag
	runFlags
	tenantFlags
}

// Help shows examples.
func (c *PreflightCmd) Help() string {
	return `Runs every selected migration in one transaction, a savepoint each, checks
deferred constraints after each, reports every failure, and rolls everything
back. The plan always comes from the target (--database-url): its applied
migrations and the phase decide what is rehearsed. Nothing is written to it.

Where the rehearsal runs:
  (default)      on the target. transaction: false migrations are skipped
                 (with a notice): their statements cannot run in a
                 transaction, and their transactional equivalents would lock
                 the real tables harder.
  --against URL  on another database, which must have the target's schema
                 (a restored backup or a staging copy at the same migration
                 state; a warning says when its tracking tables disagree).
                 It is rolled back too, but it is treated as disposable:
                 transaction: false migrations are rehearsed with their
                 transactional equivalents (CREATE INDEX CONCURRENTLY runs as
                 CREATE INDEX). It must not be the target itself, which is
                 recognised by server identity (system identifier and
                 database OID), however the URL is written; reading it needs
                 EXECUTE on pg_control_system(), which every role has by
                 default (docs/security.md).
  --ephemeral    on a throwaway PostgreSQL started from the server binaries
                 installed here (initdb, postgres, psql, pg_dump), loaded
                 from pg_dump --schema-only of the target or from
                 --schema-dump FILE, and removed afterwards (also on Ctrl-C).
                 The target's role names are created there (without login)
                 so that GRANTs load. The server listens only on a Unix
                 socket in a private directory, with a random password: no
                 other user of this machine can reach it. Tables are empty:
                 failures that depend on data (NOT NULL on existing NULLs,
                 duplicate keys) show only on a copy with data (--against)
                 or on the target.

--trace runs the statements one by one and reports per statement the table
locks it took (from pg_locks, right after it) and the tables it rewrote
(a new relfilenode). The rehearsal is one transaction, so it keeps every
lock until it ends: a lock an earlier statement took shows as "(already
held)" where the SQL analysis says a later statement takes it too. With
--against and --ephemeral, a statement rehearsed without CONCURRENTLY lists
the locks of the statement as written (from the SQL analysis), not the
stronger ones of its rehearsal.

Examples:
  safemigrate preflight
  safemigrate preflight --phase pre-deploy --format json
  safemigrate preflight --against postgres://localhost/app_restored
  safemigrate preflight --ephemeral --trace
  safemigrate preflight --ephemeral --schema-dump schema.sql`
}

// Validate checks flag combinations.
func (c *PreflightCmd) Validate() error {
	if c.SchemaDump != "" && !c.Ephemeral {
		return errors.New("--schema-dump needs --ephemeral: it is the schema of the throwaway server")
	}
	return errors.Join(c.runFlags.Validate(), c.tenantFlags.Validate())
}

// AfterApply refuses --pg-bindir without --ephemeral on the command line;
// SAFEMIGRATE_PG_BINDIR in the environment is fine without it.
func (c *PreflightCmd) AfterApply(kctx *kong.Context) error {
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == "pg-bindir" && !p.Resolved && !c.Ephemeral {
			return errors.New("--pg-bindir needs --ephemeral: it says which binaries run the throwaway server")
		}
	}
	return nil
}

// Run rehearses.
func (c *PreflightCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	if c.tenantFlags.active(env) && (c.Against != "" || c.Ephemeral || c.Trace) {
		return usageError("--against, --ephemeral and --trace rehearse one database; they do not work with tenant fleets yet (--schemas, --schemas-query or tenants: in the config)")
	}
	p, fleet, err := openRun(env, &c.runFlags, &c.tenantFlags, false)
	if err != nil {
		return err
	}
	opts := safemigrate.PreflightOptions{Phase: safemigrate.Phase(c.Phase), Mode: safemigrate.Mode(c.Mode),
		AllowDrift: c.AllowDrift, Trace: c.Trace, Against: c.Against, To: c.To, IgnoreDelays: c.IgnoreDelays}
	if c.Ephemeral {
		opts.Ephemeral = &safemigrate.Ephemeral{SchemaDump: c.SchemaDump, BinDir: c.PGBinDir}
	}
	res, runErr := p.Preflight(ctx, opts)
	fleet.finish()
	return reportRun(env, format, res, runErr)
}

// rehearsalHeading is the heading of a preflight's report.
func rehearsalHeading(pf *safemigrate.PreflightReport) string {
	if pf.Atomic {
		return "Atomic apply (each transaction committed only when all of its migrations passed):"
	}
	if pf.RehearsedOn == "" {
		return "Preflight (one transaction, rolled back):"
	}
	return fmt.Sprintf("Preflight on %s (one transaction, rolled back):", pf.RehearsedOn)
}
