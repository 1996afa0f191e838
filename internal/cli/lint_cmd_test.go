package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLintGoldens(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"lint_example.txt", []string{"lint"}, 0},
		{"lint_example.json", []string{"lint", "--format", "json"}, 0},
		{"lint_example.github", []string{"lint", "--format", "github"}, 0},
		{"lint_example.sarif", []string{"lint", "--format", "sarif"}, 0},
		{"lint_bad.txt", []string{"lint", "testdata/bad"}, 1},
		{"lint_bad.json", []string{"lint", "testdata/bad", "--format", "json"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--dir", example}, tt.args...)...)
			require.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			if strings.HasSuffix(tt.name, ".json") || strings.HasSuffix(tt.name, ".sarif") {
				assertOneJSON(t, r.stdout)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}

func TestLintExitCodes(t *testing.T) {
	// The example is clean, with justified ignores.
	r := run(t, "--dir", example, "lint", "--warnings-as-errors", "--format", "json")
	assert.Equal(t, 0, r.code, r.stdout)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, true, doc["ok"])

	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	bad := write("0001_idx.sql", "-- safe: before_deploy\nCREATE INDEX i ON users (email);\n")
	ok := write("0002_ok.sql", "-- safe: before_deploy\nALTER TABLE users ADD COLUMN nickname text;\n")

	r = run(t, "lint", bad)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "0001_idx.sql:2:1: error require-concurrent-index:")
	r = run(t, "lint", ok)
	assert.Equal(t, 0, r.code, r.stdout)
	r = run(t, "lint", filepath.Join(dir, "missing.sql"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "missing.sql")
	r = run(t, "lint", "--pg-version", "3", ok)
	assert.Equal(t, 2, r.code)
	r = run(t, "lint", "--format", "dot", ok)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "text, json, github, sarif")
	r = run(t, "--dir", filepath.Join(dir, "nope"), "lint")
	assert.Equal(t, 2, r.code)

	// --pg-version and the config's pg_version change version-dependent rules.
	def := write("0003_default.sql", "-- safe: before_deploy\nALTER TABLE users ADD COLUMN active boolean DEFAULT true;\n")
	assert.Equal(t, 0, run(t, "lint", def).code)
	r = run(t, "lint", "--pg-version", "10", def)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "add-column-rewriting-default")
	cfg := write("safemigrate.yaml", "pg_version: 10\n")
	assert.Equal(t, 1, run(t, "--config", cfg, "lint", def).code)

	// Warnings pass unless --warnings-as-errors.
	warn := write("0004_drop.sql", "-- safe: after_deploy\nALTER TABLE users DROP COLUMN nickname;\n")
	r = run(t, "lint", warn)
	assert.Equal(t, 0, r.code, r.stdout)
	assert.Contains(t, r.stdout, "warning drop-column")
	r = run(t, "lint", "--warnings-as-errors", "--format", "json", warn)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, false, assertOneJSON(t, r.stdout)["ok"])
}

func TestAnnotate(t *testing.T) {
	r := run(t, "--dir", example, "annotate")
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "annotate_example.txt", r.stdout)
	r = run(t, "--dir", example, "annotate", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, true, doc["ok"])
	golden(t, "annotate_example.json", r.stdout)
}

func TestAnnotateWrite(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"0001_create.sql":      "-- Users of the app.\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
		"0002_drop.sql":        "ALTER TABLE users DROP COLUMN email;\r\n",
		"0003_declared.sql":    "-- safe: always\nALTER TABLE users DROP COLUMN id;\n",
		"0004_seed.sql":        "INSERT INTO users (id) VALUES (1);\n",
		"billing/0001_inv.sql": "CREATE TABLE invoices (id bigint);\n",
		"0005_bom.sql":         "\ufeffCREATE TABLE bom (id bigint);\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	r := run(t, "--dir", dir, "annotate", "--write")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "5 safe directives written")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, "-- safe: before_deploy\n"+files["0001_create.sql"], read("0001_create.sql"))
	assert.Equal(t, "-- safe: after_deploy\r\n"+files["0002_drop.sql"], read("0002_drop.sql"), "CRLF files get a CRLF line")
	assert.Equal(t, files["0003_declared.sql"], read("0003_declared.sql"), "an existing safe directive is never changed")
	assert.Equal(t, "-- safe: always\n"+files["0004_seed.sql"], read("0004_seed.sql"))
	assert.Equal(t, "-- safe: before_deploy\n"+files["billing/0001_inv.sql"], read("billing/0001_inv.sql"))
	assert.Equal(t, "\ufeff-- safe: before_deploy\nCREATE TABLE bom (id bigint);\n", read("0005_bom.sql"), "a byte-order mark stays first")

	// The written files lint without missing-safe; a second --write is a no-op.
	r = run(t, "--dir", dir, "lint", "--format", "json")
	assert.NotContains(t, r.stdout, "missing-safe")
	r = run(t, "--dir", dir, "annotate", "--write")
	require.Equal(t, 0, r.code)
	assert.NotContains(t, r.stdout, "written")
	assert.Contains(t, r.stdout, "1 declared differently")
}

