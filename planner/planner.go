package planner

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
)

// Phase is the moment of a release a run belongs to.
type Phase string

// The phases.
const (
	PreDeploy  Phase = "pre-deploy"
	PostDeploy Phase = "post-deploy"
)

// Mode says how the pre-deploy phase treats blocked migrations.
type Mode string

// The modes.
const (
	// Strict refuses to run anything when a migration is blocked.
	Strict Mode = "strict"
	// Nonstrict runs what is ready and reports what is blocked.
	Nonstrict Mode = "nonstrict"
	// Disabled makes pre-deploy behave exactly like post-deploy.
	Disabled Mode = "disabled"
)

// ErrInitialNotEmpty is returned when Initial is requested for a target
// that already has applied migrations.
var ErrInitialNotEmpty = errors.New("--initial needs a target with no applied migrations")

// ErrUnknownTarget is returned when Input.Target names no migration.
var ErrUnknownTarget = errors.New("no migration with that ID")

// Input is everything a plan depends on. The planner does no I/O: the same
// Input always yields the same Plan.
type Input struct {
	Graph *graph.Graph
	// Applied maps each applied migration ID to the checksum recorded when it
	// was applied ("" when unknown, e.g. from --applied).
	Applied map[string]string
	// Detected maps migration IDs to the time the pre-deploy phase first saw
	// them waiting (docs/planning.md).
	Detected map[string]time.Time
	Now      time.Time
	Phase    Phase
	Mode     Mode
	// Initial runs everything in pre-deploy on a target with nothing applied.
	Initial bool
	// InitialAuto says that Initial was decided by --initial=auto, for
	// the reason InitialReason (both only reported in the plan).
	InitialAuto   bool
	InitialReason string
	// IgnoreDelays lets the post-deploy phase run after_deploy migrations
	// whose delay has not passed (docs/planning.md).
	IgnoreDelays bool
	// Target, when not empty, is a migration ID: only it and the pending
	// migrations it depends on, transitively, are planned (--to).
	Target string
}

// Step is one pending migration's place in the plan.
type Step struct {
	Migration *migration.Migration
	// Resolved is the value planning used: an after_deploy whose delay has
	// passed resolves to always.
	Resolved migration.Safe
	// Reason says, for a person, why the step runs, waits or is blocked.
	Reason string
	// DetectedAt is when pre-deploy first saw the migration waiting.
	DetectedAt *time.Time
	// RunnableAt is when a delayed migration's delay passes; nil when it
	// has no delay or was not detected yet.
	RunnableAt *time.Time
	// BlockedBy lists, for a blocked step, the delayed migrations it
	// reaches through pending dependencies: the root causes.
	BlockedBy []string
}

// ID returns the migration's ID.
func (s Step) ID() string { return s.Migration.ID }

// Drift is an applied migration whose file changed since it was applied.
type Drift struct {
	Migration       *migration.Migration
	AppliedChecksum string
}

// Plan is the planner's answer: what runs now, in order, what waits, and
// what is blocked.
type Plan struct {
	Phase Phase
	Mode  Mode
	// Effective is the phase semantics used: post-deploy for a disabled or
	// initial pre-deploy.
	Effective Phase
	Initial   bool
	// InitialAuto and InitialReason are Input's: --initial=auto chose
	// Initial for that reason.
	InitialAuto   bool
	InitialReason string
	// Target is Input.Target: only it and its dependencies were planned.
	Target  string
	Applied []string // applied IDs known to the graph, in topological order
	Run     []Step   // execution order
	Delayed []Step
	Blocked []Step
	// Drift lists applied migrations whose checksum differs from the file.
	Drift []Drift
	// Unknown lists applied IDs that have no file.
	Unknown []string
	// OutOfOrder lists pending migrations that sort before an applied one
	// of their chain (a merged branch); they run as usual.
	OutOfOrder []string
	// Waiting lists pre-deploy's delayed migrations already detected by an
	// earlier run that the post-deploy phase would run now: they survived a
	// deploy and still wait for post-deploy. One inside its delay (or
	// behind one) is not waiting for post-deploy but for its delay.
	Waiting []Step
}

// OK reports whether the plan may proceed: false exactly when a strict
// pre-deploy has blocked migrations (exit code 3).
func (p *Plan) OK() bool {
	return !(p.Effective == PreDeploy && p.Mode == Strict && len(p.Blocked) > 0)
}

