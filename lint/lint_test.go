package lint_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/lint"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadDir reads the .sql files of dir as one migration set.
func loadDir(t testing.TB, dir string) []lint.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	require.NoError(t, err)
	var files []lint.File
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		files = append(files, lint.File{Path: filepath.ToSlash(p), Src: src})
	}
	return files
}

func run(t testing.TB, files []lint.File, cfg lint.Config) *lint.Result {
	t.Helper()
	l, err := lint.New(cfg)
	require.NoError(t, err)
	res, err := l.Run(context.Background(), files)
	require.NoError(t, err)
	return res
}

// `-- want "rule"` expects rule on its own line; `-- want@N "rule"` on
// line N (for lines that cannot carry a comment, such as directives).
var wantRE = regexp.MustCompile(`-- want(@\d+)?((?:\s+"[a-z0-9-]+")+)`)
var quoted = regexp.MustCompile(`"([a-z0-9-]+)"`)

// wants collects `-- want "rule"` expectations: file -> line -> rules.
func wants(files []lint.File) map[string]map[int][]string {
	out := map[string]map[int][]string{}
	for _, f := range files {
		for i, line := range strings.Split(string(f.Src), "\n") {
			m := wantRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if out[f.Path] == nil {
				out[f.Path] = map[int][]string{}
			}
			line := i + 1
			if m[1] != "" {
				line, _ = strconv.Atoi(m[1][1:])
			}
			for _, q := range quoted.FindAllStringSubmatch(m[2], -1) {
				out[f.Path][line] = append(out[f.Path][line], q[1])
			}
		}
	}
	return out
}

// TestRuleCorpus lints testdata/rules/<rule>/ and checks each diagnostic
// against the `-- want` comment on its line; every rule has a directory
// with a file that triggers it and a near miss that must not.
func TestRuleCorpus(t *testing.T) {
	var golden bytes.Buffer
	for _, r := range lint.Rules {
		t.Run(r.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", r.ID)
			files := loadDir(t, dir)
			require.NotEmpty(t, files, "rule %s has no test corpus in %s", r.ID, dir)
			res := run(t, files, lint.Config{})
			want := wants(files)
			got := map[string]map[int][]string{}
			triggered := false
			for _, d := range res.Diagnostics {
				if got[d.File] == nil {
					got[d.File] = map[int][]string{}
				}
				got[d.File][d.Line] = append(got[d.File][d.Line], d.Rule)
				if d.Rule == r.ID {
					triggered = true
					assert.NotContains(t, filepath.Base(d.File), "_ok", "near miss %s triggers %s: %s", d.File, r.ID, d)
				}
			}
			for _, m := range []map[string]map[int][]string{want, got} {
				for _, lines := range m {
					for _, rules := range lines {
						slices.Sort(rules)
					}
				}
			}
			assert.Equal(t, want, got)
			assert.True(t, triggered, "no file in %s triggers %s", dir, r.ID)
			var nearMiss bool
			for _, f := range files {
				nearMiss = nearMiss || strings.Contains(f.Path, "_ok")
			}
			assert.True(t, nearMiss, "%s has no near-miss file (*_ok*.sql)", dir)
			fmt.Fprintf(&golden, "== %s\n", r.ID)
			for _, d := range res.Diagnostics {
				fmt.Fprintf(&golden, "%s\n", d)
			}
		})
	}
	checkGolden(t, filepath.Join("testdata", "rules.golden"), golden.Bytes())
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got), "golden %s differs; run go test ./lint -update if the change is intended", path)
}
