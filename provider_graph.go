package safemigrate

import (
	"context"
	"io"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
)

// GraphOptions adjust [Provider.Graph].
type GraphOptions struct {
	// Applied, when not nil, marks these IDs applied and the others
	// pending, instead of reading the database.
	Applied []string
	// Offline marks nodes by safe value only. Without Offline, Applied or
	// a configured database (WithDatabaseURL, WithConnConfig) the graph
	// is offline too.
	Offline bool
}

// Graph returns the dependency graph with each migration's state.
func (p *Provider) Graph(ctx context.Context, opts GraphOptions) (*GraphReport, error) {
	g, err := p.loadGraph()
	if err != nil {
		return nil, err
	}
	r := &GraphReport{g: g, Migrations: []GraphNode{}}
	var state func(id string) string
	switch {
	case opts.Offline:
	case opts.Applied != nil:
		if err := p.checkApplied(g, opts.Applied); err != nil {
			return nil, err
		}
		applied := map[string]bool{}
		for _, id := range opts.Applied {
			applied[id] = true
		}
		state = func(id string) string {
			if applied[id] {
				return StateApplied
			}
			return StatePending
		}
	case p.hasDatabase():
		t, err := p.target("graph")
		if err != nil {
			return nil, err
		}
		st, err := executor.ReadState(ctx, t)
		if err != nil {
			return nil, err
		}
		state = func(id string) string {
			a, ok := st.Applied[id]
			m, _ := g.Lookup(id)
			switch {
			case !ok:
				return StatePending
			case a.Checksum != "" && m != nil && a.Checksum != m.Checksum:
				return StateDrift
			}
			return StateApplied
		}
	}
	for _, i := range g.SortAll() {
		m := g.At(i)
		n := GraphNode{ID: m.ID, Safe: m.Safe(), DependsOn: []string{}}
		for _, d := range g.Deps(i) {
			n.DependsOn = append(n.DependsOn, g.At(d).ID)
		}
		if state != nil {
			n.State = state(m.ID)
		}
		r.Migrations = append(r.Migrations, n)
	}
	return r, nil
}

// GraphReport is the dependency graph: every migration in execution order
// with what it depends on and, when known, its state.
type GraphReport struct {
	Migrations []GraphNode `json:"migrations"`
	g          *graph.Graph
}

// GraphNode is one migration of a [GraphReport].
type GraphNode struct {
	ID        string   `json:"id"`
	Safe      Safe     `json:"safe"`
	DependsOn []string `json:"depends_on"`
	// State is applied, pending or drift; empty when not known.
	State string `json:"state,omitempty"`
}

// Graph formats for [GraphReport.Render].
const (
	GraphText    = graph.FormatText
	GraphDOT     = graph.FormatDOT
	GraphMermaid = graph.FormatMermaid
)

// Render draws the graph in format: [GraphText], [GraphDOT] (Graphviz) or
// [GraphMermaid].
func (r *GraphReport) Render(w io.Writer, format string) error {
	states := map[string]string{}
	for _, n := range r.Migrations {
		states[n.ID] = n.State
	}
	var opts graph.RenderOptions
	if len(r.Migrations) > 0 && r.Migrations[0].State != "" {
		opts.State = func(id string) string { return states[id] }
	}
	return graph.Render(w, r.g, format, opts)
}
