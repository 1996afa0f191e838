package lint_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/lint"
)

// formatSet is a small migration set with errors, warnings, a hint that
// spans lines and characters the github format must escape.
func formatSet(t *testing.T) *lint.Result {
	files, err := lint.Dir(os.DirFS(filepath.Join("testdata", "formats")), "testdata/formats")
	require.NoError(t, err)
	return run(t, files, lint.Config{})
}

func TestFormatGoldens(t *testing.T) {
	res := formatSet(t)
	for _, f := range lint.Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, lint.Write(&b, f, res, lint.WriteOptions{Version: "test"}))
			checkGolden(t, filepath.Join("testdata", "formats.golden."+f), b.Bytes())
		})
	}
	t.Run("text-color", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, lint.WriteText(&b, res, lint.WriteOptions{Color: true}))
		assert.Contains(t, b.String(), "\x1b[1;31m"[:2])
		var plain bytes.Buffer
		require.NoError(t, lint.WriteText(&plain, res, lint.WriteOptions{}))
		assert.NotContains(t, plain.String(), "\x1b[")
	})
}

func TestJSONShape(t *testing.T) {
	res := formatSet(t)
	var b bytes.Buffer
	require.NoError(t, lint.WriteJSON(&b, res, lint.WriteOptions{}))
	var doc struct {
		OK          *bool            `json:"ok"`
		Diagnostics []map[string]any `json:"diagnostics"`
		Suggested   []map[string]any `json:"suggested"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	require.NotNil(t, doc.OK)
	assert.False(t, *doc.OK)
	require.NotEmpty(t, doc.Diagnostics)
	for _, d := range doc.Diagnostics {
		for _, k := range []string{"file", "line", "column", "rule", "severity", "message", "hint"} {
			assert.Contains(t, d, k)
		}
		assert.Contains(t, []any{"error", "warning", "info"}, d["severity"])
	}
	require.NotEmpty(t, doc.Suggested)
	for _, s := range doc.Suggested {
		for _, k := range []string{"id", "declared", "suggested"} {
			assert.Contains(t, s, k)
		}
	}
}

func TestSARIFShape(t *testing.T) {
	res := formatSet(t)
	var b bytes.Buffer
	require.NoError(t, lint.WriteSARIF(&b, res, lint.WriteOptions{Version: "1.2.3"}))
	var log map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &log))
	assert.Equal(t, "2.1.0", log["version"])
	assert.NotEmpty(t, log["$schema"])
	runs := log["runs"].([]any)
	require.Len(t, runs, 1)
	runObj := runs[0].(map[string]any)
	driver := runObj["tool"].(map[string]any)["driver"].(map[string]any)
	assert.Equal(t, "safemigrate", driver["name"])
	rules := driver["rules"].([]any)
	assert.Len(t, rules, len(lint.Rules))
	ids := map[string]int{}
	for i, r := range rules {
		rm := r.(map[string]any)
		ids[rm["id"].(string)] = i
		assert.NotEmpty(t, rm["shortDescription"].(map[string]any)["text"])
	}
	results := runObj["results"].([]any)
	require.Len(t, results, len(res.Diagnostics))
	for _, r := range results {
		rm := r.(map[string]any)
		id := rm["ruleId"].(string)
		assert.Contains(t, ids, id)
		assert.EqualValues(t, ids[id], rm["ruleIndex"])
		assert.Contains(t, []any{"error", "warning", "note"}, rm["level"])
		assert.NotEmpty(t, rm["message"].(map[string]any)["text"])
		locs := rm["locations"].([]any)
		require.Len(t, locs, 1)
		pl := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri := pl["artifactLocation"].(map[string]any)["uri"].(string)
		assert.NotEmpty(t, uri)
		assert.False(t, strings.Contains(uri, `\`) || filepath.IsAbs(uri), "uri %q must be a relative URI reference", uri)
		region := pl["region"].(map[string]any)
		assert.GreaterOrEqual(t, region["startLine"], 1.0)
		assert.GreaterOrEqual(t, region["startColumn"], 1.0)
	}
}

func TestGitHubEscaping(t *testing.T) {
	assert.Equal(t, "100%25 done%0D%0Anext, line: ok", lint.EscapeData("100% done\r\nnext, line: ok"))
	assert.Equal(t, "a%2Cb%3Ac%25d%0Ae", lint.EscapeProperty("a,b:c%d\ne"))

	res := &lint.Result{Files: 1, Diagnostics: []lint.Diagnostic{{
		File: "dir,with:odd/0001_x.sql", Line: 3, Column: 7, EndLine: 4, EndColumn: 1, Rule: "require-concurrent-index", Severity: lint.Error,
		Message: "creates index i: 100% of writes, blocked", Hint: "CREATE INDEX CONCURRENTLY i ON t (a);\nThe migration needs `-- transaction: false`.",
	}}}
	var b bytes.Buffer
	require.NoError(t, lint.WriteGitHub(&b, res))
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 1, "one workflow command per diagnostic, newlines escaped")
	assert.Equal(t, "::error file=dir%2Cwith%3Aodd/0001_x.sql,line=3,col=7,endLine=4,endColumn=1,title=safemigrate require-concurrent-index::"+
		"creates index i: 100%25 of writes, blocked%0Ahint: CREATE INDEX CONCURRENTLY i ON t (a);%0AThe migration needs `-- transaction: false`.", lines[0])
	// Properties never carry a raw separator.
	props := regexp.MustCompile(`^::error (.*?)::`).FindStringSubmatch(lines[0])[1]
	for _, p := range strings.Split(props, ",") {
		k, v, ok := strings.Cut(p, "=")
		require.True(t, ok, p)
		assert.NotContains(t, v, ":", k)
	}
}
