package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// Options configure a fleet run.
type Options struct {
	// Exec configures every tenant's run as for [executor.Run]; Phase is
	// required. Exec.Log receives every tenant's progress, each line
	// prefixed with "[tenant] "; the fleet serialises the writes.
	// Exec.LockWait bounds the wait for all the tenants' locks together.
	Exec executor.Options
	// Jobs is how many tenants are worked on at a time; 0 means
	// [DefaultJobs]. It bounds the connections of the run too (see
	// [Fleet.Run]).
	Jobs int
	// JobsPerServer bounds the tenants worked on at a time, and the
	// connections open, on one server (host and port); 0 means Jobs.
	JobsPerServer int
	// Progress, when set, is called after each tenant finishes a pass,
	// from the goroutine that ran it; calls are serialised.
	Progress func(Progress)
}

// Progress reports that one more tenant finished a pass.
type Progress struct {
	Pass Pass
	// Done of Total tenants have finished the pass.
	Done, Total int
	// Tenant is the schema that just finished, in State.
	Tenant string
	State  State
}

// Run migrates every tenant in two passes (docs/executing.md, "Tenant fleets"),
// holding every tenant's lock from its plan until the end:
//
//  1. PassPreflight, Jobs tenants at a time: plan under the lock, refuse
//     drift and strict blocking, rehearse in a rolled-back transaction.
//     If any tenant fails, nothing is applied anywhere and the *Error
//     lists every failing tenant (each *executor.PreflightError lists the
//     failing migrations).
//  2. PassApply, Jobs tenants at a time, unless Exec.DryRun: apply each
//     tenant's plan. After a failure no new tenant starts; running ones
//     finish. The *Error names the failing tenants; the Result says which
//     were applied and which did not start. A rerun continues.
//
// With Exec.Atomic there is one pass instead (docs/executing.md,
// "--atomic"): each tenant is planned, checked and
// applied by [executor.Session.ApplyAtomic], its rehearsal being its
// apply; a tenant's failure rolls back its failing transaction and stops
// new tenants from starting. The *Error's Pass is PassPreflight when no
// tenant committed anything (so that a refusal keeps its own exit code),
// PassApply otherwise. Progress reports PassApply.
//
// After a successful pre-deploy run, PassDetect records detection times
// in every tenant that has new ones (docs/planning.md); a run that failed
// anywhere records none, as a single database's failed run would.
//
// A fleet of schemas ([New]) holds every tenant's lock from its plan until
// the end: the locks are taken up front by [executor.LockAll] on one
// connection, so no other run can change a tenant between its rehearsal
// and its apply. A fleet of databases ([NewDatabases]) cannot hold the
// locks of many databases on one connection; each tenant's lock is held
// while the tenant is worked on in a pass, and the apply pass plans the
// tenant again under its lock: a tenant whose pending migrations are no
// longer the rehearsed ones (or their tail, when another run applied the
// rest meanwhile) fails with [ErrChanged] instead of applying anything
// unrehearsed.
//
// Workers keep their connection from tenant to tenant of one database
// ([executor.Session.Retarget]), so a run opens about Jobs connections
// for a fleet of schemas, plus the one holding the locks (and, while a
// statement waits on a lock, a monitoring connection per waiting
// tenant); at most JobsPerServer of them to one server.
//
// The Result is non-nil whenever the tenants were locked, also with an
// error. Errors before that: *SchemaError (a schema vanished since
// [New]), executor.ErrConnect, *executor.LockWaitError.
func (f *Fleet) Run(ctx context.Context, g *graph.Graph, opts Options) (*Result, error) {
	if g == nil {
		return nil, errors.New("fleet: nil graph")
	}
	if opts.Exec.Phase == "" {
		return nil, errors.New("fleet: Options.Exec.Phase is required")
	}
	if opts.Exec.Atomic && (opts.Exec.NoPreflight || opts.Exec.DryRun) {
		return nil, errors.New("fleet: Options.Exec.Atomic applies in one pass that is its own rehearsal; it excludes NoPreflight and DryRun")
	}
	exec := opts.Exec
	if exec.Log != nil {
		exec.Log = &syncWriter{w: exec.Log}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	perServer := opts.JobsPerServer
	if perServer <= 0 || perServer > jobs {
		perServer = jobs
	}
	mode := exec.Mode
	if mode == "" {
		mode = planner.Strict
	}
	targets := f.Targets()
	res := &Result{Phase: exec.Phase, Mode: mode, DryRun: exec.DryRun, Jobs: jobs, Tenants: make([]*Tenant, len(targets)), atomic: exec.Atomic}
	for i, s := range f.names {
		res.Tenants[i] = &Tenant{Tenant: s, OK: true, State: StateNotStarted, Applied: []string{}, Detected: []string{}}
	}
	if len(targets) == 0 {
		res.summarize(g, exec.NoPreflight)
		return res, nil
	}
	var locks *executor.LockSet
	if !f.databases {
		if err := f.recheck(ctx); err != nil {
			return nil, err
		}
		var err error
		if locks, err = executor.LockAll(ctx, targets, exec); err != nil {
			return nil, err
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = locks.Close(closeCtx) // the locks go with the connection anyway
		}()
	}
	r := &run{g: g, exec: exec, jobs: jobs, perServer: perServer, progress: opts.Progress, targets: targets, res: res,
		databases: f.databases, pool: newPool(locks, exec, jobs, perServer)}
	defer r.pool.closeAll(ctx)
	if locks != nil {
		// Every tenant's state in a few queries, under the locks, instead
		// of a query per tenant. Should that fail, each tenant reads its
		// own, as without the locks' connection.
		if states, errs, err := locks.States(ctx, targets); err == nil {
			r.states, r.stateErrs = states, errs
		}
	}

	var err error
	if exec.Atomic {
		err = r.atomic(ctx)
	} else {
		err = r.preflight(ctx)
		if err == nil && !exec.DryRun {
			err = r.apply(ctx)
			if err == nil {
				err = r.detect(ctx)
			}
		}
	}
	res.summarize(g, exec.NoPreflight)
	return res, err
}

// recheck makes sure no schema vanished since New: the executor would
// create a missing tracking schema on first apply.
func (f *Fleet) recheck(ctx context.Context) error {
	conn, err := connect(ctx, f.db)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return checkExist(ctx, conn, f.db, f.schemas)
}

// run is the state of one [Fleet.Run].
type run struct {
	g         *graph.Graph
	exec      executor.Options
	jobs      int
	perServer int
	progress  func(Progress)
	targets   []executor.Target
	res       *Result
	databases bool
	pool      *pool
	// states and stateErrs are the tenants' states read together
	// ([executor.LockSet.States]); nil: each tenant reads its own.
	states    []*executor.State
	stateErrs []error

	mu   sync.Mutex // guards done and calls of progress
	done map[Pass]int
}

// report counts a tenant as done with pass and tells Progress.
func (r *run) report(pass Pass, total int, t *Tenant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		r.done = map[Pass]int{}
	}
	r.done[pass]++
	if r.progress != nil {
		r.progress(Progress{Pass: pass, Done: r.done[pass], Total: total, Tenant: t.Tenant, State: t.State})
	}
}

