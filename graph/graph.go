package graph

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// Graph is the validated dependency graph of a set of migrations. Nodes are
// addressed by index; index order is the (chain, version) order of
// [migration.Compare], so "smallest index" is the documented tie-break (docs/file-format.md).
//
// A Graph is immutable after [New] and safe for concurrent use.
type Graph struct {
	ms    []*migration.Migration
	index map[string]int
	deps  [][]int // direct dependencies, ascending
	rdeps [][]int // direct dependents, ascending
}

// Error lists every problem that makes a set of migrations an invalid
// graph: references to nothing, duplicate versions or IDs, and cycles.
// Nothing may run while the graph is invalid. It is the positioned file
// errors of a [migration.LoadError] (its Error and Unwrap), plus the cycle.
type Error struct {
	migration.LoadError
	// Cycle holds the IDs of one dependency cycle in order, the first ID
	// repeated at the end; empty when there is none.
	Cycle []string
}

// New builds the graph of ms: every migration depends on its predecessor in
// its chain, plus the references of its depends directive.
func New(ms []*migration.Migration) (*Graph, error) {
	sorted := slices.Clone(ms)
	slices.SortStableFunc(sorted, migration.Compare)
	g := &Graph{
		ms:    sorted,
		index: make(map[string]int, len(sorted)),
		deps:  make([][]int, len(sorted)),
		rdeps: make([][]int, len(sorted)),
	}
	var errs []*migration.FileError
	for i, m := range sorted {
		if j, dup := g.index[m.ID]; dup {
			errs = append(errs, &migration.FileError{File: m.Path, Message: fmt.Sprintf("duplicate migration ID %s (also %s)", m.ID, sorted[j].Path)})
			continue
		}
		g.index[m.ID] = i
		if i > 0 && sorted[i-1].Chain == m.Chain {
			if migration.CompareVersions(sorted[i-1].Version, m.Version) == 0 {
				errs = append(errs, &migration.FileError{File: m.Path, Message: fmt.Sprintf("duplicate version %s in its chain (also %s); give one of them the next free version", m.Version, sorted[i-1].Path)})
			}
			g.deps[i] = append(g.deps[i], i-1)
		}
	}
	if len(errs) > 0 {
		return nil, &Error{LoadError: migration.LoadError{Errors: errs}}
	}
	for i, m := range sorted {
		for _, ref := range m.Directives.Depends {
			j, ok := g.resolve(ref)
			if !ok {
				errs = append(errs, &migration.FileError{File: m.Path, Line: m.Directives.Lines[migration.KeyDepends],
					Message: fmt.Sprintf("depends on %q, which matches no migration; write a full ID (0003_add_email, billing/0002_invoices), <chain>/<version> or a root-chain <version>", ref)})
				continue
			}
			if !slices.Contains(g.deps[i], j) {
				g.deps[i] = append(g.deps[i], j)
			}
		}
		slices.Sort(g.deps[i])
		for _, j := range g.deps[i] {
			g.rdeps[j] = append(g.rdeps[j], i)
		}
	}
	if len(errs) > 0 {
		return nil, &Error{LoadError: migration.LoadError{Errors: errs}}
	}
	for i := range g.rdeps {
		slices.Sort(g.rdeps[i])
	}
	if cycle := g.findCycle(); cycle != nil {
		ids := make([]string, len(cycle)+1)
		for k, i := range cycle {
			ids[k] = sorted[i].ID
		}
		ids[len(cycle)] = ids[0]
		first := sorted[cycle[0]]
		return nil, &Error{
			Cycle: ids,
			LoadError: migration.LoadError{Errors: []*migration.FileError{{File: first.Path, Line: first.Directives.Lines[migration.KeyDepends],
				Message: fmt.Sprintf("dependency cycle: %s (each depends on the next); remove one of these depends references", strings.Join(ids, " → "))}}},
		}
	}
	return g, nil
}

