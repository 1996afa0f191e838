package pgtest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// TestWaitForSession finds a session by what the server shows of it: the
// pid of the one running pg_sleep, not the waiting test's own.
func TestWaitForSession(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	sleeper := pgtest.Connect(t, url)
	done := make(chan error, 1)
	go func() {
		_, err := sleeper.Exec(t.Context(), `SET application_name = 'sleeper'; SELECT pg_sleep(0.5)`)
		done <- err
	}()
	conn := pgtest.Connect(t, url)
	pid := pgtest.WaitForSession(t, conn, "runs pg_sleep", `application_name = $1 AND query LIKE '%pg_sleep%' AND state = 'active'`, "sleeper")
	require.Equal(t, int(sleeper.PgConn().PID()), pid)
	require.NoError(t, <-done)
}