// NewlyDetected returns the delayed migrations without a detection time: a
// successful pre-deploy or post-deploy run records them (docs/planning.md).
func (p *Plan) NewlyDetected() []string {
	var ids []string
	for _, s := range p.Delayed {
		if s.DetectedAt == nil {
			ids = append(ids, s.ID())
		}
	}
	return ids
}

// state of a pending migration during planning.
type state uint8

const (
	applied state = iota
	ready
	delayed
	blocked
	outside // pending but not a dependency of the --to target
)

// New computes the plan for in, following docs/planning.md step by step.
func New(in Input) (*Plan, error) {
	if in.Graph == nil {
		return nil, errors.New("planner: nil graph")
	}
	switch in.Phase {
	case PreDeploy, PostDeploy:
	default:
		return nil, fmt.Errorf("unknown phase %q (valid: pre-deploy, post-deploy)", in.Phase)
	}
	if in.Mode == "" {
		in.Mode = Strict
	}
	switch in.Mode {
	case Strict, Nonstrict, Disabled:
	default:
		return nil, fmt.Errorf("unknown mode %q (valid: strict, nonstrict, disabled)", in.Mode)
	}
	g := in.Graph
	p := &Plan{Phase: in.Phase, Mode: in.Mode, Effective: in.Phase, Initial: in.Initial, Target: in.Target,
		InitialAuto: in.InitialAuto, InitialReason: in.InitialReason}
	if in.Initial {
		if len(in.Applied) > 0 {
			return nil, fmt.Errorf("%w: %d migration(s) are recorded as applied; run without --initial", ErrInitialNotEmpty, len(in.Applied))
		}
		p.Effective = PostDeploy
	}
	if in.Phase == PreDeploy && in.Mode == Disabled {
		p.Effective = PostDeploy
	}

	n := g.Len()
	// scope: what --to considers; everything without a target.
	scope := make([]bool, n)
	if in.Target == "" {
		for i := range scope {
			scope[i] = true
		}
	} else {
		t, ok := g.Index(in.Target)
		if !ok {
			return nil, fmt.Errorf("--to %q: %w", in.Target, ErrUnknownTarget)
		}
		scope[t] = true
		for _, a := range g.Ancestors(t) {
			scope[a] = true
		}
	}
	st := make([]state, n)
	resolved := make([]migration.Safe, n)
	isApplied := make([]bool, n)
	for id, sum := range in.Applied {
		i, ok := g.Index(id)
		if !ok {
			p.Unknown = append(p.Unknown, id)
			continue
		}
		isApplied[i] = true
		if m := g.At(i); sum != "" && sum != m.Checksum {
			p.Drift = append(p.Drift, Drift{Migration: m, AppliedChecksum: sum})
		}
	}
	slices.Sort(p.Unknown)
	slices.SortFunc(p.Drift, func(a, b Drift) int { return migration.Compare(a.Migration, b.Migration) })
	for _, i := range g.Sort(isApplied) {
		p.Applied = append(p.Applied, g.At(i).ID)
	}
	p.OutOfOrder = outOfOrder(g, isApplied, scope)

	pending := make([]bool, n)
	for i := range n {
		pending[i] = !isApplied[i] && scope[i]
		if isApplied[i] {
			st[i] = applied
			continue
		}
		if !scope[i] {
			st[i] = outside
			continue
		}
		m := g.At(i)
		resolved[i] = m.Safe()
		if p.Effective == PostDeploy {
			st[i] = ready
			continue
		}
		// Step 1: an after_deploy whose delay has passed counts as always.
		if m.Safe() == migration.AfterDeploy && hasDelay(m) {
			if t, ok := in.Detected[m.ID]; ok && !t.Add(m.Directives.Delay).After(in.Now) {
				resolved[i] = migration.Always
			}
		}
		// Step 2.
		if resolved[i] == migration.AfterDeploy {
			st[i] = delayed
		} else {
			st[i] = ready
		}
	}

	// held: what a post-deploy run keeps back, an after_deploy inside its
	// delay and everything that depends on it (docs/planning.md).
	held := heldBack(g, in, pending)
	holdDelays := in.Phase == PostDeploy && !in.Initial && in.Mode != Disabled && !in.IgnoreDelays
	if p.Effective == PostDeploy && holdDelays {
		for i := range n {
			if held[i] {
				st[i] = delayed
			}
		}
	}

	var causes [][]string
	if p.Effective == PreDeploy {
		// Steps 3 and 4 reach a fixed point in one pass in topological order:
		// a node's state depends only on its dependencies' final states.
		order := g.Sort(pending)
		for _, i := range order {
			for _, d := range g.Deps(i) {
				switch {
				case st[i] == ready && (st[d] == delayed || st[d] == blocked):
					if resolved[i] == migration.BeforeDeploy {
						st[i] = blocked
					} else {
						st[i] = delayed
					}
				case st[i] == delayed && st[d] == blocked:
					st[i] = blocked
				}
			}
			// A ready node moved to delayed may still meet a blocked dependency.
			if st[i] == delayed {
				for _, d := range g.Deps(i) {
					if st[d] == blocked {
						st[i] = blocked
					}
				}
			}
		}
		causes = rootCauses(g, order, st)
	}

	inRun := make([]bool, n)
	for i := range n {
		inRun[i] = st[i] == ready
	}
	for _, i := range g.Sort(inRun) {
		p.Run = append(p.Run, p.step(in, g, i, resolved[i], st, causes))
	}
	for i := range n {
		switch st[i] {
		case delayed:
			s := p.step(in, g, i, resolved[i], st, causes)
			p.Delayed = append(p.Delayed, s)
			if p.Effective == PreDeploy && s.DetectedAt != nil && !held[i] {
				p.Waiting = append(p.Waiting, s)
			}
		case blocked:
			p.Blocked = append(p.Blocked, p.step(in, g, i, resolved[i], st, causes))
		}
	}
	return p, nil
}

