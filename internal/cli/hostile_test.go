package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/pgcluster"
)

// pg_dump (since 17.6, 16.10, 15.14, 14.19, 13.22) wraps its output in
// \restrict KEY ... \unrestrict KEY so that psql runs no backslash command
// a malicious origin server smuggled into the dump (CVE-2025-8714).
// --ephemeral loads the target's dump with psql: it must keep that
// protection. A stand-in pg_dump prints what such a server could make it
// print; psql must refuse the \! in it.
func TestPreflightEphemeralKeepsPgDumpRestrict(t *testing.T) {
	target := pgtest.NewDatabase(t)
	tmp := clusterTempDir(t)
	postgres, err := pgcluster.FindBin("postgres")
	require.NoError(t, err)
	real := filepath.Dir(postgres)
	bin := t.TempDir()
	// The server's binaries may run as another user (postgres, when the
	// tests run as root): let them reach the wrappers and the marker.
	require.NoError(t, os.Chmod(bin, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(bin), 0o755))
	entries, err := os.ReadDir(real)
	require.NoError(t, err)
	for _, e := range entries {
		// Wrappers, not symbolic links: the binaries' directory is resolved.
		script := fmt.Sprintf("#!/bin/sh\nexec %q \"$@\"\n", filepath.Join(real, e.Name()))
		require.NoError(t, os.WriteFile(filepath.Join(bin, e.Name()), []byte(script), 0o755))
	}
	markerDir := t.TempDir()
	require.NoError(t, os.Chmod(markerDir, 0o777))
	marker := filepath.Join(markerDir, "ran")
	dump := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' '\\restrict k3y' 'CREATE TABLE t (id int);' '\\! touch %s' '\\unrestrict k3y'\n", marker)
	require.NoError(t, os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(dump), 0o755))

	dir := writeDir(t, map[string]string{"0001_a.sql": "-- safe: always\nCREATE TABLE a (id int);\n"})
	r := runDB(t, target, dir, "preflight", "--ephemeral", "--pg-bindir", bin)
	_, err = os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "psql ran a backslash command of the dump: %s", r.stderr)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "restricted")
	assertNoCluster(t, tmp)
}
