package cli

import (
	"github.com/safemigrate/safemigrate/graph"
)

// GraphCmd draws the dependency graph.
type GraphCmd struct {
	Applied []string `sep:"," help:"IDs to mark as applied (the others are marked pending)." placeholder:"ID,ID"`
}

// Help shows examples.
func (c *GraphCmd) Help() string {
	return `Nodes are marked by their safe value; with --applied, also by state.
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
	if len(c.Applied) > 0 {
		applied := map[string]bool{}
		for _, id := range c.Applied {
			if _, ok := g.Lookup(id); !ok {
				return usageError("--applied names %q, which is not a migration in %s", id, env.dir())
			}
			applied[id] = true
		}
		opts.State = func(id string) string {
			if applied[id] {
				return "applied"
			}
			return "pending"
		}
	}
	return graph.Render(env.Stdout, g, format, opts)
}
