package pgcluster_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

// fakeBin creates an executable file dir/name.
func fakeBin(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	return p
}

func TestFindBin(t *testing.T) {
	empty := t.TempDir()
	withDump := t.TempDir()
	pgDump := fakeBin(t, withDump, "pg_dump")
	notExec := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notExec, "pg_dump"), nil, 0o644))

	tests := []struct {
		name    string
		opts    pgcluster.Options
		want    string
		notHere []string // directories the error must name
	}{
		{"empty search path", pgcluster.Options{SearchPath: []string{empty}}, "", []string{empty}},
		{"not executable", pgcluster.Options{SearchPath: []string{notExec}}, "", []string{notExec}},
		{"BinDir without it", pgcluster.Options{BinDir: empty}, "", []string{empty}},
		{"BinDir wins over SearchPath", pgcluster.Options{BinDir: empty, SearchPath: []string{withDump}}, "", []string{empty}},
		{"second directory", pgcluster.Options{SearchPath: []string{empty, notExec, withDump}}, pgDump, nil},
		{"BinDir", pgcluster.Options{BinDir: withDump}, pgDump, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.FindBin("pg_dump")
			if tt.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, pgcluster.ErrNoServer)
			var nf *pgcluster.NotFoundError
			require.ErrorAs(t, err, &nf)
			assert.Equal(t, "pg_dump", nf.Name)
			for _, dir := range tt.notHere {
				assert.Contains(t, err.Error(), dir)
			}
			for _, hint := range []string{
				"apt-get install -y postgresql",
				"brew install postgresql@16",
				"dnf install postgresql-server",
				"PATH",
				"Options.BinDir",
			} {
				assert.Contains(t, err.Error(), hint)
			}
		})
	}
}

func TestServerBinDir(t *testing.T) {
	install := t.TempDir()
	fakeBin(t, install, "initdb")
	fakeBin(t, install, "postgres")
	onlyInitdb := t.TempDir()
	fakeBin(t, onlyInitdb, "initdb")
	links := t.TempDir() // like /usr/local/bin: symbolic links only
	require.NoError(t, os.Symlink(filepath.Join(install, "initdb"), filepath.Join(links, "initdb")))
	empty := t.TempDir()

	tests := []struct {
		name   string
		search []string
		want   string
	}{
		{"installation", []string{empty, install}, install},
		{"initdb without postgres is skipped", []string{onlyInitdb, install}, install},
		{"symbolic links are followed", []string{links}, install},
		{"nothing", []string{empty, onlyInitdb}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pgcluster.Options{SearchPath: tt.search}.ServerBinDir()
			if tt.want == "" {
				assert.ErrorIs(t, err, pgcluster.ErrNoServer)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStartWithoutServer(t *testing.T) {
	_, err := pgcluster.Start(t.Context(), pgcluster.Options{SearchPath: []string{t.TempDir()}})
	require.ErrorIs(t, err, pgcluster.ErrNoServer)
	assert.Contains(t, err.Error(), "apt-get install -y postgresql")
}

func TestDefaultSearchPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir+string(os.PathListSeparator)+dir)
	got := pgcluster.DefaultSearchPath()
	require.NotEmpty(t, got)
	assert.Equal(t, dir, got[0], "PATH comes first")
	seen := map[string]bool{}
	for _, d := range got {
		assert.False(t, seen[d], "duplicate %s", d)
		seen[d] = true
	}
}