// openFirst opens tenant i's session for the first pass that touches it:
// in a fleet of databases it also checks that the tenant's schema exists
// there (a database fleet's schemas are not resolved up front). On error
// nothing is left open.
func (r *run) openFirst(ctx context.Context, i int) (*executor.Session, func(ok bool), error) {
	s, done, err := r.open(ctx, i)
	if err != nil || !r.databases {
		return s, done, err
	}
	exists, err := s.SchemaExists(ctx)
	if err == nil && !exists {
		err = &SchemaError{Problem: ProblemMissing, Schemas: []string{r.targets[i].Schema}, Database: DatabaseName(r.targets[i])}
	}
	if err != nil {
		done(false)
		return nil, nil, err
	}
	return s, done, nil
}

// open gets a session on tenant i: under the fleet's locks for a fleet of
// schemas, holding the tenant's own lock for a fleet of databases. done
// gives it back; ok false closes it (after a failure its connection is
// not trusted for the next tenant).
func (r *run) open(ctx context.Context, i int) (*executor.Session, func(ok bool), error) {
	s, err := r.pool.acquire(ctx, r.targets[i])
	if err != nil {
		return nil, nil, err
	}
	return s, func(ok bool) { r.pool.release(ctx, s, r.targets[i], ok) }, nil
}

