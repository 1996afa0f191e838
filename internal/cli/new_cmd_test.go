package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		args     []string
		wantFile string
		wantBody string
	}{
		{"first file", nil, []string{"new", "Add email to users", "--safe", "before_deploy"}, "0001_add_email_to_users.sql", "-- safe: before_deploy\n\n"},
		{"next sequential keeps width", []string{"000009_a.sql", "000010_b.sql", "notes.md"}, []string{"new", "c", "--safe", "always"}, "000011_c.sql", "-- safe: always\n\n"},
		{"numeric not lexical order", []string{"9_a.sql", "10_b.sql"}, []string{"new", "c", "--safe", "always"}, "0011_c.sql", "-- safe: always\n\n"},
		{"chain with depends, delay and no transaction", []string{"0003_a.sql"},
			[]string{"new", "drop_total", "--safe", "after_deploy", "--chain", "billing", "--depends", "0003", "--delay", "7d", "--no-transaction"},
			"billing/0001_drop_total.sql", "-- safe: after_deploy\n-- depends: 0003\n-- delay: 7d\n-- transaction: false\n\n"},
		{"timestamp", nil, []string{"new", "x", "--safe", "always", "--versioning", "timestamp"}, "", "-- safe: always\n\n"},
		{"timestamp after a future one", []string{"99990101000000_a.sql"}, []string{"new", "x", "--safe", "always", "--versioning", "timestamp"}, "99990101000001_x.sql", "-- safe: always\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.existing {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("-- safe: always\n"), 0o644))
			}
			r := run(t, append([]string{"--dir", dir}, tt.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			path := filepath.Clean(r.stdout[:len(r.stdout)-1])
			if tt.wantFile != "" {
				assert.Equal(t, filepath.Join(dir, tt.wantFile), path)
			} else {
				assert.Regexp(t, `/\d{14}_x\.sql$`, path)
			}
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.wantBody, string(body))
			// The file it writes must load cleanly.
			assert.Equal(t, 0, run(t, "--dir", dir, "graph", "--offline").code)
		})
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"delay without after_deploy", []string{"new", "x", "--safe", "always", "--delay", "7d"}, "--delay needs --safe after_deploy"},
		{"bad delay", []string{"new", "x", "--safe", "after_deploy", "--delay", "soon"}, "malformed duration"},
		{"bad safe", []string{"new", "x", "--safe", "whenever"}, "--safe"},
		{"empty name", []string{"new", "!!!", "--safe", "always"}, "no letters or digits"},
		{"depends on nothing", []string{"new", "x", "--safe", "always", "--depends", "0042"}, `depends on "0042", which matches no migration`},
		{"nested chain", []string{"new", "x", "--safe", "always", "--chain", "a/b"}, "chains do not nest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--dir", dir}, tt.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.want)
		})
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	require.NoError(t, err)
	assert.Empty(t, files, "a failed new must leave no file behind")
}

func TestNewRejectsUnsupportedFormatBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	r := run(t, "--dir", dir, "--format", "yaml", "new", "x", "--safe", "always")
	assert.Equal(t, 2, r.code, r.stdout)
	assert.Contains(t, r.stderr, `--format must be one of "text","json"`)
	r = run(t, "--dir", dir, "--format", "dot", "new", "x", "--safe", "always")
	assert.Equal(t, 2, r.code, r.stdout)
	assert.Contains(t, r.stderr, "--format dot is not supported here")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written")
}

func TestNewDependsListIsTidied(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_a.sql"), []byte("-- safe: always\n"), 0o644))
	r := run(t, "--dir", dir, "new", "b", "--safe", "always", "--depends", "0001, 0001_a,,")
	require.Equal(t, 0, r.code, r.stderr)
	body, err := os.ReadFile(filepath.Join(dir, "0002_b.sql"))
	require.NoError(t, err)
	assert.Equal(t, "-- safe: always\n-- depends: 0001, 0001_a\n\n", string(body))
}
