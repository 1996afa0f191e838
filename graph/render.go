package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// Formats accepted by [Render].
const (
	FormatText    = "text"
	FormatDOT     = "dot"
	FormatMermaid = "mermaid"
)

// RenderOptions adjust [Render].
type RenderOptions struct {
	// State returns a node's state ("applied", "pending", "drift", …) to
	// mark it with; nil or "" leaves nodes unmarked.
	State func(id string) string
}

// fill colours by safe value, shared by DOT and Mermaid.
var fill = map[migration.Safe]string{
	migration.BeforeDeploy: "#d8f0d8",
	migration.Always:       "#dbe8fb",
	migration.AfterDeploy:  "#fde4c8",
}

// Render writes g in the given format: text (chains with values, states and
// explicit dependencies), Graphviz DOT or a Mermaid flowchart. Edges point
// from a dependency to its dependent, the direction migrations run.
func Render(w io.Writer, g *Graph, format string, opts RenderOptions) error {
	bw := bufio.NewWriter(w)
	state := func(id string) string {
		if opts.State == nil {
			return ""
		}
		return opts.State(id)
	}
	switch format {
	case FormatText:
		renderText(bw, g, state)
	case FormatDOT:
		renderDOT(bw, g, state)
	case FormatMermaid:
		renderMermaid(bw, g, state)
	default:
		return fmt.Errorf("unknown graph format %q (valid: text, dot, mermaid)", format)
	}
	return bw.Flush()
}

// chains returns the node index ranges of each chain, in order.
func (g *Graph) chains() [][2]int {
	var out [][2]int
	for i := 0; i < len(g.ms); {
		j := i
		for j < len(g.ms) && g.ms[j].Chain == g.ms[i].Chain {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// extraDeps returns the dependencies of i other than its chain predecessor.
func (g *Graph) extraDeps(i int) []string {
	var ids []string
	for _, d := range g.deps[i] {
		if !(d == i-1 && g.ms[d].Chain == g.ms[i].Chain) {
			ids = append(ids, g.ms[d].ID)
		}
	}
	return ids
}

func renderText(w *bufio.Writer, g *Graph, state func(string) string) {
	width := 0
	for _, m := range g.ms {
		width = max(width, len(m.ID))
	}
	for k, r := range g.chains() {
		if k > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", migration.ChainName(g.ms[r[0]].Chain))
		for i := r[0]; i < r[1]; i++ {
			m := g.ms[i]
			line := fmt.Sprintf("  %-*s  %-13s", width, m.ID, m.Safe())
			if s := state(m.ID); s != "" {
				line += fmt.Sprintf("  %-8s", s)
			}
			if deps := g.extraDeps(i); len(deps) > 0 {
				line += "  ← " + strings.Join(deps, ", ")
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}
}

func renderDOT(w *bufio.Writer, g *Graph, state func(string) string) {
	fmt.Fprintln(w, "digraph migrations {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, `  node [shape=box, style="rounded,filled", fontname="Helvetica"];`)
	for _, r := range g.chains() {
		c := g.ms[r[0]].Chain
		fmt.Fprintf(w, "  subgraph %q {\n    label=%q;\n", "cluster_"+migration.ChainName(c), migration.ChainName(c))
		for i := r[0]; i < r[1]; i++ {
			m := g.ms[i]
			label := dotEscape(m.ID) + `\n` + string(m.Safe())
			style := ""
			if s := state(m.ID); s != "" {
				label += " · " + s
				if s == "applied" {
					style = `, style="rounded,filled,dashed"`
				}
			}
			fmt.Fprintf(w, "    %q [label=\"%s\", fillcolor=%q%s];\n", m.ID, label, fill[m.Safe()], style)
		}
		fmt.Fprintln(w, "  }")
	}
	for i := range g.ms {
		for _, d := range g.deps[i] {
			fmt.Fprintf(w, "  %q -> %q;\n", g.ms[d].ID, g.ms[i].ID)
		}
	}
	fmt.Fprintln(w, "}")
}

func renderMermaid(w *bufio.Writer, g *Graph, state func(string) string) {
	fmt.Fprintln(w, "flowchart LR")
	for k, r := range g.chains() {
		fmt.Fprintf(w, "  subgraph c%d [\"%s\"]\n", k, mermaidEscape(migration.ChainName(g.ms[r[0]].Chain)))
		for i := r[0]; i < r[1]; i++ {
			m := g.ms[i]
			label := mermaidEscape(m.ID) + "<br/>" + string(m.Safe())
			if s := state(m.ID); s != "" {
				label += " · " + s
			}
			fmt.Fprintf(w, "    n%d[\"%s\"]:::%s\n", i, label, m.Safe())
		}
		fmt.Fprintln(w, "  end")
	}
	for i := range g.ms {
		for _, d := range g.deps[i] {
			fmt.Fprintf(w, "  n%d --> n%d\n", d, i)
		}
	}
	for _, v := range migration.SafeValues {
		fmt.Fprintf(w, "  classDef %s fill:%s,stroke:#555\n", v, fill[v])
	}
}

// dotEscape escapes text for a DOT label, where backslash sequences such
// as \n are interpreted.
var dotEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace

// mermaidEscape escapes text for a quoted Mermaid label, which would end
// at a double quote and renders HTML.
var mermaidEscape = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace
