package safemigrate

import (
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/migration"
)

// Option configures a [Provider]; pass them to [New].
type Option func(*options) error

// options is the resolved configuration of a Provider.
type options struct {
	url            string
	connConfig     *pgx.ConnConfig
	trackingSchema string
	defaultSafe    migration.Safe
	mode           Mode
	root           string
	layout         migration.Layout
	pgVersion      int

	lockTimeout, statementTimeout, lockWait time.Duration
	lockRetries                             int
	retryBackoff                            time.Duration

	log      io.Writer
	now      func() time.Time
	tenants  *Tenants
	progress func(Progress)
	events   func(Event)
}

// WithDatabaseURL sets the database: a postgres:// URL or libpq key=value
// pairs. Empty (the default) uses libpq's PG* environment variables. The
// string never appears in errors with its password.
func WithDatabaseURL(url string) Option {
	return func(o *options) error { o.url, o.connConfig = url, nil; return nil }
}

// WithConnConfig sets the database from a pgx configuration, for programs
// that build one themselves. The Provider opens its own sessions from a
// copy of it (it needs a session of its own for the migration lock), so
// an existing *pgx.Conn or pool cannot stand in for it: pass its
// Config().
func WithConnConfig(cfg *pgx.ConnConfig) Option {
	return func(o *options) error {
		if cfg == nil {
			return fmt.Errorf("WithConnConfig: nil configuration")
		}
		o.connConfig = cfg.Copy()
		return nil
	}
}

// WithTrackingSchema sets the schema of the tracking tables
// (safemigrate_migrations, …); default public.
func WithTrackingSchema(schema string) Option {
	return func(o *options) error { o.trackingSchema = schema; return nil }
}

// WithDefaultSafe sets the safe value of migrations without a safe
// directive; default [AfterDeploy], the safest.
func WithDefaultSafe(s Safe) Option {
	return func(o *options) error {
		switch s {
		case "", BeforeDeploy, AfterDeploy, Always:
			o.defaultSafe = s
			return nil
		}
		return &InputError{Msg: fmt.Sprintf("default safe value %q is not one of before_deploy, after_deploy, always", s)}
	}
}

// WithMode sets the pre-deploy mode used when a call does not name one;
// default [Strict].
func WithMode(m Mode) Option {
	return func(o *options) error {
		if err := checkMode(m); err != nil {
			return err
		}
		o.mode = m
		return nil
	}
}

// WithRoot names the directory the migrations FS was opened on. Messages
// name files under it ("db/migrations/0001_init.sql:3: …"), and
// [Provider.Create] and [Provider.Suggest] with Write write files there.
func WithRoot(dir string) Option {
	return func(o *options) error { o.root = dir; return nil }
}

// WithPGVersion sets the PostgreSQL major version the SQL analysis
// ([Provider.Lint], [Provider.Suggest]) assumes; default 15.
func WithPGVersion(major int) Option {
	return func(o *options) error {
		if major != 0 && (major < 9 || major > 99) {
			return &InputError{Msg: fmt.Sprintf("PostgreSQL version %d is not a major version; give e.g. 13 or 16", major)}
		}
		o.pgVersion = major
		return nil
	}
}

// WithLockTimeout sets lock_timeout for every migration; default 5s. A
// file's `-- lock_timeout:` wins. Negative disables it.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error { o.lockTimeout = d; return nil }
}

// WithStatementTimeout sets statement_timeout for every migration;
// default none. A file's `-- statement_timeout:` wins. Negative means
// none.
func WithStatementTimeout(d time.Duration) Option {
	return func(o *options) error { o.statementTimeout = d; return nil }
}

// WithLockWait bounds the wait for another run's migration lock; default
// 5m. Negative means do not wait.
func WithLockWait(d time.Duration) Option {
	return func(o *options) error { o.lockWait = d; return nil }
}

// WithLockRetries sets how often a statement that hit its lock timeout is
// retried, with backoff; default 3, 0 none.
func WithLockRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return &InputError{Msg: fmt.Sprintf("lock retries %d is not a whole number ≥ 0", n)}
		}
		o.lockRetries = n
		if n == 0 {
			o.lockRetries = -1
		}
		return nil
	}
}

// WithRetryBackoff sets the wait before the first lock retry, doubled for
// each further one; default 1s.
func WithRetryBackoff(d time.Duration) Option {
	return func(o *options) error { o.retryBackoff = d; return nil }
}

