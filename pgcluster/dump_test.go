package pgcluster_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

func TestDumpSchemaKeepsPasswordOffCommandLine(t *testing.T) {
	// A stand-in pg_dump that prints what it received.
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"args: $*\"\necho \"password: $PGPASSWORD\"\nprintf '%s\\n' '\\restrict abc' '\\unrestrict abc'\necho 'CREATE TABLE t ();'\n"
	pgDump := filepath.Join(dir, "pg_dump")
	require.NoError(t, os.WriteFile(pgDump, []byte(script), 0o755))

	tests := []struct {
		name, connString, wantArgs string
	}{
		{"url", "postgres://app:s3cret@db/prod", "args: --schema-only --no-owner --dbname=postgres://app@db/prod\n"},
		{"key=value", "host=db password=s3cret dbname=prod", "args: --schema-only --no-owner --dbname=host=db dbname=prod\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := pgcluster.DumpSchema(t.Context(), pgDump, tt.connString)
			require.NoError(t, err)
			assert.Equal(t, tt.wantArgs+"password: s3cret\nCREATE TABLE t ();\n", string(out))
		})
	}
}

func TestDumpSchemaErrorIsRedacted(t *testing.T) {
	pgDump, err := pgcluster.FindBin("pg_dump")
	require.NoError(t, err)
	_, err = pgcluster.DumpSchema(t.Context(), pgDump, "postgres://app:s3cret@127.0.0.1:1/prod?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.Contains(t, err.Error(), "app:xxxxx@127.0.0.1:1")
}

func TestDumpSchemaCancelled(t *testing.T) {
	dir := t.TempDir()
	pgDump := filepath.Join(dir, "pg_dump")
	require.NoError(t, os.WriteFile(pgDump, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := pgcluster.DumpSchema(ctx, pgDump, "postgres://app@db/prod")
	assert.ErrorIs(t, err, context.Canceled)
}