func TestAnnotateSyntaxError(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_bad.sql"), []byte("SELEC 1;\n"), 0o644))
	r := run(t, "--dir", dir, "annotate", "--write")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stdout, "1:1: syntax error")
	b, err := os.ReadFile(filepath.Join(dir, "0001_bad.sql"))
	require.NoError(t, err)
	assert.Equal(t, "SELEC 1;\n", string(b), "a file that does not parse is not written")
}

// TestAnnotateCopyInlineData: a file with COPY ... FROM stdin rows is
// psql input, which lint and migrate refuse; annotate wrote an empty
// `-- safe: ` into it and exited 0.
func TestAnnotateCopyInlineData(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"0001_countries.sql": "CREATE TABLE countries (code text PRIMARY KEY, name text);\n",
		"0002_seed.sql":      "COPY countries (code, name) FROM stdin;\nfr\tFrance\nde\tGermany\n\\.\n",
		"0003_meta.sql":      "\\set ON_ERROR_STOP on\nINSERT INTO countries VALUES ('it', 'Italy');\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	r := run(t, "--dir", dir, "annotate", "--write")
	assert.Equal(t, 2, r.code, r.stdout)
	assert.Regexp(t, `0002_seed\s.*\?.*1:1: COPY \.\.\. FROM STDIN with inline data \(from line 2\)`, r.stdout)
	assert.Regexp(t, `0003_meta\s.*\?.*1:1: psql meta-command \\set`, r.stdout)
	for _, name := range []string{"0002_seed.sql", "0003_meta.sql"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, files[name], string(b), "%s is not SQL safemigrate can run: nothing is written to it", name)
	}
	r = run(t, "--dir", dir, "annotate", "--format", "json")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stdout, `"suggested": null`)
}

// TestLintLoadErrorsExitTwo: lint exited 0 on duplicate versions,
// dependency cycles and nested chain directories (whose files it never
// read), while every other command refused the directory with exit 2.
func TestLintLoadErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"duplicate version", map[string]string{
			"0001_a.sql": "-- safe: always\nSELECT 1;\n",
			"001_b.sql":  "-- safe: always\nSELECT 2;\n",
		}, []string{"001_b.sql: duplicate version 001 in chain (root)"}},
		{"cycle", map[string]string{
			"0001_a.sql":         "-- safe: always\n-- depends: billing/0001\nSELECT 1;\n",
			"billing/0001_b.sql": "-- safe: always\n-- depends: 0001\nSELECT 2;\n",
		}, []string{"cycle", ".sql:2:"}},
		{"unknown reference", map[string]string{
			"0001_a.sql": "-- safe: always\n-- depends: 0042\nSELECT 1;\n",
		}, []string{"0001_a.sql:2:"}},
		{"nested chain", map[string]string{
			"0001_a.sql":                     "-- safe: always\nSELECT 1;\n",
			"billing/old/0001_unchecked.sql": "-- safe: always\nCREATE INDEX i ON users (email);\n",
		}, []string{"billing/old: nested directories are not allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, tt.files)
			for _, args := range [][]string{{"--dir", dir, "lint"}, {"lint", dir}} {
				r := run(t, args...)
				assert.Equal(t, 2, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
				for _, w := range tt.want {
					assert.Contains(t, r.stderr, w)
				}
				g := run(t, "--dir", dir, "graph")
				assert.Equal(t, 2, g.code)
				first := strings.SplitN(g.stderr, "\n", 2)[0]
				assert.Contains(t, r.stderr, strings.TrimPrefix(first, "safemigrate: error: "), "the same errors as every other command")
			}
		})
	}
}

// TestLintFollowsSymlinkedChains: lint.Dir skipped a chain that is a
// symbolic link to a shared directory, which migration.Load follows.
func TestLintFollowsSymlinkedChains(t *testing.T) {
	shared := writeDir(t, map[string]string{"0001_idx.sql": "-- safe: before_deploy\nCREATE INDEX i ON users (email);\n"})
	dir := writeDir(t, map[string]string{"0001_base.sql": "-- safe: always\nSELECT 1;\n"})
	require.NoError(t, os.Symlink(shared, filepath.Join(dir, "billing")))
	r := run(t, "--dir", dir, "lint")
	assert.Equal(t, 1, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "billing/0001_idx.sql:2:1: error require-concurrent-index")
}

// TestLintLeavesGCAlone: lint never changes the process's GC setting
// (GOGC), which belongs to the program embedding the CLI and to the tests
// running beside it. The setting is sampled while lint runs.
func TestLintLeavesGCAlone(t *testing.T) {
	dir := t.TempDir()
	for i := range 400 {
		body := fmt.Sprintf("-- safe: before_deploy\nCREATE TABLE t%d (id int);\nALTER TABLE t%d ADD COLUMN c text;\n", i, i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d_m.sql", i+1)), []byte(body), 0o644))
	}
	gogc := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	before := gogc()
	done := make(chan struct{})
	seen := map[uint64]bool{}
	go func() {
		defer close(done)
		run(t, "--dir", dir, "lint", "--format", "json")
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			seen[gogc()] = true
			time.Sleep(50 * time.Microsecond) // sampling, not ordering
		}
	}
	seen[gogc()] = true
	assert.Equal(t, map[uint64]bool{before: true}, seen, "GOGC changed during lint")
}
