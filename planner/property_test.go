package planner_test

import (
	"cmp"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
	"github.com/stretchr/testify/require"
)

var propertyRuns = flag.Int("property.runs", 5000, "random graphs checked by TestPlanProperties")

// world is one random scenario: migrations with their true dependency
// edges (kept by the generator, independent of package graph), and the
// planner input built from them.
type world struct {
	nodes    []*node // creation order, which is a topological order
	byID     map[string]*node
	applied  map[string]bool
	detected map[string]time.Time
	now      time.Time
	phase    planner.Phase
	mode     planner.Mode
	initial  bool
	ignore   bool   // IgnoreDelays
	target   string // --to; "" for none
	unknown  []string
	drifted  map[string]bool
}

type node struct {
	m    *migration.Migration
	deps []string // IDs: chain predecessor and depends targets, deduplicated
}

func (n *node) id() string { return n.m.ID }

// pad writes v with a random number of leading zeros.
func pad(r *rand.Rand, v int) string {
	return strings.Repeat("0", r.IntN(3)) + fmt.Sprint(v)
}

func genWorld(r *rand.Rand) *world {
	w := &world{
		byID:     map[string]*node{},
		applied:  map[string]bool{},
		detected: map[string]time.Time{},
		drifted:  map[string]bool{},
		now:      time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	allChains := []string{"", "a", "auth", "b", "billing", "z"}
	r.Shuffle(len(allChains), func(i, j int) { allChains[i], allChains[j] = allChains[j], allChains[i] })
	chains := allChains[:1+r.IntN(4)]
	lastVer := map[string]int{}
	last := map[string]*node{}
	n := r.IntN(41)
	depProb := r.Float64() * 0.6
	delays := []time.Duration{0, time.Hour, 36 * time.Hour, 7 * 24 * time.Hour}
	for k := range n {
		chain := chains[r.IntN(len(chains))]
		v := lastVer[chain] + 1 + r.IntN(12)
		if r.IntN(8) == 0 && v < 1e6 {
			v = lastVer[chain]*10 + 1 + r.IntN(3) // jump a digit: 9 → 91, 10 → 101
		}
		lastVer[chain] = v
		version := pad(r, v)
		name := fmt.Sprintf("m%d", k)
		id := version + "_" + name
		if chain != "" {
			id = chain + "/" + id
		}
		d := migration.Directives{Transaction: true, Lines: map[string]int{}}
		d.Safe = migration.SafeValues[r.IntN(3)]
		d.Lines[migration.KeySafe] = 1
		nd := &node{}
		if p := last[chain]; p != nil {
			nd.deps = append(nd.deps, p.id())
		}
		if len(w.nodes) > 0 && r.Float64() < depProb {
			for range 1 + r.IntN(3) {
				t := w.nodes[r.IntN(len(w.nodes))]
				var ref string
				switch x := r.IntN(3); {
				case x == 0:
					ref = t.id()
				case t.m.Chain == "":
					ref = pad(r, mustAtoi(t.m.Version)) // bare root version
				default:
					ref = t.m.Chain + "/" + pad(r, mustAtoi(t.m.Version))
				}
				d.Depends = append(d.Depends, ref)
				if !slices.Contains(nd.deps, t.id()) {
					nd.deps = append(nd.deps, t.id())
				}
			}
			d.Lines[migration.KeyDepends] = 2
		}
		if d.Safe == migration.AfterDeploy && r.IntN(5) < 3 {
			d.Delay = delays[r.IntN(len(delays))]
			d.Lines[migration.KeyDelay] = 3
		}
		if r.IntN(2) == 0 {
			var ago time.Duration
			switch r.IntN(6) {
			case 0:
				ago = d.Delay // exactly due
			case 1:
				ago = d.Delay - time.Nanosecond
			case 2:
				ago = d.Delay + time.Nanosecond
			case 3:
				ago = -time.Hour // clock skew: detected in the future
			default:
				ago = time.Duration(r.Int64N(int64(10 * 24 * time.Hour)))
			}
			w.detected[id] = w.now.Add(-ago)
		}
		nd.m = &migration.Migration{
			ID: id, Chain: chain, Version: version, Name: name, Path: id + ".sql",
			SQL: []byte(id), Checksum: "sum-" + id, Directives: d, DeclaredSafe: true,
		}
		w.nodes = append(w.nodes, nd)
		w.byID[id] = nd
		last[chain] = nd
	}

	switch x := r.IntN(20); {
	case x < 12: // dependency-closed: a random down-set
		p := r.Float64()
		for _, nd := range w.nodes {
			ok := r.Float64() < p
			for _, d := range nd.deps {
				ok = ok && w.applied[d]
			}
			w.applied[nd.id()] = ok
		}
	case x < 15: // nothing applied
	case x < 18: // anything, e.g. after merging a branch (out of order)
		for _, nd := range w.nodes {
			w.applied[nd.id()] = r.IntN(2) == 0
		}
	default: // closed, plus rows with no file
		for _, nd := range w.nodes {
			ok := r.IntN(3) > 0
			for _, d := range nd.deps {
				ok = ok && w.applied[d]
			}
			w.applied[nd.id()] = ok
		}
		w.unknown = []string{"0_gone", "zz/1_gone"}
	}
	for _, nd := range w.nodes {
		if w.applied[nd.id()] && r.IntN(10) == 0 {
			w.drifted[nd.id()] = true
		}
	}
	w.phase = planner.PreDeploy
	if r.IntN(4) == 0 {
		w.phase = planner.PostDeploy
	}
	w.mode = []planner.Mode{planner.Strict, planner.Strict, planner.Nonstrict, planner.Nonstrict, planner.Disabled}[r.IntN(5)]
	w.initial = r.IntN(6) == 0
	w.ignore = r.IntN(4) == 0
	if len(w.nodes) > 0 && r.IntN(5) == 0 {
		w.target = w.nodes[r.IntN(len(w.nodes))].id()
	}
	return w
}

func mustAtoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (w *world) input(r *rand.Rand) (planner.Input, error) {
	ms := make([]*migration.Migration, len(w.nodes))
	for i, nd := range w.nodes {
		ms[i] = nd.m
	}
	r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	g, err := graph.New(ms)
	if err != nil {
		return planner.Input{}, err
	}
	applied := map[string]string{}
	for id, ok := range w.applied {
		switch {
		case !ok:
		case w.drifted[id]:
			applied[id] = "changed"
		case r.IntN(2) == 0:
			applied[id] = w.byID[id].m.Checksum
		default:
			applied[id] = ""
		}
	}
	for _, id := range w.unknown {
		applied[id] = ""
	}
	return planner.Input{
		Graph: g, Applied: applied, Detected: w.detected, Now: w.now,
		Phase: w.phase, Mode: w.mode, Initial: w.initial,
		IgnoreDelays: w.ignore, Target: w.target,
	}, nil
}

// refCompare is docs/file-format.md's tie-break, written independently of
// migration.Compare: root chain first, chains by name, versions as numbers.
func refCompare(a, b *migration.Migration) int {
	if a.Chain != b.Chain {
		switch {
		case a.Chain == "":
			return -1
		case b.Chain == "":
			return 1
		}
		return strings.Compare(a.Chain, b.Chain)
	}
	va, _ := new(big.Int).SetString(a.Version, 10)
	vb, _ := new(big.Int).SetString(b.Version, 10)
	return cmp.Or(va.Cmp(vb), strings.Compare(a.Name, b.Name))
}

// refKahn orders set the slow, obvious way: repeatedly take the smallest
// member whose dependencies inside set are all taken.
func (w *world) refKahn(set map[string]bool) []string {
	done := map[string]bool{}
	out := []string{}
	for len(out) < len(set) {
		var best *node
		for _, nd := range w.nodes {
			if !set[nd.id()] || done[nd.id()] {
				continue
			}
			free := true
			for _, d := range nd.deps {
				if set[d] && !done[d] {
					free = false
				}
			}
			if free && (best == nil || refCompare(nd.m, best.m) < 0) {
				best = nd
			}
		}
		if best == nil {
			panic("cycle in generated world")
		}
		done[best.id()] = true
		out = append(out, best.id())
	}
	return out
}

// refScope is what --to considers: the target and everything it reaches
// through dependencies; every migration without a target.
func (w *world) refScope() map[string]bool {
	scope := map[string]bool{}
	if w.target == "" {
		for _, nd := range w.nodes {
			scope[nd.id()] = true
		}
		return scope
	}
	var visit func(string)
	visit = func(id string) {
		if scope[id] {
			return
		}
		scope[id] = true
		for _, d := range w.byID[id].deps {
			visit(d)
		}
	}
	visit(w.target)
	return scope
}

// refHeld is the post-deploy delay rule taken literally: an after_deploy
// with a delay not detected or not passed is held; repeat until nothing
// moves: a pending migration with a held dependency is held.
func (w *world) refHeld(pending map[string]bool) map[string]bool {
	held := map[string]bool{}
	for _, nd := range w.nodes {
		m := nd.m
		if !pending[nd.id()] || m.Directives.Safe != migration.AfterDeploy || !m.Directives.Has(migration.KeyDelay) {
			continue
		}
		if t, ok := w.detected[nd.id()]; !ok || t.Add(m.Directives.Delay).After(w.now) {
			held[nd.id()] = true
		}
	}
	for moved := true; moved; {
		moved = false
		for _, nd := range w.nodes {
			if !pending[nd.id()] || held[nd.id()] {
				continue
			}
			for _, d := range nd.deps {
				if held[d] {
					held[nd.id()] = true
					moved = true
					break
				}
			}
		}
	}
	return held
}

// refPending is the set of pending migrations in scope.
func (w *world) refPending() map[string]bool {
	scope := w.refScope()
	pending := map[string]bool{}
	for _, nd := range w.nodes {
		if scope[nd.id()] && !w.applied[nd.id()] {
			pending[nd.id()] = true
		}
	}
	return pending
}

// refState is docs/planning.md taken literally: resolve, split, then steps 3 and 4
// each repeated until nothing moves; in post-deploy, the delay rule.
func (w *world) refState() (state map[string]string, effectivePost bool) {
	state = map[string]string{}
	effectivePost = w.phase == planner.PostDeploy || w.mode == planner.Disabled || w.initial
	pending := w.refPending()
	holds := w.phase == planner.PostDeploy && w.mode != planner.Disabled && !w.initial && !w.ignore
	held := w.refHeld(pending)
	for _, nd := range w.nodes {
		id := nd.id()
		if !pending[id] {
			continue
		}
		if effectivePost {
			state[id] = "ready"
			if holds && held[id] {
				state[id] = "delayed"
			}
			continue
		}
		res := nd.m.Directives.Safe
		if res == migration.AfterDeploy && nd.m.Directives.Has(migration.KeyDelay) {
			if t, ok := w.detected[id]; ok && !t.Add(nd.m.Directives.Delay).After(w.now) {
				res = migration.Always
			}
		}
		if res == migration.AfterDeploy {
			state[id] = "delayed"
		} else {
			state[id] = "ready"
		}
	}
	if effectivePost {
		return state, true
	}
	for moved := true; moved; {
		moved = false
		for _, nd := range w.nodes {
			if state[nd.id()] != "ready" {
				continue
			}
			for _, d := range nd.deps {
				if state[d] == "delayed" || state[d] == "blocked" {
					if nd.m.Directives.Safe == migration.BeforeDeploy {
						state[nd.id()] = "blocked"
					} else {
						state[nd.id()] = "delayed"
					}
					moved = true
					break
				}
			}
		}
	}
	for moved := true; moved; {
		moved = false
		for _, nd := range w.nodes {
			if state[nd.id()] != "delayed" {
				continue
			}
			for _, d := range nd.deps {
				if state[d] == "blocked" {
					state[nd.id()] = "blocked"
					moved = true
					break
				}
			}
		}
	}
	return state, false
}

// refBlockedBy lists the delayed migrations id reaches through pending
// dependencies, in (chain, version) order.
func (w *world) refBlockedBy(id string, state map[string]string) []string {
	seen := map[string]bool{}
	var causes []*migration.Migration
	var visit func(string)
	visit = func(id string) {
		for _, d := range w.byID[id].deps {
			if seen[d] || w.applied[d] {
				continue
			}
			seen[d] = true
			if state[d] == "delayed" {
				causes = append(causes, w.byID[d].m)
			}
			visit(d)
		}
	}
	visit(id)
	slices.SortFunc(causes, refCompare)
	out := []string{}
	for _, m := range causes {
		out = append(out, m.ID)
	}
	return out
}

func TestPlanProperties(t *testing.T) {
	runs := *propertyRuns
	if testing.Short() {
		runs = 500
	}
	r := rand.New(rand.NewPCG(20260601, 1))
	stats := map[string]int{}
	for k := range runs {
		w := genWorld(r)
		in, err := w.input(r)
		require.NoError(t, err, "world %d: the generator makes valid graphs", k)
		checkGraph(t, k, w, in.Graph)
		p, err := planner.New(in)
		if w.initial && len(in.Applied) > 0 {
			require.ErrorIs(t, err, planner.ErrInitialNotEmpty, "world %d", k)
			stats["initial refused"]++
			continue
		}
		require.NoError(t, err, "world %d", k)
		checkPlan(t, k, w, in, p)
		switch {
		case len(p.Blocked) > 0:
			stats["with blocked"]++
		case len(p.Delayed) > 0:
			stats["with delayed"]++
		default:
			stats["all run"]++
		}
		if len(p.OutOfOrder) > 0 {
			stats["out of order"]++
		}
		if w.phase == planner.PostDeploy && len(p.Delayed) > 0 {
			stats["post-deploy holds a delay"]++
		}
		if w.target != "" && len(p.Run) > 0 {
			stats["--to runs something"]++
		}
	}
	t.Logf("%d worlds: %v", runs, stats)
	// The generator must reach every interesting shape.
	for _, k := range []string{"with blocked", "with delayed", "all run", "out of order", "initial refused", "post-deploy holds a delay", "--to runs something"} {
		require.Positive(t, stats[k], "no world %q", k)
	}
}

// checkGraph compares graph.New's edges and order with the generator's.
func checkGraph(t *testing.T, k int, w *world, g *graph.Graph) {
	t.Helper()
	require.Equal(t, len(w.nodes), g.Len())
	for _, nd := range w.nodes {
		i, ok := g.Index(nd.id())
		require.True(t, ok)
		var got []string
		for _, d := range g.Deps(i) {
			got = append(got, g.At(d).ID)
		}
		require.ElementsMatch(t, nd.deps, got, "world %d: deps of %s", k, nd.id())
	}
	all := map[string]bool{}
	for _, nd := range w.nodes {
		all[nd.id()] = true
	}
	var got []string
	for _, i := range g.SortAll() {
		got = append(got, g.At(i).ID)
	}
	require.Equal(t, w.refKahn(all), append([]string{}, got...), "world %d: SortAll", k)
}

func checkPlan(t *testing.T, k int, w *world, in planner.Input, p *planner.Plan) {
	t.Helper()
	msg := func(format string, args ...any) string {
		return fmt.Sprintf("world %d (%s, %s, initial=%v, ignore-delays=%v, to=%q): ", k, w.phase, w.mode, w.initial, w.ignore, w.target) + fmt.Sprintf(format, args...)
	}
	where := map[string]string{}
	for name, steps := range map[string][]planner.Step{"run": p.Run, "delayed": p.Delayed, "blocked": p.Blocked} {
		for _, s := range steps {
			_, dup := where[s.ID()]
			require.False(t, dup, msg("%s listed twice", s.ID()))
			where[s.ID()] = name
		}
	}

	// Run, Delayed and Blocked partition the pending set within --to's scope.
	pending := w.refPending()
	for _, nd := range w.nodes {
		if pending[nd.id()] {
			require.Contains(t, where, nd.id(), msg("pending %s is nowhere", nd.id()))
		} else {
			require.NotContains(t, where, nd.id(), msg("applied or out-of-scope %s is planned", nd.id()))
		}
	}
	if w.target != "" && !w.applied[w.target] {
		require.Contains(t, where, w.target, msg("the --to target is planned"))
	}
	require.Len(t, where, len(pending), msg("partition"))

	// Every migration in Run has its dependencies applied or earlier in Run.
	pos := map[string]int{}
	for i, s := range p.Run {
		pos[s.ID()] = i
	}
	for i, s := range p.Run {
		for _, d := range w.byID[s.ID()].deps {
			j, inRun := pos[d]
			require.True(t, w.applied[d] || inRun && j < i, msg("%s runs before its dependency %s", s.ID(), d))
		}
	}

	// Nothing in Run reaches a delayed or blocked migration through pending
	// dependencies.
	for _, s := range p.Run {
		seen := map[string]bool{}
		stack := []string{s.ID()}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range w.byID[id].deps {
				if seen[d] || !pending[d] {
					continue
				}
				seen[d] = true
				require.Equal(t, "run", where[d], msg("%s in run depends on %s %s", s.ID(), where[d], d))
				stack = append(stack, d)
			}
		}
	}

	effectivePost := w.phase == planner.PostDeploy || w.mode == planner.Disabled || w.initial
	held := w.refHeld(pending)
	if effectivePost {
		require.Equal(t, planner.PostDeploy, p.Effective, msg("effective phase"))
		holds := w.phase == planner.PostDeploy && w.mode != planner.Disabled && !w.initial && !w.ignore
		if !holds {
			require.Len(t, p.Run, len(pending), msg("post-deploy runs exactly all pending"))
		}
		require.Empty(t, p.Blocked, msg("post-deploy blocks nothing"))
		// No after_deploy inside its delay runs in a post-deploy that holds delays.
		for _, s := range p.Run {
			require.False(t, holds && held[s.ID()], msg("%s runs inside its delay (or behind one)", s.ID()))
		}
		require.True(t, p.OK(), msg("post-deploy is always OK"))
	} else {
		require.Equal(t, planner.PreDeploy, p.Effective, msg("effective phase"))
		// No after_deploy without a passed delay runs in pre-deploy.
		for _, s := range p.Run {
			m := s.Migration
			if m.Safe() != migration.AfterDeploy {
				continue
			}
			det, ok := w.detected[m.ID]
			require.True(t, ok && m.Directives.Has(migration.KeyDelay) && !det.Add(m.Directives.Delay).After(w.now),
				msg("after_deploy %s runs without a passed delay", m.ID))
			require.Equal(t, migration.Always, s.Resolved)
		}
		// strict with blocked ⇒ not OK (exit 3); OK otherwise.
		require.Equal(t, !(w.mode == planner.Strict && len(p.Blocked) > 0), p.OK(), msg("OK"))
	}

	// The planner's one pass equals the documented steps 1-4 iterated literally.
	ref, _ := w.refState()
	got := map[string]string{}
	for id, name := range where {
		if name == "run" {
			name = "ready"
		}
		got[id] = name
	}
	require.Equal(t, ref, got, msg("states differ from the literal rules of docs/planning.md"))

	// Run is in the documented order: Kahn with the smallest (chain, numeric version).
	runSet := map[string]bool{}
	for _, s := range p.Run {
		runSet[s.ID()] = true
	}
	require.Equal(t, w.refKahn(runSet), stepIDs(p.Run), msg("run order"))

	// blocked_by: the delayed migrations reached through pending deps.
	for _, s := range p.Blocked {
		want := w.refBlockedBy(s.ID(), ref)
		require.NotEmpty(t, want, msg("blocked %s with no root cause", s.ID()))
		require.Equal(t, want, append([]string{}, s.BlockedBy...), msg("blocked_by of %s", s.ID()))
	}

	// Detection bookkeeping.
	var newly, waiting []string
	for _, s := range p.Delayed {
		if _, ok := w.detected[s.ID()]; ok {
			if !effectivePost && !held[s.ID()] {
				waiting = append(waiting, s.ID())
			}
		} else {
			newly = append(newly, s.ID())
		}
		m := s.Migration
		if det, ok := w.detected[m.ID]; ok && m.Safe() == migration.AfterDeploy && m.Directives.Has(migration.KeyDelay) && det.Add(m.Directives.Delay).After(w.now) {
			require.NotNil(t, s.RunnableAt, msg("runnable_at of %s", m.ID))
			require.Equal(t, det.Add(m.Directives.Delay), *s.RunnableAt)
			require.True(t, s.RunnableAt.After(w.now), msg("runnable_at of a delayed %s is in the future", m.ID))
		} else {
			require.Nil(t, s.RunnableAt, msg("runnable_at of %s", m.ID))
		}
	}
	require.Equal(t, newly, p.NewlyDetected(), msg("newly detected"))
	require.Equal(t, waiting, nilIfEmpty(stepIDs(p.Waiting)), msg("waiting"))

	// Applied, drift and unknown.
	var appliedIDs, drift []string
	for _, nd := range w.nodes {
		if w.applied[nd.id()] {
			appliedIDs = append(appliedIDs, nd.id())
		}
		if w.drifted[nd.id()] {
			drift = append(drift, nd.id())
		}
	}
	require.ElementsMatch(t, appliedIDs, p.Applied, msg("applied"))
	var gotDrift []string
	for _, d := range p.Drift {
		gotDrift = append(gotDrift, d.Migration.ID)
	}
	require.ElementsMatch(t, drift, gotDrift, msg("drift"))
	require.Equal(t, w.unknown, p.Unknown, msg("unknown"))
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestRefStateMatchesTables keeps the reference honest: it agrees with a
// hand-checked case from planner_test.go.
func TestRefStateMatchesTables(t *testing.T) {
	mk := func(id string, safe migration.Safe, deps ...string) *node {
		return &node{m: &migration.Migration{ID: id, Version: strings.Split(id, "_")[0], Name: id,
			Directives: migration.Directives{Safe: safe, Lines: map[string]int{}}}, deps: deps}
	}
	w := &world{byID: map[string]*node{}, applied: map[string]bool{}, phase: planner.PreDeploy, mode: planner.Strict}
	for _, nd := range []*node{
		mk("1_a", migration.AfterDeploy),
		mk("2_b", migration.BeforeDeploy, "1_a"),
		mk("3_c", migration.AfterDeploy, "2_b"),
		mk("4_d", migration.Always, "3_c"),
		mk("5_e", migration.Always),
	} {
		w.nodes = append(w.nodes, nd)
		w.byID[nd.id()] = nd
	}
	state, post := w.refState()
	require.False(t, post)
	require.Equal(t, map[string]string{"1_a": "delayed", "2_b": "blocked", "3_c": "blocked", "4_d": "blocked", "5_e": "ready"}, state)
	require.Equal(t, []string{"1_a"}, w.refBlockedBy("4_d", state))
	require.Equal(t, []string{"5_e"}, w.refKahn(map[string]bool{"5_e": true}))
}
