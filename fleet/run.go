package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// [DefaultJobs].
	Jobs int
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

// Run migrates every tenant in two passes (docs/executing.md), holding every
// tenant's lock from its plan until the end:
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
// After a successful pre-deploy run, PassDetect records detection times
// in every tenant that has new ones (docs/planning.md); a run that failed
// anywhere records none, as a single database's failed run would.
//
// The locks are taken up front by [executor.LockAll] on one connection,
// and every pass works with short-lived sessions ([executor.LockSet.Open]),
// so a run uses at most Jobs+1 connections (plus, while a statement waits
// on a lock, a monitoring connection per waiting tenant) however many
// tenants there are.
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
	exec := opts.Exec
	if exec.Log != nil {
		exec.Log = &syncWriter{w: exec.Log}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	mode := exec.Mode
	if mode == "" {
		mode = planner.Strict
	}
	targets := f.Targets()
	res := &Result{Phase: exec.Phase, Mode: mode, DryRun: exec.DryRun, Jobs: jobs, Tenants: make([]*Tenant, len(targets))}
	for i, s := range f.schemas {
		res.Tenants[i] = &Tenant{Tenant: s, OK: true, State: StateNotStarted, Applied: []string{}, Detected: []string{}}
	}
	if len(targets) == 0 {
		res.summarize(g, exec.NoPreflight)
		return res, nil
	}
	if err := f.recheck(ctx); err != nil {
		return nil, err
	}
	locks, err := executor.LockAll(ctx, targets, exec)
	if err != nil {
		return nil, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = locks.Close(closeCtx) // the locks go with the connection anyway
	}()
	r := &run{g: g, exec: exec, jobs: jobs, progress: opts.Progress, targets: targets, res: res, locks: locks}

	err = r.preflight(ctx)
	if err == nil && !exec.DryRun {
		err = r.apply(ctx)
		if err == nil {
			err = r.detect(ctx)
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
	g        *graph.Graph
	exec     executor.Options
	jobs     int
	progress func(Progress)
	targets  []executor.Target
	res      *Result
	locks    *executor.LockSet

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

// open opens a session on tenant i under the fleet's lock.
func (r *run) open(ctx context.Context, i int) (*executor.Session, func(), error) {
	s, err := r.locks.Open(ctx, r.targets[i], r.exec)
	if err != nil {
		return nil, nil, err
	}
	return s, func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.Close(closeCtx)
	}, nil
}

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
	n := len(r.targets)
	each(n, r.jobs, func() bool { return ctx.Err() != nil }, func(i int) {
		t := r.res.Tenants[i]
		defer r.report(PassPreflight, n, t)
		s, done, err := r.open(ctx, i)
		if err != nil {
			t.fail(StateFailed, err)
			return
		}
		defer done()
		plan, _, err := s.Plan(ctx, r.g)
		if err != nil {
			t.fail(StateFailed, err)
			return
		}
		t.Plan = plan
		if err := s.Check(plan); err != nil {
			state := StateFailed
			switch {
			case errors.Is(err, executor.ErrBlocked):
				state = StateBlocked
			case errors.Is(err, executor.ErrDrift):
				state = StateDrift
			}
			t.fail(state, err)
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
			t.fail(StateFailed, err)
		case !pf.OK:
			t.fail(StateFailed, pf.Err())
		default:
			t.State = StatePreflighted
		}
	})
	if fails := r.failures(); len(fails) > 0 {
		return &Error{Pass: PassPreflight, Failures: fails, Tenants: n}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before every tenant was rehearsed; nothing was applied: %w", context.Cause(ctx))
	}
	return nil
}

// apply is PassApply.
func (r *run) apply(ctx context.Context) error {
	var stop atomic.Bool
	n := len(r.targets)
	each(n, r.jobs, func() bool { return stop.Load() || ctx.Err() != nil }, func(i int) {
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
		defer done()
		applied, err := s.Apply(ctx, t.Plan)
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
		t.State = StateApplied
	})
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
	if len(e.Failures) > 0 {
		return e
	}
	if e.NotStarted > 0 {
		return fmt.Errorf("interrupted: %d of %d tenants applied, %d not started; run again to continue: %w", e.Applied, n, e.NotStarted, context.Cause(ctx))
	}
	return nil
}

// detect is PassDetect.
func (r *run) detect(ctx context.Context) error {
	var todo []int
	for i, t := range r.res.Tenants {
		if len(t.Plan.NewlyDetected()) > 0 {
			todo = append(todo, i)
		}
	}
	each(len(todo), r.jobs, func() bool { return ctx.Err() != nil }, func(k int) {
		i := todo[k]
		t := r.res.Tenants[i]
		defer r.report(PassDetect, len(todo), t)
		s, done, err := r.open(ctx, i)
		if err != nil {
			t.OK, t.Err = false, err
			return
		}
		defer done()
		ids, err := s.RecordDetected(ctx, t.Plan)
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

// each calls fn(i) for i = 0…n-1 in order, at most jobs at a time, and
// starts no new call once stop reports true. It returns when every
// started call has returned.
func each(n, jobs int, stop func() bool, fn func(i int)) {
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		if stop() {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
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
