package pgcluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

func TestLoadSQL(t *testing.T) {
	c := start(t, pgcluster.Options{TempDir: tempParent(t)})
	dir := t.TempDir()
	tests := []struct {
		name string
		db   string
		sql  string
		want *pgcluster.LoadError // nil: loads
	}{
		{"loads", "load_ok", "CREATE TABLE a (id int);\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.b (id int);\n", nil},
		{"unknown type", "load_type", "CREATE TABLE c (id int);\n\nCREATE TABLE d (\n  id int,\n  x nosuchtype\n);\nCREATE TABLE e (id int);\n",
			&pgcluster.LoadError{Line: 6, SQLState: "42704", Message: `type "nosuchtype" does not exist`, Context: "LINE 3:   x nosuchtype\n            ^"}},
		{"missing extension", "load_ext", "-- an extension the server does not have\nCREATE EXTENSION nosuchext;\n",
			&pgcluster.LoadError{Line: 2, SQLState: "0A000", Message: `extension "nosuchext" is not available`,
				Hint: "The extension must first be installed on the system where PostgreSQL is running."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, err := c.CreateDatabase(t.Context(), tt.db)
			require.NoError(t, err)
			path := filepath.Join(dir, tt.db+".sql")
			require.NoError(t, os.WriteFile(path, []byte(tt.sql), 0o644))

			err = c.LoadSQL(t.Context(), tt.db, path)
			if tt.want == nil {
				require.NoError(t, err)
				conn, err := pgx.Connect(t.Context(), url)
				require.NoError(t, err)
				defer conn.Close(context.WithoutCancel(t.Context()))
				var n int
				require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'b')").Scan(&n))
				assert.Equal(t, 2, n)
				return
			}
			var le *pgcluster.LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, path, le.File)
			assert.Equal(t, tt.want.Line, le.Line)
			assert.Equal(t, tt.want.SQLState, le.SQLState)
			assert.Equal(t, tt.want.Message, le.Message)
			if tt.want.Context != "" {
				assert.Equal(t, tt.want.Context, le.Context)
			}
			if tt.want.Hint != "" {
				assert.Equal(t, tt.want.Hint, le.Hint)
				assert.Contains(t, le.Detail, "nosuchext.control")
			}
			assert.NotContains(t, le.Error(), "LOCATION")
			assert.Contains(t, le.Error(), fmt.Sprintf("%s:%d: %s (SQLSTATE %s)", path, tt.want.Line, tt.want.Message, tt.want.SQLState))
		})
	}
}

func TestLoadSQLKeepsPasswordOffCommandLine(t *testing.T) {
	// A stand-in psql that fails with what it received.
	dir := t.TempDir()
	psql := filepath.Join(dir, "psql")
	require.NoError(t, os.WriteFile(psql, []byte("#!/bin/sh\necho \"args: $* password: $PGPASSWORD\" >&2\nexit 2\n"), 0o755))
	err := pgcluster.LoadSQL(t.Context(), psql, "postgres://app:s3cret@db/prod", "schema.sql")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--file schema.sql --dbname=postgres://app@db/prod")
	assert.NotContains(t, err.Error(), "s3cret", "redacted, also what psql printed")
}

func TestLoadSQLCancelled(t *testing.T) {
	dir := t.TempDir()
	psql := filepath.Join(dir, "psql")
	require.NoError(t, os.WriteFile(psql, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := pgcluster.LoadSQL(ctx, psql, "postgres://app@db/prod", "schema.sql")
	assert.ErrorIs(t, err, context.Canceled)
}

// TestLoadErrorRendering pins the text of a failed load: file:line,
// message, SQLSTATE, psql's context lines, then DETAIL and HINT.
func TestLoadErrorRendering(t *testing.T) {
	e := &pgcluster.LoadError{File: "schema.sql", Line: 6, SQLState: "42704", Message: `type "t" does not exist`,
		Context: "LINE 3:   x t\n            ^", Detail: "d", Hint: "h"}
	assert.Equal(t, "schema.sql:6: type \"t\" does not exist (SQLSTATE 42704)\nLINE 3:   x t\n            ^\nDETAIL: d\nHINT: h", e.Error())
}
