package annotate_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

var updateBuiltins = flag.Bool("update-builtins", false, "rewrite builtins.txt from the test server (PostgreSQL 15)")

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestBuiltinsAreTheServers: the list of built-in functions the analysis
// trusts is PostgreSQL 15's pg_catalog, no more and no less, so that a
// built-in (uuid_in, say) is never taken for a user's function whose
// effect is unknown, and a user's function is never taken for a built-in.
func TestBuiltinsAreTheServers(t *testing.T) {
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	ctx := context.Background()
	var major int
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int / 10000`).Scan(&major))
	rows, err := conn.Query(ctx, `SELECT DISTINCT proname::text FROM pg_catalog.pg_proc
		WHERE pronamespace = 'pg_catalog'::regnamespace ORDER BY 1`)
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	if *updateBuiltins {
		require.Equal(t, 15, major, "builtins.txt is PostgreSQL 15's list")
		require.NoError(t, os.WriteFile("builtins.txt", []byte(strings.Join(names, "\n")+"\n"), 0o644))
	}
	for _, n := range []string{"uuid_in", "lower", "jsonb_set", "pg_sleep", "generate_series"} {
		require.True(t, annotate.IsBuiltinFunc(n), n)
	}
	require.False(t, annotate.IsBuiltinFunc("cleanup"), "a name the server does not have")
	if major != 15 {
		// Other versions add and drop functions (newerFuncs has the
		// additions the analysis needs); the list is 15's.
		t.Logf("PostgreSQL %d: the list is compared with PostgreSQL 15 only", major)
		return
	}
	server := map[string]bool{}
	for _, n := range names {
		server[n] = true
		require.True(t, annotate.IsBuiltinFunc(n), "%s is a pg_catalog function of PostgreSQL 15 missing from builtins.txt (go test ./annotate -run TestBuiltinsAreTheServers -update-builtins)", n)
	}
	for _, n := range strings.Fields(readList(t)) {
		require.True(t, server[n], "%s is in builtins.txt but not a pg_catalog function of PostgreSQL 15", n)
	}
}

func readList(t *testing.T) string {
	b, err := os.ReadFile("builtins.txt")
	require.NoError(t, err)
	return string(b)
}
