package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestJobsMustBePositive: `--jobs -1` was a kong error about short flags
// ("expected string value but got "-1" (short flag)"); every spelling of a
// value below 1 is now the same usage error.
func TestJobsMustBePositive(t *testing.T) {
	for _, args := range [][]string{
		{"--jobs=-1"}, {"--jobs", "-1"}, {"--jobs", "0"}, {"--jobs=0"}, {"--jobs", "-12"},
	} {
		t.Run(args[len(args)-1], func(t *testing.T) {
			r := run(t, append([]string{"--dir", example, "status", "--schemas", "a", "--database-url", "postgres://u@127.0.0.1:1/db"}, args...)...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, "--jobs must be at least 1")
			assert.NotContains(t, r.stderr, "short flag")
		})
	}
	r := run(t, "--dir", example, "status", "--schemas", "a", "--database-url", "postgres://u@127.0.0.1:1/db", "--jobs", "two")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, `--jobs "two" is not a whole number`)
}

// TestConfigSecondDocument: a second YAML document in safemigrate.yaml was
// silently ignored, even with unknown keys in it.
func TestConfigSecondDocument(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	assert.NoError(t, os.WriteFile(cfg, []byte("dir: migrations\n---\nlok_timeout: 2s\n"), 0o644))
	r := run(t, "--config", cfg, "version")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, cfg+": line 2: a second YAML document")
}