// step describes node i in state st[i].
func (p *Plan) step(in Input, g *graph.Graph, i int, res migration.Safe, st []state, causes [][]string) Step {
	m := g.At(i)
	s := Step{Migration: m, Resolved: res}
	if t, ok := in.Detected[m.ID]; ok {
		t := t
		s.DetectedAt = &t
	}
	delay, timed := m.Directives.Delay, hasDelay(m)
	switch st[i] {
	case ready:
		s.Reason = string(m.Safe())
		if res != m.Safe() {
			s.Reason = fmt.Sprintf("delay %s passed (detected %s)", migration.FormatDuration(delay), s.DetectedAt.UTC().Format(time.RFC3339))
		}
	case delayed:
		switch {
		case p.Effective == PostDeploy && m.Safe() == migration.AfterDeploy && timed && s.DetectedAt == nil:
			s.Reason = fmt.Sprintf("delay %s, not detected yet: this run detects it; runnable %s later (--ignore-delays runs it now)", migration.FormatDuration(delay), migration.FormatDuration(delay))
		case p.Effective == PostDeploy && m.Safe() == migration.AfterDeploy && timed && s.DetectedAt.Add(delay).After(in.Now):
			s.RunnableAt, s.Reason = delayedUntil(m, *s.DetectedAt)
			s.Reason += " (rollback headroom; --ignore-delays runs it now)"
		case m.Safe() == migration.AfterDeploy && timed && s.DetectedAt == nil:
			s.Reason = fmt.Sprintf("delay %s, not detected yet: runnable %s after the first pre-deploy run that sees it", migration.FormatDuration(delay), migration.FormatDuration(delay))
		case m.Safe() == migration.AfterDeploy && timed && s.DetectedAt.Add(delay).After(in.Now):
			s.RunnableAt, s.Reason = delayedUntil(m, *s.DetectedAt)
		case p.Effective == PreDeploy && m.Safe() == migration.AfterDeploy && res == migration.AfterDeploy:
			s.Reason = "runs in post-deploy"
		default:
			s.Reason = fmt.Sprintf("waits for %s", strings.Join(p.waitingDeps(g, i, st), ", "))
		}
	case blocked:
		s.BlockedBy = causes[i]
		s.Reason = fmt.Sprintf("%s behind delayed %s", m.Safe(), strings.Join(s.BlockedBy, ", "))
	}
	return s
}

// heldBack marks the pending migrations a post-deploy run keeps back: an
// after_deploy with a delay that was not detected or whose delay has not
// passed, and every pending migration that depends on one. One pass in
// topological order suffices.
func heldBack(g *graph.Graph, in Input, pending []bool) []bool {
	held := make([]bool, g.Len())
	for _, i := range g.Sort(pending) {
		m := g.At(i)
		if m.Safe() == migration.AfterDeploy && hasDelay(m) {
			t, ok := in.Detected[m.ID]
			held[i] = !ok || t.Add(m.Directives.Delay).After(in.Now)
		}
		for _, d := range g.Deps(i) {
			held[i] = held[i] || held[d]
		}
	}
	return held
}

