package lint_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/lint"
)

// benchCorpus is the directory of the lint benchmark's generated corpus:
// $LINT_CORPUS, or .bench/lint/corpus as bench/lint/run.sh writes it.
func benchCorpus(b *testing.B) []lint.File {
	dir := os.Getenv("LINT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", ".bench", "lint", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("no corpus in %s: run `go run ./bench/lint/gen -n 2000 -out .bench/lint/corpus` (or make bench-lint) first, or set LINT_CORPUS", dir)
	}
	files, err := lint.Dir(os.DirFS(dir), dir)
	require.NoError(b, err)
	return files
}

// BenchmarkLintCorpus lints the lint benchmark's corpus (see
// bench/lint/run.sh) as `safemigrate lint --format json` does, without
// reading the files: go test -bench LintCorpus -cpuprofile cpu.out ./lint/
func BenchmarkLintCorpus(b *testing.B) {
	files := benchCorpus(b)
	l, err := lint.New(lint.Config{PGVersion: 15})
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		res, err := l.Run(context.Background(), files)
		require.NoError(b, err)
		require.NoError(b, lint.Write(io.Discard, "json", res, lint.WriteOptions{}))
	}
}

// BenchmarkSplitCorpus parses and decodes the corpus's files, one after
// the other: the part of lint that libpg_query and the tree decode take.
func BenchmarkSplitCorpus(b *testing.B) {
	files := benchCorpus(b)
	b.ResetTimer()
	for range b.N {
		for _, f := range files {
			_, err := sqlparse.Split(string(f.Src))
			require.NoError(b, err)
		}
	}
}
