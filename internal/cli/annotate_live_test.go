package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// TestAnnotateDatabaseURL (ht10b O1): annotate --database-url reads the
// live catalog as lint --database-url does, so the two agree; a URL from
// the environment does not make annotate connect.
func TestAnnotateDatabaseURL(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, dbURL)
	for _, sql := range []string{
		"CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL)",
		"CREATE VIEW user_emails AS SELECT id, email FROM users",
	} {
		_, err := conn.Exec(context.Background(), sql)
		require.NoError(t, err, sql)
	}
	migs := filepath.Join(t.TempDir(), "migrations")
	require.NoError(t, os.MkdirAll(migs, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(migs, "0002_email.sql"), []byte("ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(migs, "0003_view.sql"), []byte("DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, email FROM users WHERE email <> '';\n"), 0o644))

	r := run(t, "--dir", migs, "annotate", "--database-url", dbURL, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"suggested": "always"`)
	assert.NotContains(t, r.stdout, `"suggested": "after_deploy"`, "email is NOT NULL and the view had these columns in the database")

	t.Setenv("DATABASE_URL", dbURL)
	r = run(t, "--dir", migs, "annotate", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"suggested": "after_deploy"`, "without --database-url on the command line, the files alone")

	r = run(t, "--dir", migs, "annotate", "--database-url", "postgres://someone:s3cret-pw@/db?host=/nonexistent-dir&connect_timeout=2")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "cannot connect")
	assert.NotContains(t, r.stderr+r.stdout, "s3cret-pw")
}
