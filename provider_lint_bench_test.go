package safemigrate_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
)

// BenchmarkLintDir is `safemigrate lint DIR --format json` in process:
// reading and loading the lint benchmark's corpus (bench/lint/run.sh),
// then linting it. go test -run '^$' -bench LintDir -cpuprofile cpu.out .
func BenchmarkLintDir(b *testing.B) {
	dir := os.Getenv("LINT_CORPUS")
	if dir == "" {
		dir = filepath.Join(".bench", "lint", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("no corpus in %s: run make bench-lint first, or set LINT_CORPUS", dir)
	}
	for range b.N {
		p, err := safemigrate.New(os.DirFS(dir), safemigrate.WithPGVersion(15))
		require.NoError(b, err)
		rep, err := p.Lint(context.Background(), safemigrate.LintOptions{})
		require.NoError(b, err)
		require.NoError(b, rep.Write(io.Discard, "json", false, "bench"))
	}
}
