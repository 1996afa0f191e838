package cli

import (
	"context"

	"github.com/safemigrate/safemigrate"
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
func (c *GraphCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format(safemigrate.GraphText, safemigrate.GraphDOT, safemigrate.GraphMermaid)
	if err != nil {
		return err
	}
	var opts []safemigrate.Option
	if !c.Offline && len(c.Applied) == 0 {
		opts = singleSchema(env)
	}
	p, err := env.provider(opts...)
	if err != nil {
		return err
	}
	rep, err := p.Graph(ctx, safemigrate.GraphOptions{Applied: appliedIDs(c.Applied), Offline: c.Offline})
	if err != nil {
		return err
	}
	return rep.Render(env.Stdout, format)
}
