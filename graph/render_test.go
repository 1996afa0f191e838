package graph_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/graph"
)

// TestRenderEscapesNames: a migration or chain name may hold any
// character a file name can; the DOT and Mermaid output must stay valid.
func TestRenderEscapesNames(t *testing.T) {
	g := mustBuild(t, files{
		`0001_a"b.sql`:     "safe: always",
		`0002_c\d.sql`:     "safe: always",
		`0003_<b>x.sql`:    "safe: always",
		`q"x/0001_z.sql`:   "safe: always",
		`q"x/0002_y z.sql`: "safe: always",
	})

	var dot bytes.Buffer
	require.NoError(t, graph.Render(&dot, g, graph.FormatDOT, graph.RenderOptions{}))
	assert.Contains(t, dot.String(), `[label="0001_a\"b\nalways"`)
	assert.Contains(t, dot.String(), `[label="0002_c\\d\nalways"`)
	assert.Contains(t, dot.String(), `[label="q\"x/0001_z\nalways"`)
	// Every double-quoted DOT string is closed on its line.
	for _, line := range strings.Split(dot.String(), "\n") {
		unescaped := regexp.MustCompile(`\\.`).ReplaceAllString(line, "")
		assert.Equal(t, 0, strings.Count(unescaped, `"`)%2, "unbalanced quotes: %s", line)
	}

	var mm bytes.Buffer
	require.NoError(t, graph.Render(&mm, g, graph.FormatMermaid, graph.RenderOptions{}))
	for _, m := range regexp.MustCompile(`\["(.*)"\]`).FindAllStringSubmatch(mm.String(), -1) {
		assert.NotContains(t, m[1], `"`, "a quote ends a Mermaid label early")
		assert.NotContains(t, m[1], `<b>`, "a name is not HTML")
	}
	assert.Contains(t, mm.String(), `0001_a#quot;b<br/>always`)
	assert.Contains(t, mm.String(), `subgraph c1 ["q#quot;x"]`)
}
