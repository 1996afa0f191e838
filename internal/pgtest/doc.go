// Package pgtest gives each test its own fresh PostgreSQL database.
//
// A package whose tests need PostgreSQL calls [Main] from TestMain and
// [NewDatabase] in each test:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestApply(t *testing.T) {
//		url := pgtest.NewDatabase(t) // dropped again when the test ends
//		conn := pgtest.Connect(t, url)
//		_, err := conn.Exec(t.Context(), "CREATE TABLE t (id int)")
//		require.NoError(t, err)
//		require.Contains(t, pgtest.DumpSchema(t, url), "CREATE TABLE public.t")
//	}
//
// # Which server
//
// When the environment variable SAFEMIGRATE_TEST_DATABASE_URL ([EnvURL])
// is set, databases are created on that server, through a connection to
// the URL's database as its user (who needs the CREATEDB privilege).
// Otherwise the first call to NewDatabase starts one throwaway cluster
// with [pgcluster.Start] for the whole test binary (binaries from
// SAFEMIGRATE_TEST_PG_BINDIR ([EnvBinDir]) when set, otherwise found as
// [pgcluster.FindBin] does), and Main stops it after the tests, whether
// they passed or not, or on SIGINT or SIGTERM. Tests that do not call
// NewDatabase cost nothing. Like every pgcluster server it accepts only
// the user running the tests: a Unix socket in a private directory and a
// random password, no TCP. The URLs NewDatabase returns carry that
// password; print them only through redaction (Connect does).
//
// When neither a URL nor PostgreSQL binaries are available, every test
// that calls NewDatabase fails (it does not skip) with a message saying
// how to install PostgreSQL.
//
// # State and concurrency
//
// The one server per test binary is, by design, the package's only
// state; it is guarded by a mutex. All functions are safe to call from
// parallel tests. Databases are named after the test plus a random
// suffix and dropped WITH (FORCE), so PostgreSQL 13 or newer is needed.
package pgtest
