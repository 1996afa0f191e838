package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// target builds the executor target: --database-url or its environment
// variables, then database_url from the config, then libpq's PG* variables
// (an empty connection string).
func (e *Env) target() (executor.Target, error) {
	if tn := e.Config.Tenants; len(tn.Schemas) > 0 || tn.Query != "" || len(tn.Databases) > 0 {
		// Only migrate, preflight, plan and status know tenant fleets
		// (they do not get here): running this command on the
		// database's default schema instead would be silently wrong.
		return executor.Target{}, usageError("safemigrate.yaml configures tenants, and this command works on a single schema; nothing was run\nmigrate, preflight, plan and status work on the tenants (graph --offline needs no database)")
	}
	t, err := e.database()
	t.TrackingSchema = e.Config.TrackingSchema
	return t, err
}

// database is the target of the whole database, for fleets: no tracking
// schema of its own, and tenants in the config are what it is for.
func (e *Env) database() (executor.Target, error) {
	t, err := executor.ParseTarget(e.databaseURL())
	if err != nil {
		return t, withCode(ExitUsage, fmt.Errorf("%w\ncheck --database-url (or SAFEMIGRATE_DATABASE_URL / DATABASE_URL)", err))
	}
	return t, nil
}

// databaseURL returns the connection string: --database-url, then
// SAFEMIGRATE_DATABASE_URL, then DATABASE_URL (an empty variable counts
// as unset, which kong's first-set-variable rule does not do), then the
// config file. Empty means libpq's PG* variables.
func (e *Env) databaseURL() string {
	if e.Globals.DatabaseURL != "" {
		return e.Globals.DatabaseURL
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return e.Config.DatabaseURL
}

// dbCommand is what every command that works on the database starts
// from: the output format (text or json), the validated migrations and the
// target, and for commands with runFlags the executor options.
type dbCommand struct {
	format string
	graph  *graph.Graph
	target executor.Target
	opts   executor.Options
}

// openDB prepares a database command; flags may be nil.
func (e *Env) openDB(flags *runFlags) (*dbCommand, error) {
	return e.open(flags, e.target)
}

// open prepares a command on the target that target returns.
func (e *Env) open(flags *runFlags, target func() (executor.Target, error)) (*dbCommand, error) {
	format, err := e.format("text", "json")
	if err != nil {
		return nil, err
	}
	g, err := e.loadGraph()
	if err != nil {
		return nil, err
	}
	t, err := target()
	if err != nil {
		return nil, err
	}
	d := &dbCommand{format: format, graph: g, target: t}
	if flags != nil {
		if d.opts, err = flags.options(e); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// runFlags are the execution settings shared by migrate, preflight and
// baseline. Durations accept Go syntax plus d for days; an empty flag
// falls back to safemigrate.yaml and then to the executor's default.
type runFlags struct {
	LockTimeout      string `name:"lock-timeout" help:"lock_timeout for every migration (default 5s; a file's -- lock_timeout: wins)." placeholder:"DURATION"`
	StatementTimeout string `name:"statement-timeout" help:"statement_timeout for every migration (default none)." placeholder:"DURATION"`
	LockRetries      string `name:"lock-retries" help:"Retries after a lock timeout, with backoff (default 3)." placeholder:"N"`
	LockWait         string `name:"lock-wait" help:"How long to wait for another run's migration lock (default 5m; 0: do not wait)." placeholder:"DURATION"`
}

// options turns the flags and config into executor options.
func (f *runFlags) options(e *Env) (executor.Options, error) {
	o := executor.Options{Log: e.Stderr, Now: e.Now}
	var err error
	if o.LockTimeout, err = duration("--lock-timeout", f.LockTimeout, e.Config.LockTimeout.Duration, e.Config.LockTimeout.Set, -1); err != nil {
		return o, err
	}
	if o.StatementTimeout, err = duration("--statement-timeout", f.StatementTimeout, e.Config.StatementTimeout.Duration, e.Config.StatementTimeout.Set, -1); err != nil {
		return o, err
	}
	if o.LockWait, err = duration("--lock-wait", f.LockWait, e.Config.LockWait.Duration, e.Config.LockWait.Set, -1); err != nil {
		return o, err
	}
	switch {
	case f.LockRetries != "":
		var n int
		if _, err := fmt.Sscanf(f.LockRetries, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != f.LockRetries {
			return o, usageError("--lock-retries %q is not a whole number ≥ 0", f.LockRetries)
		}
		o.LockRetries = retries(n)
	case e.Config.LockRetries != nil:
		o.LockRetries = retries(*e.Config.LockRetries)
	}
	return o, nil
}

// retries maps "0 retries" to the executor's "negative means none".
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// duration resolves one duration setting. zero is what the executor
// understands as "explicitly none" for an explicit 0 (its zero value means
// "default").
func duration(flag, value string, cfg time.Duration, cfgSet bool, zero time.Duration) (time.Duration, error) {
	var d time.Duration
	switch {
	case value != "":
		if value == "0" {
			return zero, nil
		}
		v, err := annotate.ParseDuration(value)
		if err != nil {
			return 0, usageError("%s: %v", flag, err)
		}
		d = v
	case cfgSet:
		d = cfg
	default:
		return 0, nil
	}
	if d == 0 {
		return zero, nil
	}
	return d, nil
}

// execError maps executor errors to exit codes (SPEC §5).
func execError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, executor.ErrBlocked):
		return withCode(ExitBlocked, err)
	case errors.Is(err, executor.ErrConnect):
		return withCode(ExitUsage, fmt.Errorf("%w\ncheck that the server is up and reachable, and the connection: --database-url, SAFEMIGRATE_DATABASE_URL or DATABASE_URL (without any of them, the PG* variables and the local socket)", err))
	case errors.Is(err, executor.ErrLockWait), errors.Is(err, executor.ErrUntrustedTracking),
		errors.Is(err, executor.ErrDrift), errors.Is(err, planner.ErrInitialNotEmpty):
		return withCode(ExitUsage, err)
	}
	return withCode(ExitFailure, err)
}