// hasDelay reports whether m has a delay directive; `delay: 0s` is a delay
// too (runnable by the first pre-deploy run after its detection).
func hasDelay(m *migration.Migration) bool {
	return m.Directives.Delay > 0 || m.Directives.Has(migration.KeyDelay)
}

// delayedUntil says when a timed after_deploy migration detected at t
// becomes runnable in pre-deploy.
func delayedUntil(m *migration.Migration, t time.Time) (*time.Time, string) {
	at := t.Add(m.Directives.Delay)
	return &at, fmt.Sprintf("delay %s: runnable at %s", migration.FormatDuration(m.Directives.Delay), at.UTC().Format(time.RFC3339))
}

// MarkDetected records in the plan that a run detected the
// delayed migrations ids at t (see [Plan.NewlyDetected]): their DetectedAt,
// RunnableAt and Reason then read as a plan made after the run would.
func (p *Plan) MarkDetected(ids []string, t time.Time) {
	for i := range p.Delayed {
		s := &p.Delayed[i]
		if s.DetectedAt != nil || !slices.Contains(ids, s.ID()) {
			continue
		}
		at := t
		s.DetectedAt = &at
		if m := s.Migration; m.Safe() == migration.AfterDeploy && hasDelay(m) && s.Resolved == migration.AfterDeploy {
			s.RunnableAt, s.Reason = delayedUntil(m, t)
			if p.Effective == PostDeploy {
				s.Reason += " (rollback headroom; --ignore-delays runs it now)"
			}
		}
	}
}

// waitingDeps returns the direct dependencies of i that are delayed or
// blocked.
func (p *Plan) waitingDeps(g *graph.Graph, i int, st []state) []string {
	var ids []string
	for _, d := range g.Deps(i) {
		if st[d] == delayed || st[d] == blocked {
			ids = append(ids, g.At(d).ID)
		}
	}
	return ids
}

// rootCauses returns, for every blocked node, its blocked_by: the delayed
// migrations it reaches through pending dependencies, in (chain, version)
// order. One pass in topological order (order) unions each node's
// dependencies' sets, kept as bitsets over the delayed nodes, so planning
// stays linear in the graph even when thousands of migrations are blocked.
func rootCauses(g *graph.Graph, order []int, st []state) [][]string {
	n := g.Len()
	var delayedNodes []int // bit k stands for node delayedNodes[k], ascending
	bit := make([]int, n)
	hasBlocked := false
	for i := range n {
		switch st[i] {
		case delayed:
			bit[i] = len(delayedNodes)
			delayedNodes = append(delayedNodes, i)
		case blocked:
			hasBlocked = true
		}
	}
	if !hasBlocked {
		return nil
	}
	words := (len(delayedNodes) + 63) / 64
	sets := make([]uint64, n*words)
	row := func(i int) []uint64 { return sets[i*words : (i+1)*words] }
	for _, i := range order {
		if st[i] != delayed && st[i] != blocked {
			continue // applied, or ready: a ready node reaches only ready ones
		}
		ri := row(i)
		for _, d := range g.Deps(i) {
			if st[d] != delayed && st[d] != blocked {
				continue
			}
			for w, x := range row(d) {
				ri[w] |= x
			}
			if st[d] == delayed {
				ri[bit[d]/64] |= 1 << (bit[d] % 64)
			}
		}
	}
	out := make([][]string, n)
	for i := range n {
		if st[i] != blocked {
			continue
		}
		k := 0
		for _, x := range row(i) {
			k += bits.OnesCount64(x)
		}
		ids := make([]string, 0, k)
		for w, x := range row(i) {
			for ; x != 0; x &= x - 1 {
				ids = append(ids, g.At(delayedNodes[w*64+bits.TrailingZeros64(x)]).ID)
			}
		}
		out[i] = ids
	}
	return out
}

// outOfOrder lists pending migrations in scope that sort before the newest
// applied migration of their chain.
func outOfOrder(g *graph.Graph, isApplied, scope []bool) []string {
	last := map[string]int{}
	for i := range g.Len() {
		if isApplied[i] {
			last[g.At(i).Chain] = i
		}
	}
	var ids []string
	for i := range g.Len() {
		if l, ok := last[g.At(i).Chain]; ok && !isApplied[i] && scope[i] && i < l {
			ids = append(ids, g.At(i).ID)
		}
	}
	return ids
}
