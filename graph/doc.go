// Package graph builds and orders the dependency graph of migrations.
//
// Each migration depends on its predecessor in its chain and on the
// references of its `depends` directive. [New] validates the graph (missing
// references, duplicate versions, cycles — named in order) and [Graph.Sort]
// orders any subset of it the one way docs/file-format.md documents: Kahn's algorithm
// that always takes the smallest free (chain, version), the root chain
// first and versions compared as numbers.
//
//	g, err := graph.New(ms)
//	if err != nil {
//		return err // *graph.Error, every problem with file and line
//	}
//	for _, i := range g.SortAll() {
//		fmt.Println(g.At(i).ID)
//	}
//
// [Render] draws the graph as text, Graphviz DOT or Mermaid. A Graph is
// immutable and safe for concurrent use.
package graph