// plan plans tenant i on s: from its state read with every tenant's, or
// from its own.
func (r *run) plan(ctx context.Context, s *executor.Session, i int) (*planner.Plan, error) {
	if r.states == nil {
		plan, _, err := s.Plan(ctx, r.g)
		return plan, err
	}
	if err := r.stateErrs[i]; err != nil {
		return nil, err
	}
	return s.PlanFrom(ctx, r.g, r.states[i])
}

// refusal is the state of a tenant whose plan [executor.Session.Check]
// refused: blocked, drifted, or failed for any other reason.
func refusal(err error) State {
	switch {
	case errors.Is(err, executor.ErrBlocked):
		return StateBlocked
	case errors.Is(err, executor.ErrDrift):
		return StateDrift
	}
	return StateFailed
}

// serverOf names the server of tenant i, for JobsPerServer.
func (r *run) serverOf(i int) string { return server(r.targets[i]) }

// note logs what a single run would note about a plan.
func (r *run) note(t *Tenant, plan *planner.Plan) {
	if r.exec.Log == nil {
		return
	}
	for _, id := range plan.OutOfOrder {
		fmt.Fprintf(r.exec.Log, "[%s] note: %s sorts before an applied migration of its chain (a merged branch); it runs as usual\n", Display(t.Tenant), id)
	}
}

// preflight is PassPreflight.
func (r *run) preflight(ctx context.Context) error {
	var refused atomic.Bool // a tenant is blocked or drifted: rehearsing is pointless
	// gone: servers whose connection stalled in this pass, by
	// the tenant it happened to. The tenants still to come there are
	// reported failed at once instead of each waiting out the documented
	// deadlines again (docs/security.md, "Stalled connections").
	var gone sync.Map
	fail := func(t *Tenant, i int, err error) {
		t.fail(StateFailed, err)
		// Only a stall: a missing database or a refused connection is
		// that tenant's own problem and quick to find.
		var se *executor.StalledError
		if errors.As(err, &se) {
			gone.LoadOrStore(r.serverOf(i), t.Tenant)
		}
	}
	n := len(r.targets)
	r.each(n, func() bool { return ctx.Err() != nil }, func(i int) {
		t := r.res.Tenants[i]
		defer r.report(PassPreflight, n, t)
		if who, ok := gone.Load(r.serverOf(i)); ok {
			t.fail(StateFailed, fmt.Errorf("%w: not rehearsed: the connection to %s stopped answering while tenant %s was worked on; nothing was applied anywhere: run again once the server answers",
				executor.ErrConnect, r.serverOf(i), Display(who.(string))))
			return
		}
		s, done, err := r.openFirst(ctx, i)
		if err != nil {
			fail(t, i, err)
			return
		}
		ok := false
		defer func() { done(ok) }()
		plan, err := r.plan(ctx, s, i)
		if err != nil {
			fail(t, i, err)
			return
		}
		t.Plan = plan
		ok = true
		if err := s.Check(plan); err != nil {
			t.fail(refusal(err), err)
			refused.Store(true)
			return
		}
		t.State = StatePlanned
		r.note(t, plan)
		if r.exec.NoPreflight {
			t.Preflight = &executor.PreflightReport{OK: true, Skipped: true, Migrations: []executor.MigrationReport{}}
			return
		}
		if refused.Load() {
			return
		}
		pf, err := s.Preflight(ctx, plan)
		t.Preflight = pf
		switch {
		case err != nil:
			ok = false
			fail(t, i, err)
		case !pf.OK:
			t.fail(StateFailed, pf.Err())
		default:
			t.State = StatePreflighted
		}
	})
	if r.databases {
		r.pool.closeAll(ctx) // no tenant's lock is held between the passes
	}
	if fails := r.failures(); len(fails) > 0 {
		return &Error{Pass: PassPreflight, Failures: fails, Tenants: n}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before every tenant was rehearsed; nothing was applied: %w", context.Cause(ctx))
	}
	return nil
}