// Resolve finds the migration a reference names, in the forms a depends
// directive accepts: a full ID, <chain>/<version>, or a bare root-chain
// <version> (versions compare as numbers: 3 finds 0003_x).
func (g *Graph) Resolve(ref string) (int, bool) { return g.resolve(ref) }

// resolve finds the migration a depends reference names: a full ID,
// <chain>/<version>, or a bare root-chain <version>.
func (g *Graph) resolve(ref string) (int, bool) {
	if i, ok := g.index[ref]; ok {
		return i, true
	}
	chain, version := "", ref
	if c, v, found := strings.Cut(ref, "/"); found {
		chain, version = c, v
	}
	if !migration.IsVersion(version) {
		return 0, false
	}
	lo, _ := slices.BinarySearchFunc(g.ms, chain, func(m *migration.Migration, c string) int {
		return migration.Compare(m, &migration.Migration{Chain: c})
	})
	for i := lo; i < len(g.ms) && g.ms[i].Chain == chain; i++ {
		if migration.CompareVersions(g.ms[i].Version, version) == 0 {
			return i, true
		}
	}
	return 0, false
}

// findCycle returns the node indexes of one cycle, rotated to start at its
// smallest member and listed in dependency direction, or nil.
func (g *Graph) findCycle() []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(g.ms))
	var stack []int
	var found []int
	var visit func(int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, j := range g.deps[i] {
			switch color[j] {
			case grey:
				k := slices.Index(stack, j)
				found = slices.Clone(stack[k:])
				return true
			case white:
				if visit(j) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range g.ms {
		if color[i] == white && visit(i) {
			k := slices.Index(found, slices.Min(found))
			return append(found[k:], found[:k]...)
		}
	}
	return nil
}

// Len returns the number of migrations.
func (g *Graph) Len() int { return len(g.ms) }

// At returns the migration at index i.
func (g *Graph) At(i int) *migration.Migration { return g.ms[i] }

// Migrations returns all migrations in (chain, version) order. The slice
// must not be modified.
func (g *Graph) Migrations() []*migration.Migration { return g.ms }

// Index returns the index of the migration with the given ID.
func (g *Graph) Index(id string) (int, bool) {
	i, ok := g.index[id]
	return i, ok
}

// Lookup returns the migration with the given ID.
func (g *Graph) Lookup(id string) (*migration.Migration, bool) {
	i, ok := g.index[id]
	if !ok {
		return nil, false
	}
	return g.ms[i], true
}

// Deps returns the indexes of the direct dependencies of node i, ascending.
// The slice must not be modified.
func (g *Graph) Deps(i int) []int { return g.deps[i] }

// Dependents returns the indexes of the nodes that depend directly on node i.
func (g *Graph) Dependents(i int) []int { return g.rdeps[i] }

// Ancestors returns node i's transitive dependencies (excluding i), in
// index order.
func (g *Graph) Ancestors(i int) []int {
	seen := make(map[int]bool)
	stack := []int{i}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range g.deps[n] {
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	out := make([]int, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// Sort returns the nodes with include[i] set in the documented topological
// order: Kahn's algorithm that always takes the smallest free (chain,
// version). Dependencies outside the included set count as satisfied.
func (g *Graph) Sort(include []bool) []int {
	indeg := make([]int, len(g.ms))
	free := &intHeap{}
	n := 0
	for i := range g.ms {
		if !include[i] {
			continue
		}
		n++
		for _, d := range g.deps[i] {
			if include[d] {
				indeg[i]++
			}
		}
		if indeg[i] == 0 {
			*free = append(*free, i)
		}
	}
	heap.Init(free)
	out := make([]int, 0, n)
	for free.Len() > 0 {
		i := heap.Pop(free).(int)
		out = append(out, i)
		for _, r := range g.rdeps[i] {
			if include[r] {
				indeg[r]--
				if indeg[r] == 0 {
					heap.Push(free, r)
				}
			}
		}
	}
	return out
}

// SortAll returns every node in topological order.
func (g *Graph) SortAll() []int {
	all := make([]bool, len(g.ms))
	for i := range all {
		all[i] = true
	}
	return g.Sort(all)
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
