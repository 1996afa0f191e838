package cli

import (
	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
)

// GraphCmd draws the dependency graph.
type GraphCmd struct {
	Applied []string `sep:"," help:"IDs to mark as applied (the others are marked pending), instead of reading the database." placeholder:"ID,ID"`
	Offline bool     `help:"Do not read the database even if a URL is configured: mark nodes by value only."`
}

// Help shows examples.
func (c *GraphCmd) Help() string {
	return `Nodes are marked by their safe value, and by their state (applied, pending,
drift) when a database URL is configured or --applied is given.
--format selects text (default), dot (Graphviz) or mermaid.

Examples:
  safemigrate graph
  safemigrate graph --format dot | dot -Tsvg > migrations.svg
  safemigrate graph --format mermaid --applied 0001_init`
}

// Run renders the graph.
func (c *GraphCmd) Run(env *Env) error {
	format, err := env.format(graph.FormatText, graph.FormatDOT, graph.FormatMermaid)
	if err != nil {
		return err
	}
	g, err := env.loadGraph()
	if err != nil {
		return err
	}
	var opts graph.RenderOptions
	switch {
	case c.Offline:
	case len(c.Applied) > 0:
		ids, err := env.appliedFlag(g, c.Applied)
		if err != nil {
			return err
		}
		applied := map[string]bool{}
		for _, id := range ids {
			applied[id] = true
		}
		opts.State = func(id string) string {
			if applied[id] {
				return "applied"
			}
			return "pending"
		}
	case env.databaseURL() != "":
		t, err := env.target()
		if err != nil {
			return err
		}
		st, err := executor.ReadState(env.Ctx, t)
		if err != nil {
			return execError(err)
		}
		opts.State = func(id string) string {
			a, ok := st.Applied[id]
			m, _ := g.Lookup(id)
			switch {
			case !ok:
				return executor.StatePending
			case a.Checksum != "" && m != nil && a.Checksum != m.Checksum:
				return executor.StateDrift
			}
			return executor.StateApplied
		}
	}
	return graph.Render(env.Stdout, g, format, opts)
}