// replan plans a tenant of a fleet of databases again under its lock, for
// its apply: its pending migrations must be the rehearsed ones, or their
// tail (another run applied the others meanwhile).
func (r *run) replan(ctx context.Context, s *executor.Session, t *Tenant) (*planner.Plan, error) {
	plan, _, err := s.Plan(ctx, r.g)
	if err != nil {
		return nil, err
	}
	if err := s.Check(plan); err != nil {
		return nil, err
	}
	old, now := stepIDs(t.Plan.Run), stepIDs(plan.Run)
	if len(now) > len(old) || !slices.Equal(old[len(old)-len(now):], now) {
		return nil, &ChangedError{Rehearsed: old, Pending: now}
	}
	return plan, nil
}

func stepIDs(steps []planner.Step) []string {
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ID()
	}
	return ids
}

// apply is PassApply.
func (r *run) apply(ctx context.Context) error {
	var stop atomic.Bool
	n := len(r.targets)
	r.each(n, func() bool { return stop.Load() || ctx.Err() != nil }, func(i int) {
		t := r.res.Tenants[i]
		defer r.report(PassApply, n, t)
		if len(t.Plan.Run) == 0 {
			t.State = StateApplied
			return
		}
		s, done, err := r.open(ctx, i)
		if err != nil {
			t.fail(StateFailed, err)
			stop.Store(true)
			return
		}
		ok := false
		defer func() { done(ok) }()
		plan := t.Plan
		if r.databases {
			if plan, err = r.replan(ctx, s, t); err != nil {
				t.fail(StateFailed, err)
				stop.Store(true)
				return
			}
			t.Plan = plan
		}
		applied, err := s.Apply(ctx, plan)
		t.Applied = append(t.Applied, applied...)
		if err != nil {
			var me *executor.MigrationError
			if errors.As(err, &me) {
				t.Failed = me
			}
			t.fail(StateFailed, err)
			stop.Store(true)
			return
		}
		ok = true
		t.State = StateApplied
	})
	if r.databases {
		r.pool.closeAll(ctx)
	}
	e := &Error{Pass: PassApply, Failures: r.failures(), Tenants: n}
	for _, t := range r.res.Tenants {
		switch t.State {
		case StateApplied:
			e.Applied++
		case StateFailed:
		default:
			t.State = StateNotStarted
			e.NotStarted++
		}
	}
	return e.result(ctx)
}

// atomic is the one pass of an atomic run: per tenant, plan under its
// lock, refuse drift and strict blocking, and apply with
// [executor.Session.ApplyAtomic]; detection times are recorded right
// after a tenant's success, as a single database's atomic run does. After
// a failure no new tenant starts; running ones finish.
func (r *run) atomic(ctx context.Context) error {
	var stop atomic.Bool
	n := len(r.targets)
	r.each(n, func() bool { return stop.Load() || ctx.Err() != nil }, func(i int) {
		t := r.res.Tenants[i]
		defer r.report(PassApply, n, t)
		if !r.atomicTenant(ctx, i, t) {
			stop.Store(true)
		}
	})
	if r.databases {
		r.pool.closeAll(ctx)
	}
	e := &Error{Pass: PassPreflight, Failures: r.failures(), Tenants: n}
	for _, t := range r.res.Tenants {
		if len(t.Applied) > 0 {
			e.Pass = PassApply // something was committed somewhere
		}
		switch t.State {
		case StateApplied:
			e.Applied++
		case StateNotStarted:
			e.NotStarted++
		}
	}
	return e.result(ctx)
}