// WithLog sends progress and warnings to w, one line per message; nil
// (the default) discards them.
func WithLog(w io.Writer) Option {
	return func(o *options) error { o.log = w; return nil }
}

// WithClock sets the clock for delays and detection times; default
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithTenants makes the Provider work on a tenant fleet: every schema of
// t, each with its own tracking tables, or every database of t (each of
// t.Schemas in it, when given). Plan, Status, Migrate and Preflight then
// cover every tenant, all-or-nothing (docs/executing.md#tenant-fleets,
// docs/executing.md#fleets-of-databases).
func WithTenants(t Tenants) Option {
	return func(o *options) error {
		switch {
		case len(t.Databases) > 0 && t.DatabasesQuery != "":
			return &InputError{Msg: "tenants: give the databases or a query returning them, not both"}
		case (len(t.Databases) > 0 || t.DatabasesQuery != "") && t.Query != "":
			return &InputError{Msg: "tenants: with a fleet of databases, give the tenant schemas as a list, not a query"}
		case len(t.Databases) > 0 || t.DatabasesQuery != "":
			// Schemas are optional: without them, each database is a tenant.
		case len(t.Schemas) > 0 && t.Query != "":
			return &InputError{Msg: "tenants: give schemas or a query, not both"}
		case len(t.Schemas) == 0 && t.Query == "":
			return &InputError{Msg: "tenants: give the schemas, a query returning them, or the databases"}
		}
		if t.Jobs < 0 {
			return &InputError{Msg: fmt.Sprintf("tenants: jobs %d is not a whole number ≥ 1", t.Jobs)}
		}
		if t.JobsPerServer < 0 {
			return &InputError{Msg: fmt.Sprintf("tenants: jobs per server %d is not a whole number ≥ 1", t.JobsPerServer)}
		}
		o.tenants = &t
		return nil
	}
}

// WithProgress is called after each tenant of a fleet finishes a pass of
// Migrate or Preflight; calls are serialised.
func WithProgress(f func(Progress)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

// WithEvents is told, while Migrate and Preflight run, which migration
// and statement runs now ([Event]): a migration starts, each of its
// statements starts, it ends (with its status and duration). It is
// called from the goroutine running the target; in a fleet each tenant's
// events carry its name in Event.Target and come from several goroutines
// at once. The CLI draws its live progress line from them
// (docs/commands.md).
func WithEvents(f func(Event)) Option {
	return func(o *options) error { o.events = f; return nil }
}

// Event reports what a run is doing while it does it; see [WithEvents].
type Event = executor.Event

// The kinds of [Event].
const (
	MigrationStarted  = executor.MigrationStarted
	StatementStarted  = executor.StatementStarted
	MigrationFinished = executor.MigrationFinished
)

// Tenants says which schemas of the database, or which databases, are
// the tenants of a fleet.
type Tenants struct {
	// Schemas names the tenant schemas as spelled in pg_namespace.
	Schemas []string
	// Query, instead of Schemas, returns the schemas as one text column;
	// it runs in a read-only transaction.
	Query string
	// SearchPath lists schemas after each tenant's own in its search_path
	// (e.g. "public" for shared extensions).
	SearchPath []string
	// Jobs is how many tenants are worked on at a time; 0 means
	// min(4, CPUs).
	Jobs int

	// Databases makes the fleet a fleet of databases: their connection
	// strings (postgres:// URLs or libpq key=value strings), one per
	// database. Each database is a tenant, or, with Schemas, each of
	// those schemas in each database (every database must have them
	// all). Tenants are named "host/database" ("host:port/database" off
	// port 5432, then "/schema"), never by a connection string, which may
	// hold a password. Not with Query.
	Databases []string
	// DatabasesQuery, instead of Databases, returns the connection
	// strings as one text column; it runs in a read-only transaction on
	// the Provider's database ([WithDatabaseURL]).
	DatabasesQuery string
	// JobsPerServer bounds the tenants worked on at a time, and the
	// connections open, on one server (host and port) of a fleet of
	// databases; 0 means Jobs.
	JobsPerServer int
}

func checkMode(m Mode) error {
	switch m {
	case "", Strict, Nonstrict, Disabled:
		return nil
	}
	return &InputError{Msg: fmt.Sprintf("mode %q is not one of strict, nonstrict, disabled", m)}
}
