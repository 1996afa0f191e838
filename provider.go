package safemigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/english"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// Safe says when a migration may run relative to a deploy.
type Safe = migration.Safe

// The safe values of a migration header.
const (
	BeforeDeploy = migration.BeforeDeploy
	AfterDeploy  = migration.AfterDeploy
	Always       = migration.Always
)

// ParseDuration reads a duration the way migration headers and flags write
// it: Go syntax plus d for days ("36h", "7d", "1d12h"; docs/file-format.md).
func ParseDuration(s string) (time.Duration, error) { return migration.ParseDuration(s) }

// Phase is a deploy phase: what a run selects.
type Phase = planner.Phase

// The phases.
const (
	PreDeploy  = planner.PreDeploy
	PostDeploy = planner.PostDeploy
)

// Mode says what a pre-deploy run does about blocked migrations.
type Mode = planner.Mode

// The pre-deploy modes.
const (
	Strict    = planner.Strict
	Nonstrict = planner.Nonstrict
	Disabled  = planner.Disabled
)

// Progress reports a tenant that finished a pass of a fleet run.
type Progress = fleet.Progress

// Provider plans, checks and runs the migrations of one directory against
// one database or tenant fleet. Build it with [New]; it is safe for
// concurrent use, and every call that talks to the database takes a
// context and opens its own sessions.
type Provider struct {
	fsys fs.FS
	o    options

	mu     sync.Mutex
	loaded bool
	graph  *graph.Graph
	err    error
}

// New returns a Provider for the migrations in fsys (the root chain at
// its top, one level of chain directories below). It checks the options
// and reads nothing yet: the migrations are loaded and validated once, by
// the first call that needs them, so that [Provider.Suggest] and
// [Provider.Lint] work on files the planner would refuse.
func New(fsys fs.FS, opts ...Option) (*Provider, error) {
	if fsys == nil {
		return nil, &InputError{Msg: "safemigrate.New: nil migrations FS"}
	}
	p := &Provider{fsys: fsys}
	p.o.now = time.Now
	for _, opt := range opts {
		if err := opt(&p.o); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// loadGraph returns the validated migration graph, loading it on first use.
// Every problem in the files is reported at once, as an *[InputError].
func (p *Provider) loadGraph() (*graph.Graph, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loaded {
		p.graph, p.err = p.load()
		p.loaded = true
	}
	return p.graph, p.err
}

func (p *Provider) load() (*graph.Graph, error) {
	ms, err := migration.Load(p.fsys, migration.Options{DefaultSafe: p.o.defaultSafe, Root: p.o.root, Layout: p.o.layout})
	if err != nil {
		return nil, &InputError{Msg: p.fileProblems(err), Err: err}
	}
	g, err := graph.New(ms)
	if err != nil {
		return nil, &InputError{Msg: p.fileProblems(err), Err: err}
	}
	return g, nil
}

// fileProblems lists every positioned file error and says what to do.
func (p *Provider) fileProblems(err error) string {
	var les interface{ Unwrap() []error }
	if !errors.As(err, &les) {
		return err.Error()
	}
	out, n := "", 0
	for _, e := range les.Unwrap() {
		var fe *migration.FileError
		if errors.As(e, &fe) {
			out += fe.Error() + "\n"
			n++
		}
	}
	return fmt.Sprintf("%s%s in %s; fix them, then run again (nothing was run)", out, english.Plural(n, "problem"), p.dirName())
}

// dirName names the migrations directory in messages.
func (p *Provider) dirName() string {
	if p.o.root == "" {
		return "the migrations"
	}
	return p.o.root
}

// database is the target of the whole database: no tracking schema of its
// own (a fleet's tenants have theirs).
func (p *Provider) database() (executor.Target, error) {
	if p.o.connConfig != nil {
		return executor.Target{Config: p.o.connConfig.Copy()}, nil
	}
	t, err := executor.ParseTarget(p.o.url)
	if err != nil {
		return t, &InputError{Msg: err.Error(), Err: errors.Join(ErrDatabaseURL, err)}
	}
	return t, nil
}

// target is the single-schema target; with tenants configured it refuses,
// since running on the default schema instead would be silently wrong.
func (p *Provider) target(what string) (executor.Target, error) {
	if p.o.tenants != nil {
		return executor.Target{}, fmt.Errorf("%w: %s works on a single schema, and tenants are configured; nothing was run", ErrTenants, what)
	}
	t, err := p.database()
	t.TrackingSchema = p.o.trackingSchema
	return t, err
}

// hasDatabase reports whether a database was configured (a URL or a
// connection configuration); without one, the PG* variables are used.
func (p *Provider) hasDatabase() bool { return p.o.url != "" || p.o.connConfig != nil }

// Tenants reports whether the Provider works on a tenant fleet.
func (p *Provider) Tenants() bool { return p.o.tenants != nil }

// mode resolves a call's mode: its own, the Provider's, strict.
func (p *Provider) mode(m Mode) Mode {
	switch {
	case m != "":
		return m
	case p.o.mode != "":
		return p.o.mode
	}
	return Strict
}

// execOptions are the executor options of a run.
func (p *Provider) execOptions() executor.Options {
	return executor.Options{
		LockTimeout: p.o.lockTimeout, StatementTimeout: p.o.statementTimeout,
		LockWait: p.o.lockWait, LockRetries: p.o.lockRetries, RetryBackoff: p.o.retryBackoff,
		Now: p.o.now, Log: p.o.log, Events: p.o.events,
	}
}

// logf writes one line to the log, if any.
func (p *Provider) logf(format string, args ...any) {
	if p.o.log != nil {
		fmt.Fprintf(p.o.log, format+"\n", args...)
	}
}

// openFleet resolves the tenants: schemas of the database, or databases.
func (p *Provider) openFleet(ctx context.Context) (*fleet.Fleet, int, error) {
	tn := p.o.tenants
	var f *fleet.Fleet
	if len(tn.Databases) > 0 || tn.DatabasesQuery != "" {
		src := fleet.DatabaseSource{URLs: tn.Databases, Query: tn.DatabasesQuery, Schemas: tn.Schemas,
			SearchPath: tn.SearchPath, TrackingSchema: p.o.trackingSchema}
		if tn.DatabasesQuery != "" {
			db, err := p.database()
			if err != nil {
				return nil, 0, err
			}
			src.Via = db
		}
		var err error
		if f, err = fleet.NewDatabases(ctx, src); err != nil {
			if errors.Is(err, fleet.ErrDatabases) {
				err = &InputError{Msg: err.Error(), Err: err}
			}
			return nil, 0, err
		}
		if len(f.Schemas()) == 0 {
			p.logf("warning: the databases query returned no database: there is nothing to do")
		}
	} else {
		db, err := p.database()
		if err != nil {
			return nil, 0, err
		}
		if f, err = fleet.New(ctx, db, fleet.Source{Schemas: tn.Schemas, Query: tn.Query, SearchPath: tn.SearchPath}); err != nil {
			return nil, 0, err
		}
		if len(f.Schemas()) == 0 {
			p.logf("warning: the tenants query returned no schema: there is nothing to do")
		}
	}
	jobs := tn.Jobs
	if jobs == 0 {
		jobs = fleet.DefaultJobs()
	}
	return f, jobs, nil
}

// checkApplied checks IDs said to be applied against the graph.
func (p *Provider) checkApplied(g *graph.Graph, ids []string) error {
	for _, id := range ids {
		if _, ok := g.Lookup(id); !ok {
			return &InputError{Msg: fmt.Sprintf("applied IDs name %q, which is not a migration in %s", id, p.dirName())}
		}
	}
	return nil
}