// atomicTenant runs tenant i of an atomic run; false when it failed.
func (r *run) atomicTenant(ctx context.Context, i int, t *Tenant) bool {
	s, done, err := r.openFirst(ctx, i)
	if err != nil {
		t.fail(StateFailed, err)
		return false
	}
	ok := false
	defer func() { done(ok) }()
	plan, err := r.plan(ctx, s, i)
	if err != nil {
		t.fail(StateFailed, err)
		return false
	}
	t.Plan = plan
	if err := s.Check(plan); err != nil {
		ok = true // nothing ran: the connection is as good as before
		t.fail(refusal(err), err)
		return false
	}
	t.State = StatePlanned
	r.note(t, plan)
	rep, applied, err := s.ApplyAtomic(ctx, plan)
	t.Preflight = rep
	t.Applied = append(t.Applied, applied...)
	if err != nil {
		var pe *executor.PartialError
		var me *executor.MigrationError
		if errors.As(err, &pe) && errors.As(pe.Err, &me) {
			t.Failed = me
		}
		t.fail(StateFailed, err)
		return false
	}
	if len(plan.NewlyDetected()) > 0 {
		ids, err := s.RecordDetected(ctx, plan)
		t.Detected = append(t.Detected, ids...)
		if err != nil {
			t.State = StateApplied // its migrations are
			t.OK, t.Err = false, err
			return false
		}
	}
	ok = true
	t.State = StateApplied
	return true
}

// detect is PassDetect.
func (r *run) detect(ctx context.Context) error {
	var todo []int
	for i, t := range r.res.Tenants {
		if len(t.Plan.NewlyDetected()) > 0 {
			todo = append(todo, i)
		}
	}
	(&run{targets: pick(r.targets, todo), jobs: r.jobs, perServer: r.perServer}).each(len(todo), func() bool { return ctx.Err() != nil }, func(k int) {
		i := todo[k]
		t := r.res.Tenants[i]
		defer r.report(PassDetect, len(todo), t)
		s, done, err := r.open(ctx, i)
		if err != nil {
			t.OK, t.Err = false, err
			return
		}
		ids, err := s.RecordDetected(ctx, t.Plan)
		done(err == nil)
		t.Detected = append(t.Detected, ids...)
		if err != nil {
			t.OK, t.Err = false, err
		}
	})
	if fails := r.failures(); len(fails) > 0 {
		return &Error{Pass: PassDetect, Failures: fails, Tenants: len(r.targets)}
	}
	return ctx.Err()
}

func pick(ts []executor.Target, idx []int) []executor.Target {
	out := make([]executor.Target, len(idx))
	for k, i := range idx {
		out[k] = ts[i]
	}
	return out
}

// failures lists the tenants that failed so far, in order.
func (r *run) failures() []*TenantError {
	var fails []*TenantError
	for _, t := range r.res.Tenants {
		if t.Err != nil {
			fails = append(fails, &TenantError{Tenant: t.Tenant, Err: t.Err})
		}
	}
	return fails
}

// each calls fn(i) for i = 0…n-1, at most r.jobs at a time and at most
// r.perServer at a time on one server (r.serverOf), taking the tenants in
// order except where a tenant's server is busy, and starts no new call
// once stop reports true. It returns when every started call has
// returned.
func (r *run) each(n int, stop func() bool, fn func(i int)) {
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		wg      sync.WaitGroup
		running int
		busy    = map[string]int{}
	)
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	mu.Lock()
	for len(pending) > 0 && !stop() {
		k := -1
		if running < r.jobs {
			k = slices.IndexFunc(pending, func(i int) bool { return busy[r.serverOf(i)] < r.perServer })
		}
		if k < 0 {
			cond.Wait()
			continue
		}
		i := pending[k]
		pending = slices.Delete(pending, k, k+1)
		srv := r.serverOf(i)
		running++
		busy[srv]++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				running--
				busy[srv]--
				cond.Broadcast()
				mu.Unlock()
			}()
			fn(i)
		}()
	}
	mu.Unlock()
	wg.Wait()
}

// syncWriter serialises writes from the tenants' sessions.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// result is what an apply pass returns once its tenants are counted in
// e: e itself when a tenant failed, an interruption when tenants were
// left unstarted without a failure (the run was cancelled), else nil.
func (e *Error) result(ctx context.Context) error {
	if len(e.Failures) > 0 {
		return e
	}
	if e.NotStarted > 0 {
		return fmt.Errorf("interrupted: %d of %d tenants applied, %d not started; run again to continue: %w", e.Applied, e.Tenants, e.NotStarted, context.Cause(ctx))
	}
	return nil
}
