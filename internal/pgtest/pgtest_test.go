package pgtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestNewDatabaseIsolation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	require.NotEqual(t, a, b)

	connA, connB := pgtest.Connect(t, a), pgtest.Connect(t, b)
	_, err := connA.Exec(ctx, "CREATE TABLE only_in_a (id int PRIMARY KEY)")
	require.NoError(t, err)

	var inA, inB bool
	require.NoError(t, connA.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&inA))
	require.NoError(t, connB.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&inB))
	assert.True(t, inA)
	assert.False(t, inB, "a table created in one test database is visible in another")

	assert.Contains(t, pgtest.DumpSchema(t, a), "CREATE TABLE public.only_in_a")
	assert.NotContains(t, pgtest.DumpSchema(t, b), "only_in_a")
}

func TestNewDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var name string
	t.Run("inner", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		// A connection left open must not prevent the drop.
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close(ctx) })
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&name))
	})
	require.NotEmpty(t, name)

	conn := pgtest.Connect(t, pgtest.NewDatabase(t))
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	assert.False(t, exists, "database %s still exists after its test", name)
}

func TestNewDatabaseNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"plain",
		"Spaces & Ümlauts/slash",
		strings.Repeat("very long test name ", 10),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn := pgtest.Connect(t, pgtest.NewDatabase(t))
			var db string
			require.NoError(t, conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db))
			assert.True(t, strings.HasPrefix(db, "test_testnewdatabasenames_"), db)
			assert.LessOrEqual(t, len(db), 63)
		})
	}
}

// TestNoServerFailsLoudly runs this test binary again with no usable
// PostgreSQL binaries and checks that a database test fails, not skips,
// and says how to install PostgreSQL.
func TestNoServerFailsLoudly(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		pgtest.NewDatabase(t)
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoServerFailsLoudly$", "-test.count=1", "-test.v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, pgtest.EnvURL+"=") && !strings.HasPrefix(kv, pgtest.EnvBinDir+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGTEST_CHILD=1", pgtest.EnvBinDir+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "child passed:\n%s", out)
	assert.Equal(t, 1, exitErr.ExitCode())
	assert.Contains(t, string(out), "--- FAIL: TestNoServerFailsLoudly")
	assert.NotContains(t, string(out), "SKIP")
	assert.Contains(t, string(out), "apt-get install -y postgresql")
	assert.Contains(t, string(out), pgtest.EnvURL)
}
