package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// ErrRehearsalOnTarget means [Rehearse] was asked to rehearse on the
// database the plan was made from. A rehearsal elsewhere runs
// `transaction: false` migrations through transactional equivalents
// (CREATE INDEX instead of CREATE INDEX CONCURRENTLY), whose stronger
// locks must never be taken on the real database.
var ErrRehearsalOnTarget = errors.New("the rehearsal database is the target itself")

// Prepare does what [Run] does before it touches anything, for a
// rehearsal on another database: it opens t, reads its state and plans
// under its migration lock, refuses drift (*[DriftError], unless
// AllowDrift) and strict blocking (*[BlockedError]) as Run does, and
// releases the lock. Nothing is written to t: not even the tracking
// tables are created.
//
// The Result carries the plan, with DryRun set and no Preflight yet; it is
// non-nil whenever planning succeeded, also together with a Check error,
// so that callers can report it. [Rehearse] continues from it.
func Prepare(ctx context.Context, t Target, g *graph.Graph, opts Options) (*Result, error) {
	if err := checkRun(g, opts); err != nil {
		return nil, err
	}
	opts.DryRun = true
	s, err := Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	defer s.closeAfter(ctx)
	res, err := s.prepare(ctx, g)
	if res != nil {
		res.planned = t
	}
	return res, err
}

// prepare plans under the lock and checks the plan: the start of [Run].
func (s *Session) prepare(ctx context.Context, g *graph.Graph) (*Result, error) {
	plan, _, err := s.Plan(ctx, g)
	if err != nil {
		return nil, err
	}
	res := newResult(plan, s.opts)
	if err := s.Check(plan); err != nil {
		return res, err
	}
	for _, id := range plan.OutOfOrder {
		s.log.printf("note: %s sorts before an applied migration of its chain (a merged branch); it runs as usual", id)
	}
	return res, nil
}

// Rehearse continues a run that [Prepare] planned: it rehearses res.Plan
// on the database of on, a disposable copy of the target (a restored
// backup, a staging database, a throwaway server loaded with the target's
// schema), and rolls everything back. It is [Session.Preflight] on a
// session of on, with RehearseNonTransactional set: `transaction: false`
// migrations are rehearsed with their transactional equivalents, whose
// stronger locks only a copy can afford.
//
// The copy must have the target's schema: the plan says which migrations
// are pending on the target, and they are rehearsed as they would run
// there. When the copy's own tracking tables record applied migrations
// that differ from the target's, Rehearse warns on Options.Log (the
// rehearsal goes on with the target's plan).
//
// Rehearse sets res.Preflight and res.OK. Its error is what Run's would
// be: a *[PreflightError] when migrations failed (nothing is applied
// anywhere), [ErrConnect] or a *[LockWaitError] for the copy,
// [ErrRehearsalOnTarget] when on is the database the plan was made from
// (recognised by server identity: system identifier and database OID,
// however its connection string spells it), [ErrIdentity] when that
// identity cannot be read.
func Rehearse(ctx context.Context, on Target, res *Result, opts Options) error {
	if res == nil || res.Plan == nil {
		return errors.New("executor: Rehearse needs the Result of Prepare")
	}
	opts.RehearseNonTransactional = true
	s, err := connect(ctx, on, opts)
	if err != nil {
		return err
	}
	// Before the migration lock: on the target itself, even that would
	// wait on other runs.
	if err := s.notTarget(ctx, res.planned); err != nil {
		s.closeConn()
		return err
	}
	if err := s.lock(ctx); err != nil {
		s.closeConn()
		return err
	}
	defer s.closeAfter(ctx)
	st, err := s.State(ctx)
	if err != nil {
		return err
	}
	s.compareState(res.Plan, st)
	pf, err := s.Preflight(ctx, res.Plan)
	if err != nil {
		return err
	}
	pf.RehearsedOn = on.String()
	res.Preflight = pf
	if !pf.OK {
		return pf.Err()
	}
	res.OK = true
	return nil
}

// compareState warns when the copy records another applied set than the
// target the plan was made from. A copy that records nothing (a schema
// loaded from pg_dump --schema-only, or restored without the tracking
// tables' rows) is not compared.
func (s *Session) compareState(plan *planner.Plan, st *State) {
	if len(st.Applied) == 0 {
		return
	}
	target := map[string]bool{}
	for _, id := range plan.Applied {
		target[id] = true
	}
	for _, id := range plan.Unknown {
		target[id] = true
	}
	var onlyCopy, onlyTarget []string
	for id := range st.Applied {
		if !target[id] {
			onlyCopy = append(onlyCopy, id)
		}
	}
	for id := range target {
		if _, ok := st.Applied[id]; !ok {
			onlyTarget = append(onlyTarget, id)
		}
	}
	if len(onlyCopy)+len(onlyTarget) == 0 {
		return
	}
	var diffs []string
	if len(onlyCopy) > 0 {
		slices.Sort(onlyCopy)
		diffs = append(diffs, "applied there but not on the target: "+strings.Join(onlyCopy, ", "))
	}
	if len(onlyTarget) > 0 {
		slices.Sort(onlyTarget)
		diffs = append(diffs, "applied on the target but not there: "+strings.Join(onlyTarget, ", "))
	}
	s.log.printf("warning: %s records other applied migrations than the target (%s); the rehearsal runs the target's pending migrations, so failures may come from the difference", s.target, strings.Join(diffs, "; "))
}

// sameDatabase reports whether a and b name the same database on the same
// server, as far as their connection settings tell: enough to group the
// targets of one connection ([LockAll]), never to keep a rehearsal off
// the target (see [Session.notTarget]).
func sameDatabase(a, b Target) bool {
	if a.Config == nil || b.Config == nil {
		return false
	}
	return a.Config.Host == b.Config.Host && a.Config.Port == b.Config.Port && a.Config.Database == b.Config.Database
}

// checkRun validates the arguments of a run.
func checkRun(g *graph.Graph, opts Options) error {
	if g == nil {
		return errors.New("executor: nil graph")
	}
	if opts.Phase == "" {
		return errors.New("executor: Options.Phase is required")
	}
	return nil
}

// closeAfter releases the lock and closes the session at the end of a
// run, also after an interruption (a cancelled ctx).
func (s *Session) closeAfter(ctx context.Context) {
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.Close(closeCtx); err != nil {
		// The lock goes with the connection anyway; the run's outcome
		// stands.
		s.log.printf("warning: releasing the migration lock: %v", err)
	}
}
